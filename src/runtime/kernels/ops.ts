/**
 * The ops of the kernel layer: what cells, sequence layers and the legacy Recur call. Each op runs
 * the fused kernel registered for the active backend (through the kernel registry, so its fused
 * gradient is recorded on the tape) and falls back to the composite implementation from tfjs ops
 * where no backend registration exists. Both paths compute the same math (the equations of each
 * cell are in composite/<cell>.ts, host/cells/<cell>.ts and gpu/shaders.ts, the reset-before GRU
 * in gpu/gru_reset_before_shaders.ts).
 *
 * The ops do not validate their input (the runtime layer does, with RnnShapeError); they never
 * leak tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap, Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { CELLS, type CellKind, type CellVariant, type RnnActivation } from './cell_table.js';
import type { SequenceAttrs, StepAttrs } from './kernel_names.js';
import { gruSequenceComposite, gruStepComposite } from './composite/gru.js';
import { lstmSequenceComposite, lstmStepComposite } from './composite/lstm.js';
import { rnnSequenceComposite, rnnStepComposite } from './composite/rnn.js';
import type { GatedVariant, GruVariant } from './composite/activations.js';
import { activeTape, attachToLastNode, gradientWillBeRecorded, sharedHandle, unsupportedEngineError, type GradientTape } from './tfjs_internals.js';
import { allocateWorkspace } from './workspace_allocators.js';
// The fused kernels and their gradients, registered once for the backends that have them.
import './register.js';

export type { RnnActivation } from './cell_table.js';

export interface SequenceOptions {
  /** [batch, time] float 0/1, always batch-major; 0 = keep the carry and output zeros. */
  mask?: Tensor2D;
  /** x and output are [time, batch, features] instead of [batch, time, features]. */
  timeMajor?: boolean;
  /** Run from the last step to the first; output[t] stays aligned with x[t]. */
  reverse?: boolean;
}

interface SequenceWeights {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
}

/** The variant's given fields as kernel attrs (an absent attr means the default). */
function setVariant(attrs: SequenceAttrs | StepAttrs, variant: Partial<CellVariant>): void {
  // for…in, not Object.entries: no arrays per call (a batch-1 step is short enough to notice).
  for (const name in variant) {
    const value = variant[name as keyof CellVariant];
    if (value !== undefined) attrs[name] = value;
  }
}

function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/** The variant fields of an op's arguments, as kernel attrs take them. */
function variantOf(a: GruVariant): Partial<CellVariant> {
  return { activation: a.activation, recurrentActivation: a.recurrentActivation, resetAfter: a.resetAfter };
}

function runFused(kernelName: string, inputs: NamedTensorMap, attrs: SequenceAttrs | StepAttrs): Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs as unknown as tf.NamedAttrMap) as Tensor[];
}

/**
 * Runs a cell's fused sequence kernel (SequenceInputs: `mask` and `workspaceBuffer` always
 * present, empty when unused). The trailing workspace output is dropped here (the tape keeps its
 * own reference when recording); a workspace buffer goes to the tape node uncloned.
 */
/**
 * The ops are internal (the cells and layers validate their arguments with named errors), but a
 * kernel given mismatched sizes would read past its operands: one check of the shapes, no strings
 * unless it fails (a step at batch 1 is short).
 */
function checkSizes(kernelName: string, inputs: NamedTensorMap, carryName: string): void {
  const { x, kernel, recurrentKernel } = inputs;
  const carry = inputs[carryName];
  const inputSize = x.shape[x.rank - 1];
  const batch = x.rank === 3 ? -1 : x.shape[0];
  const hidden = recurrentKernel.shape[0];
  if (kernel.rank === 2 && recurrentKernel.rank === 2 && carry.rank === 2 && kernel.shape[0] === inputSize &&
    kernel.shape[1] === recurrentKernel.shape[1] && carry.shape[1] === hidden && (batch < 0 || carry.shape[0] === batch)) return;
  throw new Error(`${kernelName}: expected x [..., ${kernel.shape[0]}] with kernel [${kernel.shape}], recurrentKernel [${hidden}, ${kernel.shape[1]}] ` +
    `and ${carryName} [batch, ${hidden}]; got x [${x.shape}], recurrentKernel [${recurrentKernel.shape}], ${carryName} [${carry.shape}]`);
}

