/**
 * GRU on the host (reset after, gate blocks z, r, n; bias [2, 3H] = [b0; b1]; σ the recurrent
 * activation, act the activation):
 *   z = σ(xKz + b0z + hRz + b1z),  r = σ(xKr + b0r + hRr + b1r)
 *   n = act(xKn + b0n + r⊙(hRn + b1n)),  h' = (1−z)⊙n + z⊙h
 *
 * Workspace (x's row layout, all rows of a block before the next):
 *   [ gates 3H per row: z, r, n after activation | hn H per row: hRn + b1n ]
 */
import type { CellVariant } from '../../cell_table.js';
import type { HostCellSpec, SimdCellSpec } from '../cell_spec.js';
import { variantKey } from '../simd/gate_kernels.js';
import { batchStride } from '../simd/time_loops.js';
import { activate, activationSlope, gateActivation, gateGradient, simdSpecs } from './activations.js';
import { gruWorkspace, resetBeforeBackward, resetBeforeForward, resetBeforeSimd, resetBeforeWeightGradients } from './gru_reset_before.js';

/** The SIMD path with the gate kernels of one variant. */
const simdFor = (variant: CellVariant): SimdCellSpec => ({
  // The n gate keeps x·K and h·R apart: x·K is projected for the whole sequence up front.
  fusedProjection: false,
  forwardStep(k, { g, saveForBackward, workspace, output, carries: [h], product: recurrent, bias, scratch }, row0) {
    const H = g.hidden;
    const G = 3 * H;
    const rows = g.batch * g.time;
    k.gruForward[variantKey(variant)](workspace.ptr + row0 * G * 4, batchStride(g, G), recurrent.ptr, bias.ptr, bias.ptr + G * 4, h.ptr,
      output.ptr + row0 * H * 4, batchStride(g, H),
      saveForBackward ? workspace.ptr + (rows * G + row0 * H) * 4 : scratch.ptr, saveForBackward ? batchStride(g, H) : 0,
      g.batch, H * 4);
  },
  backwardFloatsPerRow: 0,
  // dh = z⊙dh (the direct path, left by the gate kernel) + dRec·Rᵀ (the driver's loop)
  backwardStep(k, { g, workspace, hPrev, dOutput, hasDOutput, dCarries: [dh], dRecurrentStep, dInputProjection: dIn, dRecurrentProjection: dRec }, row0) {
    const H = g.hidden;
    const G = 3 * H;
    const hnPtr = workspace.ptr + g.batch * g.time * G * 4;
    k.gruBackward[variantKey(variant)](
      workspace.ptr + row0 * G * 4, batchStride(g, G), hnPtr + row0 * H * 4, batchStride(g, H), hPrev.ptr + row0 * H * 4, batchStride(g, H),
      hasDOutput ? dOutput.ptr + row0 * H * 4 : dOutput.ptr, hasDOutput ? batchStride(g, H) : 0, dh.ptr,
      dIn.ptr + row0 * G * 4, batchStride(g, G), dRecurrentStep.ptr, dRec.ptr + row0 * G * 4, batchStride(g, G), g.batch, H * 4,
    );
  },
});
const simd = simdSpecs(simdFor);

export const gruHost: HostCellSpec = {
  sharedProjectionGradient: false,
  forwardRow(context) {
    if (!context.variant.resetAfter) return resetBeforeForward(context);
    const { g, variant, workspace: gates, saveForBackward, bias, carries: [h], output } = context;
    const sigmoid = gateActivation(variant.recurrentActivation);
    const { H, G, saved } = gruWorkspace(g, gates);
    const hnSaved = saveForBackward ? saved : null;
    const inputBias = bias.subarray(0, G);
    const recurrentBias = bias.subarray(G, 2 * G);
    return (b, row, recurrent) => {
      const x = row * G;
      const r = b * G;
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const z = sigmoid(gates[x + j] + inputBias[j] + recurrent[r + j] + recurrentBias[j]);
        const reset = sigmoid(gates[x + H + j] + inputBias[H + j] + recurrent[r + H + j] + recurrentBias[H + j]);
        const hn = recurrent[r + 2 * H + j] + recurrentBias[2 * H + j];
        const n = activate(gates[x + 2 * H + j] + inputBias[2 * H + j] + reset * hn, variant.activation);
        const hNext = (1 - z) * n + z * h[carry + j];
        gates[x + j] = z;
        gates[x + H + j] = reset;
        gates[x + 2 * H + j] = n;
        if (hnSaved) hnSaved[row * H + j] = hn;
        h[carry + j] = hNext;
        output[row * H + j] = hNext;
      }
    };
  },
  // The reset gate scales only the recurrent part of n, so x·K + b0 and h·R + b1 get different
  // gradients (they differ in the n block by the factor r).
  backwardRow(context) {
    if (!context.variant.resetAfter) return resetBeforeBackward(context);
    const { g, variant, workspace: gates, hPrev, dOutput, dCarries: [dh], dInputProjection } = context;
    const gateGrad = gateGradient(variant.recurrentActivation);
    const { H, G, saved: hnSaved } = gruWorkspace(g, gates);
    return (b, row, dRecurrentStep) => {
      const x = row * G;
      const s = b * G;
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[x + j];
        const reset = gates[x + H + j];
        const n = gates[x + 2 * H + j];
        const hn = hnSaved[row * H + j];
        const dhTotal = dh[carry + j] + (dOutput ? dOutput[row * H + j] : 0);
        const dnPre = dhTotal * (1 - z) * activationSlope(n, variant.activation);
        const dzPre = gateGrad(dhTotal * (hPrev[row * H + j] - n), z);
        const drPre = gateGrad(dnPre * hn, reset);
        dInputProjection[x + j] = dzPre;
        dInputProjection[x + H + j] = drPre;
        dInputProjection[x + 2 * H + j] = dnPre;
        dRecurrentStep[s + j] = dzPre;
        dRecurrentStep[s + H + j] = drPre;
        dRecurrentStep[s + 2 * H + j] = dnPre * reset;
        dh[carry + j] = dhTotal * z; // the direct path h → z⊙h
      }
    };
  },
  finishWeightGradients(context) {
    if (!context.variant.resetAfter) resetBeforeWeightGradients(context);
  },
  simd: (variant) => (variant.resetAfter ? simd(variant) : resetBeforeSimd(variant)),
};
