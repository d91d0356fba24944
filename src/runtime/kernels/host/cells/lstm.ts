/**
 * LSTM on the host (gate blocks i, f, g, o; σ the recurrent activation: the logistic sigmoid or
 * the hard sigmoid clip(0.2x + 0.5, 0, 1); act the activation: tanh, relu or linear):
 *   z = x·K + b + h·R;  i = σ(z_i), f = σ(z_f), g = act(z_g), o = σ(z_o)
 *   c' = f⊙c + i⊙g;     h' = o⊙act(c')
 *
 * Workspace (x's row layout): the gates 4H per row, i, f, g, o after activation. Nothing else: the
 * backward recomputes the cell carry each step started from out of them and c0 (previousCell
 * here, the lstm_carry SIMD kernel on that path: one elementwise pass, against H floats per row
 * kept from forward to backward); the driver rebuilds the hidden carry from the output and h0.
 */
import type { CellVariant } from '../../cell_table.js';
import type { HostCellSpec, SimdCellSpec } from '../cell_spec.js';
import { isValid, rowOf, timeAt, type SequenceGeometry } from '../geometry.js';
import { variantKey } from '../simd/gate_kernels.js';
import { batchStride } from '../simd/time_loops.js';
import { activate, activationSlope, gateActivation, gateGradient, simdSpecs } from './activations.js';

/**
 * The cell carry each step started from, [N, H] in x's row layout, recomputed from the gate
 * activations: c0 for a row's first processed step, then c' = f⊙c + i⊙g after each valid step (a
 * masked step keeps the carry; its gate rows are never read). Rounded to float32 at every step as
 * the forward's carry is.
 */
function previousCell(g: SequenceGeometry, gates: Float32Array, c0: Float32Array, mask: Float32Array | null): Float32Array {
  const target = new Float32Array(g.batch * g.time * g.hidden);
  const H = g.hidden;
  const G = 4 * H;
  const c = new Float32Array(H);
  for (let b = 0; b < g.batch; b++) {
    c.set(c0.subarray(b * H, b * H + H));
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      const row = rowOf(g, b, t);
      target.set(c, row * H);
      if (!isValid(mask, g, b, t)) continue;
      const z = row * G;
      for (let j = 0; j < H; j++) c[j] = gates[z + H + j] * c[j] + gates[z + j] * gates[z + 2 * H + j];
    }
  }
  return target;
}

/** The SIMD path with the gate kernels of one variant. */
const simdFor = (variant: CellVariant): SimdCellSpec => ({
  fusedProjection: true,
  // The activations go to the workspace's gate rows when kept, else over the product itself.
  forwardStep(k, { g, saveForBackward, workspace, output, carries: [h, c], product, bias }, row0) {
    const H = g.hidden;
    const G = 4 * H;
    k.lstmForward[variantKey(variant)](product.ptr, G * 4, bias.ptr, c.ptr, h.ptr, output.ptr + row0 * H * 4, batchStride(g, H),
      saveForBackward ? workspace.ptr + row0 * G * 4 : product.ptr, saveForBackward ? batchStride(g, G) : G * 4, g.batch, H * 4);
  },
  backwardFloatsPerRow: 1,
  // The cell carry each step started from, recomputed forward from c0 (dc serves as the carry).
  beforeBackward(k, { g, workspace, extra: cPrev, initialCarries, dCarries: [, dc] }) {
    const H = g.hidden;
    const G = 4 * H;
    dc.view.set(initialCarries[1]);
    for (let step = 0; step < g.time; step++) {
      const row0 = rowOf(g, 0, timeAt(g, step));
      k.lstmCarry(workspace.ptr + row0 * G * 4, batchStride(g, G), dc.ptr, cPrev.ptr + row0 * H * 4, batchStride(g, H), g.batch, H * 4);
    }
  },
  // The gate kernel zeroes dh: h reaches the previous step only through h·R.
  backwardStep(k, { g, workspace, extra: cPrev, dOutput, hasDOutput, dCarries: [dh, dc], dRecurrentStep, dInputProjection }, row0) {
    const H = g.hidden;
    const G = 4 * H;
    k.lstmBackward[variantKey(variant)](
      workspace.ptr + row0 * G * 4, batchStride(g, G),
      cPrev.ptr + row0 * H * 4, batchStride(g, H),
      hasDOutput ? dOutput.ptr + row0 * H * 4 : dOutput.ptr, hasDOutput ? batchStride(g, H) : 0,
      dh.ptr, dc.ptr, dRecurrentStep.ptr, dInputProjection.ptr + row0 * G * 4, batchStride(g, G), g.batch, H * 4,
    );
  },
});
const simd = simdSpecs(simdFor);

export const lstmHost: HostCellSpec = {
  sharedProjectionGradient: true,
  forwardRow({ g, variant, workspace: gates, bias, carries: [h, c], output }) {
    const H = g.hidden;
    const G = 4 * H;
    const sigmoid = gateActivation(variant.recurrentActivation);
    const act = variant.activation;
    return (b, row, recurrent) => {
      const z = row * G;
      const r = b * G;
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[z + j] + recurrent[r + j] + bias[j]);
        const f = sigmoid(gates[z + H + j] + recurrent[r + H + j] + bias[H + j]);
        const gg = activate(gates[z + 2 * H + j] + recurrent[r + 2 * H + j] + bias[2 * H + j], act);
        const o = sigmoid(gates[z + 3 * H + j] + recurrent[r + 3 * H + j] + bias[3 * H + j]);
        const cNext = f * c[carry + j] + i * gg;
        const hNext = o * activate(cNext, act);
        gates[z + j] = i;
        gates[z + H + j] = f;
        gates[z + 2 * H + j] = gg;
        gates[z + 3 * H + j] = o;
        c[carry + j] = cNext;
        h[carry + j] = hNext;
        output[row * H + j] = hNext;
      }
    };
  },
  // The gradient of the gate pre-activations is that of x·K + b and of h·R alike.
  backwardRow({ g, variant, workspace: gates, initialCarries, mask, dOutput, dCarries: [dh, dc] }) {
    const H = g.hidden;
    const G = 4 * H;
    const gateGrad = gateGradient(variant.recurrentActivation);
    const act = variant.activation;
    const cPrev = previousCell(g, gates, initialCarries[1], mask);
    return (b, row, dGatesStep) => {
      const z = row * G;
      const s = b * G;
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const i = gates[z + j];
        const f = gates[z + H + j];
        const gg = gates[z + 2 * H + j];
        const o = gates[z + 3 * H + j];
        const cBefore = cPrev[row * H + j];
        const actC = activate(f * cBefore + i * gg, act);
        const dhTotal = dh[carry + j] + (dOutput ? dOutput[row * H + j] : 0);
        const dcTotal = dc[carry + j] + dhTotal * o * activationSlope(actC, act);
        dGatesStep[s + j] = gateGrad(dcTotal * gg, i);
        dGatesStep[s + H + j] = gateGrad(dcTotal * cBefore, f);
        dGatesStep[s + 2 * H + j] = dcTotal * i * activationSlope(gg, act);
        dGatesStep[s + 3 * H + j] = gateGrad(dhTotal * actC, o);
        dc[carry + j] = dcTotal * f;
        dh[carry + j] = 0; // h reaches the next step only through h·R
      }
    };
  },
  simd: (variant) => simd(variant),
};