function runFusedSequence(kind: CellKind, inputs: NamedTensorMap, options: SequenceOptions, variant: Partial<CellVariant> = {}): Tensor[] {
  const kernelName = CELLS[kind].kernels.sequence;
  checkSizes(kernelName, inputs, 'h0');
  const empty = tf.tensor1d([], 'float32');
  const attrs: SequenceAttrs = {
    timeMajor: options.timeMajor ?? false,
    reverse: options.reverse ?? false,
    saveForBackward: gradientWillBeRecorded(),
    backend: tf.getBackend(),
  };
  setVariant(attrs, variant);
  const [d0, d1] = inputs.x.shape;
  // Without a tape to attach to, the kernel returns its workspace as an output (cloned when saved).
  const tape = attrs.saveForBackward ? activeTape() : null;
  // The weights reach the backward only through the tape node (gradients.ts: attached).
  if (attrs.saveForBackward && !tape) throw unsupportedEngineError(kernelName);
  const workspaceBuffer = tape ? allocateWorkspace(kernelName, d0 * d1, inputs.h0.shape[1]!) : null;
  const outputs = runFused(kernelName, { ...inputs, mask: options.mask ?? empty, workspaceBuffer: workspaceBuffer ?? empty }, attrs);
  empty.dispose();
  // In the order of gradients.ts' `attached`: the weights (a handle per tape), then the workspace.
  if (tape) {
    const attached = [savedWeight(tape, inputs.kernel), savedWeight(tape, inputs.recurrentKernel), ...(workspaceBuffer ? [workspaceBuffer] : [])];
    if (!attached.every((tensor) => attachToLastNode(tape, outputs[0], tensor))) throw unsupportedEngineError(kernelName);
  }
  outputs[outputs.length - 1].dispose();
  return outputs.slice(0, -1);
}

/** Per gradient tape: the kept handle on each weight's data (by dataId) that its nodes share. */
const savedWeightsByTape = new WeakMap<GradientTape, Map<object, Tensor>>();

/**
 * `weight` as saved for the backward of every fused node recorded on `tape`: a second handle on
 * the weight's data, made once per tape and disposed with it (a second dispose is a no-op). The
 * engine would clone the weights for every node (T copies of K and R for one sequence of legacy
 * steps, real copies on wasm), and a copy has a new dataId, so the backward's forms of the weights
 * (Kᵀ, Rᵀ, packed once per weight lifetime: host/prepared_weights.ts) would be prepared again at
 * every training call. A handle needs no copy: tfjs never changes a live dataId's values (a
 * Variable's assign gives the Variable a new dataId, and the handle keeps the old values alive for
 * the backward). Nothing is recorded for it: the fused Grad kernels have no gradient of their own,
 * so no higher-order gradient reaches the weights through what they read.
 */
function savedWeight(tape: GradientTape, weight: Tensor): Tensor {
  let handles = savedWeightsByTape.get(tape);
  if (!handles) {
    handles = new Map();
    savedWeightsByTape.set(tape, handles);
  }
  let handle = handles.get(weight.dataId);
  if (!handle || handle.isDisposed) {
    handle = tf.keep(sharedHandle(weight));
    handles.set(weight.dataId, handle);
  }
  return handle;
}

/**
 * Runs a cell's fused step kernel: its new carries (h first). When a gradient is recorded, its
 * kernel and recurrent kernel are saved as one shared copy per tape (savedWeight), appended to the
 * step's tape node; the gradient config leaves them out of what the engine saves. The kernel's
 * trailing workspace output is dropped here; a kernel may leave it out when nothing is recorded.
 */
function runFusedStep(kind: CellKind, inputs: NamedTensorMap, variant: Partial<CellVariant>): Tensor[] {
  const kernelName = CELLS[kind].kernels.step;
  checkSizes(kernelName, inputs, 'h');
  const attrs: StepAttrs = { saveForBackward: gradientWillBeRecorded(), backend: tf.getBackend() };
  setVariant(attrs, variant);
  const outputs = attrs.saveForBackward ? runRecordedStep(kernelName, inputs, attrs) : runFused(kernelName, inputs, attrs);
  if (outputs.length === CELLS[kind].carries.length) return outputs;
  // Sliced, not popped: a recorded tape node holds this very array as its outputs.
  outputs[outputs.length - 1].dispose();
  return outputs.slice(0, -1);
}

