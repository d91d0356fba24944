/**
 * Counting the GPU programs a call dispatches: the active backend's own entry point is wrapped on
 * the backend instance (webgl: runWebGLProgram, which compileAndRun and the pack / unpack of inputs
 * also go through; webgpu: runWebGPUProgram), so every program counts, ours and the backend's
 * (matmul, transpose, concat, pack, fill…). Uploads and downloads are not programs and do not count.
 * Shared by the browser tests (dispatches.test.ts) and `npm run bench:browser -- --dispatches`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRU, LSTM, RNN, type Recurrence } from '../../src/index.js';
import type { CellKind } from '../../src/runtime/kernels/cell_table.js';

const ENTRY_POINT: Record<string, string> = { webgl: 'runWebGLProgram', webgpu: 'runWebGPUProgram' };

export interface DispatchCount<T> {
  result: T;
  /** Programs dispatched by the call. */
  programs: number;
  /** Programs by name: the backend's program class, or `rnn:<shader>` for ours. */
  byName: Record<string, number>;
}

/** Our programs are plain objects (no class): name them by their shader (key or inputs). */
function programName(program: { constructor?: { name?: string }; shaderKey?: string; variableNames?: string[] }): string {
  const className = program.constructor?.name;
  if (className && className !== 'Object') return className;
  return `rnn:${program.shaderKey?.split('_')[0] ?? program.variableNames?.join(',') ?? '?'}`;
}

/** Runs `body` on the active (webgl or webgpu) backend and counts the programs it dispatches. */
export function countDispatches<T>(body: () => T): DispatchCount<T> {
  const name = tf.getBackend();
  const entry = ENTRY_POINT[name];
  if (!entry) throw new Error(`countDispatches needs the webgl or webgpu backend, got '${name}'`);
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = backend[entry];
  const byName: Record<string, number> = {};
  let programs = 0;
  backend[entry] = function (this: unknown, program: unknown, ...rest: unknown[]) {
    programs++;
    const key = programName(program as Parameters<typeof programName>[0]);
    byName[key] = (byName[key] ?? 0) + 1;
    return original.call(this, program, ...rest);
  };
  try {
    return { result: body(), programs, byName };
  } finally {
    // The instance's own property goes; the prototype's method shows through again.
    delete backend[entry];
    if (backend[entry] !== original) backend[entry] = original;
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyLayer = Recurrence<any>;
const LAYERS = { lstm: LSTM, gru: GRU, rnn: RNN } as const;

/** A cell variant the counters can build: the GRU's `resetAfter: false` (its own GPU driver). */
export interface VariantOptions {
  resetAfter?: boolean;
}

/** A layer stack of `depth` layers: the first reads `inputSize`, every layer has `hidden`. */
export function buildStack(kind: CellKind, depth: number, inputSize: number, hidden: number, variant: VariantOptions = {}): AnyLayer[] {
  if (variant.resetAfter !== undefined && kind !== 'gru') throw new Error(`resetAfter is a GRU option, got it for '${kind}'`);
  return Array.from({ length: depth }, (_, i) =>
    kind === 'gru' ? (new GRU(i === 0 ? inputSize : hidden, hidden, variant) as AnyLayer) : (new LAYERS[kind](i === 0 ? inputSize : hidden, hidden) as AnyLayer),
  );
}

/** The zero carry of a layer at `batch` rows. */
function zeroCarry(kind: CellKind, batch: number, hidden: number): Record<string, tf.Tensor2D> {
  const h = tf.zeros([batch, hidden]) as tf.Tensor2D;
  return kind === 'lstm' ? { h, c: tf.zeros([batch, hidden]) as tf.Tensor2D } : { h };
}

/**
 * Programs of one step of a stack (cell.step per layer, batch 1), in steady state: the carries of
 * the step before are the inputs (the first step, whose carries are uploaded zeros, is not counted).
 * `primed`: each layer first runs a sequence (priming, then sampling step by step), so that the
 * weights reach the device through the sequence kernel.
 */
export function stackStepDispatches(
  kind: CellKind,
  depth: number,
  inputSize = 8,
  hidden = 16,
  primed = false,
  variant: VariantOptions = {},
): DispatchCount<null> {
  const stack = buildStack(kind, depth, inputSize, hidden, variant);
  if (primed) {
    for (const layer of stack) {
      const sequence = tf.randomUniform([1, 20, layer === stack[0] ? inputSize : hidden], -1, 1) as tf.Tensor3D;
      const { output, carry } = layer.apply(sequence);
      tf.dispose([sequence, output, ...Object.values(carry as Record<string, tf.Tensor>)]);
    }
  }
  const x = tf.randomUniform([1, inputSize], -1, 1) as tf.Tensor2D;
  let carries = stack.map(() => zeroCarry(kind, 1, hidden));
  const step = () => {
    let input = x;
    const next = stack.map((layer, i) => {
      const { output, carry } = layer.cell.step(input, carries[i]);
      input = output;
      return carry as Record<string, tf.Tensor2D>;
    });
    carries.forEach((c) => tf.dispose(Object.values(c)));
    carries = next;
  };
  step();
  const counted = countDispatches(step);
  carries.forEach((c) => tf.dispose(Object.values(c)));
  tf.dispose(x);
  stack.forEach((layer) => layer.dispose());
  return { ...counted, result: null };
}

/**
 * Programs of one sequence call of a layer (batch `batch`, `time` steps): 'fwd' = layer.apply;
 * 'fwdbwd' = tf.variableGrads of the summed output with respect to the layer's weights, the sum
 * and its gradient (a fill) included. Counted after one warm-up call of the same shape.
 * `resetAfter: false`: the reset-before GRU.
 */
export function sequenceDispatches(
  kind: CellKind,
  mode: 'fwd' | 'fwdbwd',
  time: number,
  { batch = 1, inputSize = 8, hidden = 16, resetAfter }: { batch?: number; inputSize?: number; hidden?: number } & VariantOptions = {},
): DispatchCount<null> {
  const [layer] = buildStack(kind, 1, inputSize, hidden, resetAfter === undefined ? {} : { resetAfter });
  const x = tf.randomUniform([batch, time, inputSize], -1, 1) as tf.Tensor3D;
  const call = () => {
    if (mode === 'fwd') {
      tf.dispose(Object.values(layer.apply(x)).flatMap((v) => (v instanceof tf.Tensor ? [v] : Object.values(v as object))));
      return;
    }
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x).output) as tf.Scalar, layer.trainableVariables());
    tf.dispose([value, ...Object.values(grads)]);
  };
  call();
  const counted = countDispatches(call);
  tf.dispose(x);
  layer.dispose();
  return { ...counted, result: null };
}

