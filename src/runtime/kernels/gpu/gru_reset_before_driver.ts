/**
 * The reset-before GRU's GPU sequence kernels, forward and fused BPTT backward, in the style of
 * gpu_driver.ts: one input projection for the whole sequence (a step folds x·K into its shaders);
 * per timestep two programs each way, every product inside our own shaders, reading its operands
 * in place (gru_reset_before_shaders.ts): forward h·Rzr with the gates, (r⊙h)·Rn with the state;
 * backward dn·Rnᵀ, then [dz, dr]·Rzrᵀ with the carry and gate gradients. The weight gradients come
 * at the end as whole-sequence matmuls (dRn = Σ (r⊙h)ᵀ·dn) and a column sum.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { SequenceInputs } from '../kernel_names.js';
import {
  type GpuSequenceGradInputs,
  type GpuSequenceOptions,
  geometryOf,
  initialState,
  inputRows,
  lastCarries,
  requireWorkspace,
  sizeOf,
  timeMajorRows,
  timestepAt,
} from './gpu_driver.js';
import {
  resetBeforeCandidateGradShader,
  resetBeforeCarryGradShader,
  resetBeforeGateShader,
  resetBeforeStateShader,
  resetHiddenShader,
} from './gru_reset_before_shaders.js';
import { GpuScope, type GpuRunner } from './runner.js';
import { type SequenceGeometry, outputShader, previousHiddenShader, stateBlocksOf } from './shaders.js';
import { type StepOutputAt, StepOutputs } from './step_outputs.js';

/** Forward: [output, hT, workspace]. */
export function resetBeforeSequenceForward(runner: GpuRunner, inputs: SequenceInputs, options: GpuSequenceOptions): TensorInfo[] {
  const scope = new GpuScope(runner);
  // Without a gradient to come, each step's state is its h alone.
  const g: SequenceGeometry = { ...geometryOf(inputs, options), carriesOnly: !options.saveForBackward };
  const T = g.time;
  // What our shaders read at every step, in their form once (webgl: unpacked) instead of per step.
  const validMask = g.hasMask ? scope.flat(scope.readable(inputs.mask!)) : undefined;
  const biasIn = scope.flat(scope.readableWeight(inputs.bias));
  const recurrentKernel = scope.flat(scope.readableWeight(inputs.recurrentKernel));
  // One step: x·K inside its two shaders; longer: one matmul for all steps.
  const oneStep = T === 1;
  const inputSide = oneStep
    ? { x: scope.flat(inputs.x), kernel: scope.flat(scope.readableWeight(inputs.kernel)) }
    : { xProj: scope.flat(scope.readable(scope.matMul(inputRows(inputs.x, scope), inputs.kernel))) };
  const inputSize = oneStep ? inputs.x.shape[2] : 0;
  const gateSpec = resetBeforeGateShader(g, inputSize);
  const stateSpec = resetBeforeStateShader(g, inputSize);
  const h0 = scope.flat(inputs.h0);

  const states = new StepOutputs(scope, T, stateBlocksOf(g) * g.batch * g.hidden);
  for (let k = 0; k < T; k++) {
    const t = timestepAt(g, k);
    const stepStart = scope.mark();
    // h read in place: block 0 of the previous state (or h0).
    const prev = k === 0 ? { tensor: h0, offset: 0 } : states.at(timestepAt(g, k - 1));
    const gates = scope.shader(gateSpec, { ...inputSide, biasIn, prevState: prev.tensor, recurrentKernel }, [t, prev.offset, T]);
    const stateInputs = { ...inputSide, gates, biasIn, prevState: prev.tensor, recurrentKernel, validMask };
    states.write(t, stateSpec, stateInputs, [t, prev.offset, T], k === 0 ? [] : ['prevState']);
    scope.releaseSince(stepStart, [states.own(t)]);
  }
  const workspace = states.all();
  const output =
    options.outputSequence === false
      ? scope.empty()
      : scope.reshape(scope.shader(outputShader(g), { workspace, validMask }, [T]), [inputs.x.shape[0], inputs.x.shape[1], g.hidden]);
  const kept = [output, ...lastCarries(scope, g, states, workspace), options.saveForBackward ? workspace : scope.empty()];
  scope.close(kept);
  return kept;
}

