/**
 * The reset-before GRU's GPU sequence kernels, forward and fused BPTT backward, in the style of
 * gpu_driver.ts: one input projection for the whole sequence; per timestep h·Rzr, the gate shader,
 * (r⊙h)·Rn and the state shader (gru_reset_before_shaders.ts); backward per timestep the dz/dn
 * shader, dn·Rnᵀ, the dr/carry shader and [dz, dr]·Rzrᵀ; the weight gradients at the end as
 * whole-sequence matmuls (dRn = Σ (r⊙h)ᵀ·dn) and a column sum. Rzr (the z and r columns of R) and
 * Rn (its n columns) are sliced once per call.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { SequenceInputs } from '../kernel_names.js';
import {
  type GpuSequenceGradInputs,
  type GpuSequenceOptions,
  geometryOf,
  initialState,
  requireWorkspace,
  sizeOf,
  timeMajorRows,
  timestepAt,
} from './gpu_driver.js';
import {
  resetBeforeGateShader,
  resetBeforeInitialGradShader,
  resetBeforeResetGradShader,
  resetBeforeStateShader,
  resetBeforeStepGradShader,
  resetHiddenShader,
} from './gru_reset_before_shaders.js';
import { GpuScope, type GpuRunner } from './runner.js';
import { STATE_BLOCKS, outputShader, previousHiddenShader } from './shaders.js';

/** R [H, 3H] as its z, r columns [H, 2H] and its n columns [H, H]. */
function splitRecurrentKernel(scope: GpuScope, recurrentKernel: TensorInfo, H: number): { gatesKernel: TensorInfo; candidateKernel: TensorInfo } {
  return {
    gatesKernel: scope.slice(recurrentKernel, [0, 0], [H, 2 * H]),
    candidateKernel: scope.slice(recurrentKernel, [0, 2 * H], [H, H]),
  };
}

/** Forward: [output, hT, workspace]. */
export function resetBeforeSequenceForward(runner: GpuRunner, inputs: SequenceInputs, options: GpuSequenceOptions): TensorInfo[] {
  const scope = new GpuScope(runner);
  const g = geometryOf(inputs, options);
  const { batch: B, hidden: H, time: T } = g;
  const BH = B * H;
  // What our shaders read at every step, in their form once (webgl: unpacked) instead of per step.
  const validMask = g.hasMask ? scope.flat(scope.readable(inputs.mask!)) : undefined;
  const biasIn = scope.flat(scope.readable(inputs.bias));
  const { gatesKernel, candidateKernel } = splitRecurrentKernel(scope, inputs.recurrentKernel, H);
  const xProj = scope.flat(scope.readable(scope.matMul(timeMajorRows(scope, g, inputs.x), inputs.kernel)));
  const gateSpec = resetBeforeGateShader(g);
  const stateSpec = resetBeforeStateShader(g);

  const states: TensorInfo[] = new Array(T);
  let previous = initialState(scope, inputs);
  for (let k = 0; k < T; k++) {
    const t = timestepAt(g, k);
    const stepStart = scope.mark();
    const hPrev = k === 0 ? inputs.h0 : scope.reshape(scope.slice(previous, [0], [BH]), [B, H]);
    const hProj = scope.flat(scope.matMul(hPrev, gatesKernel));
    const gates = scope.shader(gateSpec, { xProj, hProj, biasIn, prevState: previous }, [t, T]);
    const resetHidden = scope.reshape(scope.slice(gates, [2 * BH], [BH]), [B, H]);
    const rhProj = scope.flat(scope.matMul(resetHidden, candidateKernel));
    states[t] = scope.shader(stateSpec, { xProj, gates, rhProj, biasIn, prevState: previous, validMask }, [t, T]);
    scope.releaseSince(stepStart, [states[t]]);
    previous = states[t];
  }
  const workspace = scope.concat(states, 0);
  const output =
    options.outputSequence === false
      ? scope.empty()
      : scope.reshape(scope.shader(outputShader(g), { workspace, validMask }, [T]), [inputs.x.shape[0], inputs.x.shape[1], H]);
  const lastBase = timestepAt(g, T - 1) * STATE_BLOCKS.gru * BH;
  const hT = scope.reshape(scope.slice(workspace, [lastBase], [BH]), [B, H]);
  const kept = [output, hT, options.saveForBackward ? workspace : scope.empty()];
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
  const { gatesKernel, candidateKernel } = splitRecurrentKernel(scope, inputs.recurrentKernel, H);
  const stepGrad = resetBeforeStepGradShader(g, hasDOutput);
  const resetGrad = resetBeforeResetGradShader(g);

  // Per timestep: [dhc, dz, dn] (stepGrad, which first finishes the carry gradient of the step
  // handled just before), d(r⊙h) = dn·Rnᵀ, [partial carry gradient | dz, dr | dn] (resetGrad), and
  // [dz, dr]·Rzrᵀ, which the next stepGrad adds to the partial. It starts from dhT.
  let prevGrad = scope.flat(inputs.dhT);
  let dhRec = prevGrad; // not read on the first step
  const gateGrads: TensorInfo[] = new Array(T);
  for (let k = T - 1; k >= 0; k--) {
    const t = timestepAt(g, k);
    const nextStep = k === T - 1 ? -1 : timestepAt(g, k + 1);
    const prevStep = k === 0 ? -1 : timestepAt(g, k - 1);
    const stepStart = scope.mark();
    const gradA = scope.shader(stepGrad, { workspace, initState, dOutput, prevGrad, dhRec, validMask }, [t, nextStep, prevStep, T]);
    const dn = scope.reshape(scope.slice(gradA, [2 * BH], [BH]), [B, H]);
    const dRh = scope.flat(scope.matMul(dn, candidateKernel, false, true));
    const out = scope.shader(resetGrad, { gradA, dRh, workspace, initState, validMask }, [t, prevStep, T]);
    const dzr = scope.reshape(scope.slice(out, [BH], [2 * BH]), [B, 2 * H]);
    const [prevGradUsed, dhRecUsed] = [prevGrad, dhRec];
    dhRec = scope.flat(scope.matMul(dzr, gatesKernel, false, true));
    prevGrad = out;
    gateGrads[t] = scope.slice(out, [BH], [3 * BH]);
    scope.releaseSince(stepStart, [out, gateGrads[t], dhRec]);
    scope.release(prevGradUsed);
    if (dhRecUsed !== prevGradUsed) scope.release(dhRecUsed);
  }
  const dh0 = scope.reshape(
    scope.shader(resetBeforeInitialGradShader(g), { partial: prevGrad, dhRec, validMask }, [timestepAt(g, 0), T]),
    [B, H],
  );

  // Per timestep [dz, dr | dn] rows, in time order: the gradient of x·K + b, [T·B, 3H].
  const allGateGrads = scope.reshape(scope.concat(gateGrads, 0), [T, 3 * BH]);
  const dzr = scope.reshape(scope.slice(allGateGrads, [0, 0], [T, 2 * BH]), [T * B, 2 * H]);
  const dn = scope.reshape(scope.slice(allGateGrads, [0, 2 * BH], [T, BH]), [T * B, H]);
  const dGates = scope.concat([dzr, dn], 1);
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