/** runFused for a step recorded on the tape, its weights attached to the step's tape node. */
function runRecordedStep(kernelName: string, inputs: NamedTensorMap, attrs: StepAttrs): Tensor[] {
  const tape = activeTape();
  if (!tape) throw unsupportedEngineError(kernelName);
  const weights = [savedWeight(tape, inputs.kernel), savedWeight(tape, inputs.recurrentKernel)];
  const outputs = runFused(kernelName, inputs, attrs);
  if (!weights.every((weight) => attachToLastNode(tape, outputs[0], weight))) throw unsupportedEngineError(kernelName);
  return outputs;
}

export function lstmSequence(
  a: SequenceWeights & { x: Tensor3D; bias: Tensor1D; h0: Tensor2D; c0: Tensor2D } & SequenceOptions & GatedVariant,
): { output: Tensor3D; h: Tensor2D; c: Tensor2D } {
  if (!hasFusedKernel(CELLS.lstm.kernels.sequence)) return lstmSequenceComposite(a);
  const { x, kernel, recurrentKernel, bias, h0, c0 } = a;
  const [output, h, c] = runFusedSequence('lstm', { x, kernel, recurrentKernel, bias, h0, c0 }, a, variantOf(a));
  return { output: output as Tensor3D, h: h as Tensor2D, c: c as Tensor2D };
}

export function gruSequence(
  a: SequenceWeights & { x: Tensor3D; bias: Tensor /* [2, 3H]; reset before [3H] */; h0: Tensor2D } & SequenceOptions & GruVariant,
): { output: Tensor3D; h: Tensor2D } {
  if (!hasFusedKernel(CELLS.gru.kernels.sequence)) return gruSequenceComposite(a);
  const { x, kernel, recurrentKernel, bias, h0 } = a;
  const [output, h] = runFusedSequence('gru', { x, kernel, recurrentKernel, bias, h0 }, a, variantOf(a));
  return { output: output as Tensor3D, h: h as Tensor2D };
}

export function rnnSequence(
  a: SequenceWeights & { x: Tensor3D; bias: Tensor1D; h0: Tensor2D; activation: RnnActivation } & SequenceOptions,
): { output: Tensor3D; h: Tensor2D } {
  if (!hasFusedKernel(CELLS.rnn.kernels.sequence)) return rnnSequenceComposite(a);
  const { x, kernel, recurrentKernel, bias, h0 } = a;
  const [output, h] = runFusedSequence('rnn', { x, kernel, recurrentKernel, bias, h0 }, a, { activation: a.activation });
  return { output: output as Tensor3D, h: h as Tensor2D };
}

export function lstmStep(
  a: SequenceWeights & { x: Tensor2D; h: Tensor2D; c: Tensor2D; bias: Tensor1D } & GatedVariant,
): { h: Tensor2D; c: Tensor2D } {
  if (!hasFusedKernel(CELLS.lstm.kernels.step)) return lstmStepComposite(a);
  const { x, h, c, kernel, recurrentKernel, bias } = a;
  const [hNext, cNext] = runFusedStep('lstm', { x, h, c, kernel, recurrentKernel, bias }, variantOf(a));
  return { h: hNext as Tensor2D, c: cNext as Tensor2D };
}

export function gruStep(a: SequenceWeights & { x: Tensor2D; h: Tensor2D; bias: Tensor /* [2, 3H]; reset before [3H] */ } & GruVariant): { h: Tensor2D } {
  if (!hasFusedKernel(CELLS.gru.kernels.step)) return gruStepComposite(a);
  const { x, h, kernel, recurrentKernel, bias } = a;
  const [hNext] = runFusedStep('gru', { x, h, kernel, recurrentKernel, bias }, variantOf(a));
  return { h: hNext as Tensor2D };
}

export function rnnStep(
  a: SequenceWeights & { x: Tensor2D; h: Tensor2D; bias: Tensor1D; activation: RnnActivation },
): { h: Tensor2D } {
  if (!hasFusedKernel(CELLS.rnn.kernels.step)) return rnnStepComposite(a);
  const { x, h, kernel, recurrentKernel, bias } = a;
  const [hNext] = runFusedStep('rnn', { x, h, kernel, recurrentKernel, bias }, { activation: a.activation });
  return { h: hNext as Tensor2D };
}
