/**
 * The GPU sequence kernels, forward and fused BPTT backward, for LSTM, GRU and RNN: one input
 * projection matmul for the whole sequence, then per timestep one recurrent matmul through the
 * backend and one gate shader (masks and reverse handled inside the shader); the backward pass runs
 * per timestep one shader and one matmul, and the weight gradients at the end as three
 * whole-sequence matmuls and a column sum. The same code drives webgl and webgpu.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CellKind, CellVariant } from '../cell_table.js';
import type { SequenceGradInputs, SequenceInputs } from '../kernel_names.js';
import { GpuScope, type GpuRunner } from './runner.js';
import {
  STATE_BLOCKS,
  carriesOf,
  gatesOf,
  type SequenceGeometry,
  carryGradShader,
  gateShader,
  outputShader,
  previousHiddenShader,
  stepGradShader,
} from './shaders.js';

/** The run and the cell variant (absent fields: the default variant). */
export interface GpuSequenceOptions extends Partial<CellVariant> {
  kind: CellKind;
  timeMajor: boolean;
  reverse: boolean;
  saveForBackward: boolean;
}

export const sizeOf = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

export function geometryOf(inputs: SequenceInputs, options: GpuSequenceOptions): SequenceGeometry {
  const [d0, d1] = inputs.x.shape;
  return {
    kind: options.kind,
    time: options.timeMajor ? d0 : d1,
    batch: options.timeMajor ? d1 : d0,
    hidden: inputs.h0.shape[1],
    activation: options.activation ?? 'tanh',
    recurrentActivation: options.recurrentActivation ?? 'sigmoid',
    timeMajor: options.timeMajor,
    reverse: options.reverse,
    hasMask: inputs.mask != null && sizeOf(inputs.mask) > 0,
  };
}

/** The reset-before GRU has its own driver (gru_reset_before_driver.ts; configs.ts picks it). */
function refuseResetBefore(options: GpuSequenceOptions): void {
  if (options.resetAfter === false) throw new Error('rnn-migrate: gpuSequenceForward/Backward compute the reset-after GRU; resetAfter: false runs gru_reset_before_driver.ts');
}

/** The timestep processed k-th. */
export const timestepAt = (g: SequenceGeometry, k: number) => (g.reverse ? g.time - 1 - k : k);

/** Flat [h0; c0]: the state the first processed step reads its carry from. */
export function initialState(scope: GpuScope, inputs: SequenceInputs): TensorInfo {
  const h0 = scope.flat(inputs.h0);
  return inputs.c0 ? scope.concat([h0, scope.flat(inputs.c0)], 0) : h0;
}

/** x as [time·batch, in], time-major rows. */
export function timeMajorRows(scope: GpuScope, g: SequenceGeometry, x: TensorInfo): TensorInfo {
  const xTm = g.timeMajor ? x : scope.transpose(x, [1, 0, 2]);
  return scope.reshape(xTm, [g.time * g.batch, x.shape[2]]);
}

/** Forward: [output, hT, (cT), workspace]. */
export function gpuSequenceForward(runner: GpuRunner, inputs: SequenceInputs, options: GpuSequenceOptions): TensorInfo[] {
  refuseResetBefore(options);
  const scope = new GpuScope(runner);
  const g = geometryOf(inputs, options);
  const { batch: B, hidden: H, time: T } = g;
  const BH = B * H;
  const K = STATE_BLOCKS[g.kind];
  const validMask = g.hasMask ? scope.flat(inputs.mask!) : undefined;
  const biasIn = scope.flat(inputs.bias);
  const xProj = scope.flat(scope.matMul(timeMajorRows(scope, g, inputs.x), inputs.kernel));
  const gate = gateShader(g);

  const states: TensorInfo[] = new Array(T);
  let previous = initialState(scope, inputs);
  for (let k = 0; k < T; k++) {
    const t = timestepAt(g, k);
    const stepStart = scope.mark();
    const hPrev = k === 0 ? inputs.h0 : scope.reshape(scope.slice(previous, [0], [BH]), [B, H]);
    const hProj = scope.flat(scope.matMul(hPrev, inputs.recurrentKernel));
    states[t] = scope.shader(gate, { xProj, hProj, biasIn, prevState: previous, validMask }, [t, T]);
    scope.releaseSince(stepStart, [states[t]]);
    previous = states[t];
  }
  const workspace = scope.concat(states, 0);
  const output = scope.reshape(scope.shader(outputShader(g), { workspace, validMask }, [T]), [
    inputs.x.shape[0],
    inputs.x.shape[1],
    H,
  ]);
  const lastBase = timestepAt(g, T - 1) * K * BH;
  const carries = [scope.reshape(scope.slice(workspace, [lastBase], [BH]), [B, H])];
  if (g.kind === 'lstm') carries.push(scope.reshape(scope.slice(workspace, [lastBase + BH], [BH]), [B, H]));
  const kept = [output, ...carries, options.saveForBackward ? workspace : scope.empty()];
  scope.close(kept);
  return kept;
}

/** A step's gradient has no dOutput (its h output is the carry); dhT is always passed. */
export type GpuSequenceGradInputs = SequenceGradInputs & { dhT: TensorInfo };

export function requireWorkspace(inputs: GpuSequenceGradInputs): void {
  if (sizeOf(inputs.workspace) === 0) {
    throw new Error(
      'rnn-migrate: the forward kernel kept no workspace (saveForBackward was false), so its gradient cannot be computed',
    );
  }
}