/**
 * Programs of one step of a layer (batch 1) after an optimizer update of its weights (on webgl the
 * update leaves them packed), counted at the second step after the update (the first makes what it
 * keeps per weight tensor); and the growth of the backend's buffers over further update-and-step
 * cycles (what was kept for replaced weights must go).
 */
export function stepAfterUpdateDispatches(kind: CellKind, variant: VariantOptions = {}, inputSize = 8, hidden = 16): DispatchCount<{ bufferGrowth: number }> {
  const [layer] = buildStack(kind, 1, inputSize, hidden, variant);
  const sequence = tf.randomUniform([1, 5, inputSize], -1, 1) as tf.Tensor3D;
  const x = tf.randomUniform([1, inputSize], -1, 1) as tf.Tensor2D;
  const carry = zeroCarry(kind, 1, hidden);
  const optimizer = tf.train.sgd(0.01);
  const update = () => optimizer.minimize(() => tf.sum(layer.apply(sequence).output) as tf.Scalar);
  const step = () => {
    const { output, carry: next } = layer.cell.step(x, carry);
    tf.dispose([output, ...Object.values(next as Record<string, tf.Tensor>)]);
  };
  // The backend's own count: what a kernel keeps on the backend is not an engine tensor.
  const buffers = () => tf.backend().numDataIds();
  update();
  step();
  const counted = countDispatches(step);
  const before = buffers();
  for (let i = 0; i < 3; i++) {
    update();
    step();
  }
  const bufferGrowth = buffers() - before;
  tf.dispose([sequence, x, ...Object.values(carry)]);
  optimizer.dispose();
  layer.dispose();
  return { ...counted, result: { bufferGrowth } };
}
