/**
 * Simple RNN on the host: h' = act(x·K + h·R + b), act ∈ tanh | relu | linear (SIMD: tanh).
 *
 * Workspace (x's row layout): H per row, h' before masking (act(z), whose slope the backward needs).
 */
import type { HostCellSpec, SimdCellSpec } from '../cell_spec.js';
import { batchStride } from '../simd/time_loops.js';
import { activate, activationSlope } from './activations.js';

const simdTanh: SimdCellSpec = {
  fusedProjection: true,
  // The activations go to the workspace rows when kept, else over the product itself.
  forwardStep(k, { g, saveForBackward, workspace, output, carries: [h], product, bias }, row0) {
    const H = g.hidden;
    k.rnnForward(product.ptr, H * 4, bias.ptr, h.ptr, output.ptr + row0 * H * 4, batchStride(g, H),
      saveForBackward ? workspace.ptr + row0 * H * 4 : product.ptr, saveForBackward ? batchStride(g, H) : H * 4, g.batch, H * 4);
  },
  backwardFloatsPerRow: 0,
  // The kernel zeroes dh: h reaches the previous step only through h·R.
  backwardStep(k, { g, workspace, dOutput, hasDOutput, dCarries: [dh], dRecurrentStep, dInputProjection }, row0) {
    const H = g.hidden;
    k.rnnBackward(workspace.ptr + row0 * H * 4, batchStride(g, H), hasDOutput ? dOutput.ptr + row0 * H * 4 : dOutput.ptr,
      hasDOutput ? batchStride(g, H) : 0, dh.ptr, dRecurrentStep.ptr, dInputProjection.ptr + row0 * H * 4, batchStride(g, H), g.batch, H * 4);
  },
};

export const rnnHost: HostCellSpec = {
  sharedProjectionGradient: true,
  forwardRow({ g, variant: { activation }, workspace: activated, bias, carries: [h], output }) {
    const H = g.hidden;
    return (b, row, recurrent) => {
      for (let j = 0; j < H; j++) {
        const hNext = activate(activated[row * H + j] + recurrent[b * H + j] + bias[j], activation);
        activated[row * H + j] = hNext;
        h[b * H + j] = hNext;
        output[row * H + j] = hNext;
      }
    };
  },
  backwardRow({ g, variant: { activation }, workspace: activated, dOutput, dCarries: [dh] }) {
    const H = g.hidden;
    return (b, row, dStep) => {
      for (let j = 0; j < H; j++) {
        const dhTotal = dh[b * H + j] + (dOutput ? dOutput[row * H + j] : 0);
        dStep[b * H + j] = dhTotal * activationSlope(activated[row * H + j], activation);
        dh[b * H + j] = 0; // h reaches the next step only through h·R
      }
    };
  },
  simd: ({ activation }) => (activation === 'tanh' ? simdTanh : null),
};