/** Fused BPTT: [dx, dKernel, dRecurrentKernel, dBias, dh0, (dc0)]. */
export function gpuSequenceBackward(runner: GpuRunner, inputs: GpuSequenceGradInputs, options: GpuSequenceOptions): TensorInfo[] {
  refuseResetBefore(options);
  requireWorkspace(inputs);
  const scope = new GpuScope(runner);
  const g = geometryOf(inputs, options);
  const { batch: B, hidden: H, time: T } = g;
  const BH = B * H;
  const GH = gatesOf(g.kind) * H;
  const inputSize = inputs.x.shape[2];
  const hasDOutput = inputs.dOutput != null && sizeOf(inputs.dOutput) > 0;
  const validMask = g.hasMask ? scope.flat(inputs.mask!) : undefined;
  const dOutput = hasDOutput ? scope.flat(inputs.dOutput!) : undefined;
  const workspace = inputs.workspace;
  const initState = initialState(scope, inputs);
  const stepGrad = stepGradShader(g, hasDOutput);
  const C = carriesOf(g.kind);
  const sides = g.kind === 'gru' ? 2 : 1;

  // One shader per timestep (stepGradShader): it finishes the carry gradient of the step handled
  // just before (from that step's dz·Rᵀ) and computes this step's dz. It starts from [dhT; dcT].
  let prevGrad = g.kind === 'lstm' ? scope.concat([scope.flat(inputs.dhT), scope.flat(inputs.dcT!)], 0) : scope.flat(inputs.dhT);
  let dhRec = prevGrad; // not read on the first step
  const gateGrads: TensorInfo[] = new Array(T);
  for (let k = T - 1; k >= 0; k--) {
    const t = timestepAt(g, k);
    const nextStep = k === T - 1 ? -1 : timestepAt(g, k + 1);
    const prevStep = k === 0 ? -1 : timestepAt(g, k - 1);
    const stepStart = scope.mark();
    const out = scope.shader(stepGrad, { workspace, initState, dOutput, prevGrad, dhRec, validMask }, [t, nextStep, prevStep, T]);
    const dz = scope.slice(out, [C * BH], [sides * B * GH]);
    // GRU: the recurrent side is the second half of dz.
    const dzRecurrent = g.kind === 'gru' ? scope.slice(out, [C * BH + B * GH], [B * GH]) : dz;
    const [prevGradUsed, dhRecUsed] = [prevGrad, dhRec];
    dhRec = scope.flat(scope.matMul(scope.reshape(dzRecurrent, [B, GH]), inputs.recurrentKernel, false, true));
    prevGrad = out;
    gateGrads[t] = dz;
    scope.releaseSince(stepStart, [out, dz, dhRec]);
    scope.release(prevGradUsed);
    if (dhRecUsed !== prevGradUsed) scope.release(dhRecUsed);
  }
  // The gradient reaching the initial carry: the carry pass of the first processed step.
  const firstStep = timestepAt(g, 0);
  const dhCarry = scope.slice(prevGrad, [0], [BH]);
  const dcCarry = g.kind === 'lstm' ? scope.slice(prevGrad, [BH], [BH]) : undefined;
  const initialGrad = scope.shader(
    carryGradShader(g, hasDOutput),
    { dhRec, workspace, dOutput, dhCarry, dcCarry, validMask },
    [firstStep, T],
  );
  const dInitial = [scope.reshape(scope.slice(initialGrad, [0], [BH]), [B, H])];
  if (g.kind === 'lstm') dInitial.push(scope.reshape(scope.slice(initialGrad, [BH], [BH]), [B, H]));

  // [T, sides, B, G·H] → per side, rows in time-major order.
  const allGateGrads = scope.concat(gateGrads, 0);
  let dzInput: TensorInfo;
  let dzRecurrent: TensorInfo;
  let dBias: TensorInfo;
  if (g.kind === 'gru') {
    const bySide = scope.transpose(scope.reshape(allGateGrads, [T, 2, B * GH]), [1, 0, 2]);
    dzInput = scope.reshape(scope.slice(bySide, [0, 0, 0], [1, T, B * GH]), [T * B, GH]);
    dzRecurrent = scope.reshape(scope.slice(bySide, [1, 0, 0], [1, T, B * GH]), [T * B, GH]);
    dBias = scope.sum(scope.reshape(bySide, [2, T * B, GH]), [1]);
  } else {
    dzInput = dzRecurrent = scope.reshape(allGateGrads, [T * B, GH]);
    dBias = scope.sum(dzInput, [0]);
  }
  const previousHidden = scope.reshape(scope.shader(previousHiddenShader(g), { workspace, initState }, [T]), [T * B, H]);
  const dRecurrentKernel = scope.matMul(previousHidden, dzRecurrent, true, false);
  const dKernel = scope.matMul(timeMajorRows(scope, g, inputs.x), dzInput, true, false);
  const dxRows = scope.reshape(scope.matMul(dzInput, inputs.kernel, false, true), [T, B, inputSize]);
  const dx = g.timeMajor ? dxRows : scope.transpose(dxRows, [1, 0, 2]);
  const kept = [
    dx,
    dKernel,
    dRecurrentKernel,
    dBias,
    ...dInitial,
  ];
  scope.close(kept);
  return kept;
}