/** Fused BPTT: [dx, dKernel, dRecurrentKernel, dBias, dh0]. */
export function resetBeforeSequenceBackward(runner: GpuRunner, inputs: GpuSequenceGradInputs, options: GpuSequenceOptions): TensorInfo[] {
  requireWorkspace(inputs);
  const scope = new GpuScope(runner);
  const g = geometryOf(inputs, options);
  const { batch: B, hidden: H, time: T } = g;
  const BH = B * H;
  const hasDOutput = inputs.dOutput != null && sizeOf(inputs.dOutput) > 0;
  // Read by both shaders of every step: unpacked once (webgl), not by each program.
  const validMask = g.hasMask ? scope.flat(scope.readable(inputs.mask!)) : undefined;
  const dOutput = hasDOutput ? scope.flat(scope.readable(inputs.dOutput!)) : undefined;
  const workspace = inputs.workspace;
  const initState = scope.readable(initialState(scope, inputs));
  const recurrentKernel = scope.flat(scope.readableWeight(inputs.recurrentKernel));
  const candidateGrad = resetBeforeCandidateGradShader(g, hasDOutput);
  const carryGrad = resetBeforeCarryGradShader(g);

  // Per timestep: [d(r⊙h), dhc] (candidateGrad), then [carry gradient into the step before |
  // dz, dr, dn] (carryGrad), whose carry gradient the next candidateGrad reads. It starts from dhT.
  let prevGrad: StepOutputAt = { tensor: scope.flat(inputs.dhT), offset: 0 };
  const stepGrads = new StepOutputs(scope, T, 4 * BH);
  for (let k = T - 1; k >= 0; k--) {
    const t = timestepAt(g, k);
    const prevStep = k === 0 ? -1 : timestepAt(g, k - 1);
    const gradA = scope.shader(candidateGrad, { workspace, dOutput, prevGrad: prevGrad.tensor, recurrentKernel, validMask }, [t, prevGrad.offset, T]);
    stepGrads.write(t, carryGrad, { gradA, workspace, initState, recurrentKernel, validMask }, [t, prevStep, T]);
    scope.release(gradA);
    prevGrad = stepGrads.at(t);
  }
  const dh0 = scope.reshape(scope.slice(prevGrad.tensor, [prevGrad.offset], [BH]), [B, H]);

  // Per timestep [dz, dr, dn] rows, in time order: the gradient of x·K + b, [T·B, 3H].
  const allStepGrads = scope.reshape(stepGrads.all(), [T, 4 * BH]);
  const dGates = scope.reshape(scope.slice(allStepGrads, [0, BH], [T, 3 * BH]), [T * B, 3 * H]);
  const dzr = scope.slice(dGates, [0, 0], [T * B, 2 * H]);
  const dn = scope.slice(dGates, [0, 2 * H], [T * B, H]);
  const dBias = scope.sum(dGates, [0]);
  const previousHidden = scope.reshape(scope.shader(previousHiddenShader(g), { workspace, initState }, [T]), [T * B, H]);
  const resetHidden = scope.reshape(scope.shader(resetHiddenShader(g), { workspace, validMask }, [T]), [T * B, H]);
  const dRecurrentKernel = scope.concat(
    [scope.matMul(previousHidden, dzr, true, false), scope.matMul(resetHidden, dn, true, false)],
    1,
  );
  const dKernel = scope.matMul(timeMajorRows(scope, g, inputs.x), dGates, true, false);
  const dxRows = scope.reshape(scope.matMul(dGates, inputs.kernel, false, true), [T, B, inputs.x.shape[2]]);
  const dx = g.timeMajor ? dxRows : scope.transpose(dxRows, [1, 0, 2]);
  const kept = [dx, dKernel, dRecurrentKernel, dBias, dh0];
  scope.close(kept);
  return kept;
}
