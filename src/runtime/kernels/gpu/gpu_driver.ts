/**
 * The GPU sequence kernels, forward and fused BPTT backward, for LSTM, GRU and RNN: one input
 * projection matmul for the whole sequence, then per timestep two programs, the recurrent product
 * (product_shaders.ts, reading h in place) and one gate shader (masks and reverse handled inside
 * the shader); the backward pass runs per timestep the same two (step gradient, dz·Rᵀ), and the
 * weight gradients at the end as three whole-sequence matmuls and a column sum. A sequence of one
 * step (cell.step) folds x·K into its product. The same code drives webgl and webgpu; the steps'
 * states and gradients go into one tensor each (step_outputs.ts: in place on webgpu).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CellKind, CellVariant } from '../cell_table.js';
import type { SequenceGradInputs, SequenceInputs } from '../kernel_names.js';
import { GpuScope, type GpuRunner } from './runner.js';
import { type StepOutputAt, StepOutputs } from './step_outputs.js';
import { recurrentGradProductShader, recurrentProductShader } from './product_shaders.js';
import {
  carriesOf,
  gatesOf,
  type SequenceGeometry,
  carryGradShader,
  gateShader,
  outputShader,
  previousHiddenShader,
  stateBlocksOf,
  stepGradShader,
} from './shaders.js';

/** The run and the cell variant (absent fields: the default variant). */
export interface GpuSequenceOptions extends Partial<CellVariant> {
  kind: CellKind;
  timeMajor: boolean;
  reverse: boolean;
  saveForBackward: boolean;
  /** False for a step: the output sequence (h again) is not computed. Default true. */
  outputSequence?: boolean;
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

/** Flat [h0; c0]: the initial state the backward shaders read the first step's carry from. */
export function initialState(scope: GpuScope, inputs: SequenceInputs): TensorInfo {
  const h0 = scope.flat(inputs.h0);
  return inputs.c0 ? scope.concat([h0, scope.flat(inputs.c0)], 0) : h0;
}

/** x as rows [batch·time, in] in its own layout (batch- or time-major): a reshape, no program. */
export function inputRows(x: TensorInfo, scope: GpuScope): TensorInfo {
  return scope.reshape(x, [x.shape[0] * x.shape[1], x.shape[2]]);
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
  // Without a gradient to come, each step's state holds only the carries.
  const g: SequenceGeometry = { ...geometryOf(inputs, options), carriesOnly: !options.saveForBackward };
  const { batch: B, hidden: H, time: T } = g;
  const BH = B * H;
  const lstm = g.kind === 'lstm';
  // What our shaders read at every step, in their form once (webgl: unpacked) instead of per step.
  const validMask = g.hasMask ? scope.flat(scope.readable(inputs.mask!)) : undefined;
  const biasIn = scope.flat(scope.readableWeight(inputs.bias));
  const recurrentKernel = scope.flat(scope.readableWeight(inputs.recurrentKernel));
  // One step: x·K goes into the step's product shader; longer: one matmul for all steps (on webgl
  // K then stays packed for it, while steps read the unpacked form kept for it: readableWeight).
  const oneStep = T === 1;
  const xProj = oneStep ? undefined : scope.flat(scope.readable(scope.matMul(inputRows(inputs.x, scope), inputs.kernel)));
  const stepInput = oneStep ? { x: scope.flat(inputs.x), kernel: scope.flat(scope.readableWeight(inputs.kernel)) } : {};
  const product = recurrentProductShader(g, oneStep ? inputs.x.shape[2] : 0);
  const gate = gateShader(g);
  const hProjAt = oneStep ? B * gatesOf(g.kind) * H : 0;
  const h0 = scope.flat(inputs.h0);
  const c0 = lstm ? scope.flat(inputs.c0!) : undefined;
  const gateUniforms = (t: number, prevAt: number, cellAt: number, firstBlock: number) => [t, hProjAt, firstBlock, prevAt, ...(lstm ? [cellAt] : []), T];
  // A step without a tape keeps only its carries. Where slicing two carries out of the state would
  // be two copy programs (webgpu), each carry is one run of a one-block gate shader instead.
  const carriesApart = options.outputSequence === false && !!g.carriesOnly && carriesOf(g.kind) > 1 && !runner.slicesAreViews;

  const states = new StepOutputs(scope, T, stateBlocksOf(g) * BH);
  for (let k = 0; k < T; k++) {
    const t = timestepAt(g, k);
    const stepStart = scope.mark();
    // The previous carries in place: h is block 0 of the previous state (or h0), c block 1 (or c0).
    const prev = k === 0 ? { tensor: h0, offset: 0 } : states.at(timestepAt(g, k - 1));
    const [prevCell, cellAt] = k === 0 ? [c0, 0] : [prev.tensor, prev.offset + BH];
    const hProj = scope.shader(product, { prevState: prev.tensor, recurrentKernel, ...stepInput }, [prev.offset]);
    const gateInputs = { xProj: xProj ?? hProj, hProj, biasIn, prevState: prev.tensor, prevCell, validMask };
    if (carriesApart) {
      const oneBlock = gateShader(g, 1);
      const carries = Array.from({ length: carriesOf(g.kind) }, (_, blk) => blk).map((blk) => scope.reshape(scope.shader(oneBlock, gateInputs, gateUniforms(t, 0, 0, blk)), [B, H]));
      const kept = [scope.empty(), ...carries, scope.empty()];
      scope.close(kept);
      return kept;
    }
    const fromEarlierSteps = k === 0 ? [] : lstm ? ['prevState', 'prevCell'] : ['prevState'];
    states.write(t, gate, gateInputs, gateUniforms(t, prev.offset, cellAt, 0), fromEarlierSteps);
    scope.releaseSince(stepStart, [states.own(t)]);
  }
  const workspace = states.all();
  const output =
    options.outputSequence === false
      ? scope.empty()
      : scope.reshape(scope.shader(outputShader(g), { workspace, validMask }, [T]), [inputs.x.shape[0], inputs.x.shape[1], H]);
  const kept = [output, ...lastCarries(scope, g, states, workspace), options.saveForBackward ? workspace : scope.empty()];
  scope.close(kept);
  return kept;
}

/**
 * The carries after the last processed step, each a tensor of its own: a lone carry (GRU, RNN) of
 * a carries-only run is that step's state itself where it is a tensor of its own; otherwise a
 * slice of the workspace (a view on webgl, a copy program on webgpu: a program has one output).
 */
export function lastCarries(scope: GpuScope, g: SequenceGeometry, states: StepOutputs, workspace: TensorInfo): TensorInfo[] {
  const BH = g.batch * g.hidden;
  const last = timestepAt(g, g.time - 1);
  const own = states.own(last);
  if (g.carriesOnly && carriesOf(g.kind) === 1 && own) return [scope.reshape(own, [g.batch, g.hidden])];
  const lastBase = last * stateBlocksOf(g) * BH;
  return Array.from({ length: carriesOf(g.kind) }, (_, c) => scope.reshape(scope.slice(workspace, [lastBase + c * BH], [BH]), [g.batch, g.hidden]));
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
  const validMask = g.hasMask ? scope.flat(scope.readable(inputs.mask!)) : undefined;
  const dOutput = hasDOutput ? scope.flat(scope.readable(inputs.dOutput!)) : undefined;
  const workspace = inputs.workspace;
  const initState = initialState(scope, inputs);
  const stepGrad = stepGradShader(g, hasDOutput);
  const gradProduct = recurrentGradProductShader(g);
  const recurrentKernel = scope.flat(scope.readableWeight(inputs.recurrentKernel));
  const C = carriesOf(g.kind);
  const sides = g.kind === 'gru' ? 2 : 1;

  // Two programs per timestep: stepGradShader finishes the carry gradient of the step handled just
  // before (from that step's dz·Rᵀ) and computes this step's dz; then dz·Rᵀ, reading dz in place.
  // It starts from [dhT; dcT]. The step outputs [carry gradient | dz] are kept whole for the
  // weight gradients (one slice of them all after the loop, not one per step).
  const firstGrad = g.kind === 'lstm' ? scope.concat([scope.flat(inputs.dhT), scope.flat(inputs.dcT!)], 0) : scope.flat(inputs.dhT);
  let prevGrad: StepOutputAt = { tensor: firstGrad, offset: 0 };
  let dhRec = firstGrad; // not read on the first step
  const stepGradSize = C * BH + sides * B * GH;
  const stepGrads = new StepOutputs(scope, T, stepGradSize);
  for (let k = T - 1; k >= 0; k--) {
    const t = timestepAt(g, k);
    const nextStep = k === T - 1 ? -1 : timestepAt(g, k + 1);
    const prevStep = k === 0 ? -1 : timestepAt(g, k - 1);
    const stepInputs = { workspace, initState, dOutput, prevGrad: prevGrad.tensor, dhRec, validMask };
    stepGrads.write(t, stepGrad, stepInputs, [t, nextStep, prevStep, prevGrad.offset, T], k === T - 1 ? [] : ['prevGrad']);
    const dhRecUsed = dhRec;
    prevGrad = stepGrads.at(t);
    dhRec = scope.shader(gradProduct, { stepGrad: prevGrad.tensor, recurrentKernel }, [prevGrad.offset]);
    if (dhRecUsed !== firstGrad) scope.release(dhRecUsed);
  }
  scope.release(firstGrad);
  // The gradient reaching the initial carry: the carry pass of the first processed step.
  const initialGrad = scope.shader(
    carryGradShader(g, hasDOutput),
    { dhRec, workspace, dOutput, prevGrad: prevGrad.tensor, validMask },
    [timestepAt(g, 0), prevGrad.offset, T],
  );
  const dInitial = [scope.reshape(scope.slice(initialGrad, [0], [BH]), [B, H])];
  if (g.kind === 'lstm') dInitial.push(scope.reshape(scope.slice(initialGrad, [BH], [BH]), [B, H]));

  // [T, sides, B, G·H] → per side, rows in time-major order.
  const allStepGrads = scope.reshape(stepGrads.all(), [T, stepGradSize]);
  const allGateGrads = scope.slice(allStepGrads, [0, C * BH], [T, sides * B * GH]);
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
