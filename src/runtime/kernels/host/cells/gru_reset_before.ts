/**
 * The reset-before GRU on the host (tf.layers, Keras reset_after=False; gate blocks z, r, n; bias
 * [3H]; σ the recurrent activation, act the activation):
 *   z = σ(xKz + bz + hRz),  r = σ(xKr + br + hRr)
 *   n = act(xKn + bn + (r⊙h)Rn),  h' = (1−z)⊙n + z⊙h
 * (r⊙h)·Rn needs r first: a second product inside the step (TwoPhaseRows). The driver's h·R
 * covers R's z and r columns only ([batch, 2H], recurrentProductGates of the cell table).
 * Backward: d(r⊙h) = dn·Rnᵀ (the second product), dRn = Σ (r⊙h)ᵀ·dn (finishWeightGradients).
 *
 * Workspace (x's row layout, all rows of a block before the next):
 *   [ gates 3H per row: z, r, n after activation | rh H per row: r⊙h ]
 * The SIMD path runs the same steps with two gate kernels per pass (simd/gru_reset_before_kernels.ts).
 */
import type { CellVariant } from '../../cell_table.js';
import type { BackwardRowContext, ForwardRowContext, SimdCellSpec, TwoPhaseRows, WeightGradientContext } from '../cell_spec.js';
import type { SequenceGeometry } from '../geometry.js';
import { variantKey } from '../simd/gate_kernels.js';
import { batchStride } from '../simd/time_loops.js';
import { activate, activationSlope, gateActivation, gateGradient, simdSpecs } from './activations.js';

/** Rn, the n columns of R [H, 3H], as a dense [H, H]. */
function candidateKernel(recurrentKernel: Float32Array, H: number): Float32Array {
  const rn = new Float32Array(H * H);
  for (let k = 0; k < H; k++) rn.set(recurrentKernel.subarray(k * 3 * H + 2 * H, k * 3 * H + 3 * H), k * H);
  return rn;
}

/**
 * Both GRU forms' sizes and the workspace block after the gates: [rows, H] of what the backward
 * reads besides them (hn = hRn + b1n reset-after, r⊙h reset-before; empty when nothing is saved).
 */
export function gruWorkspace(g: SequenceGeometry, workspace: Float32Array): { H: number; G: number; saved: Float32Array } {
  const H = g.hidden;
  const G = 3 * H;
  const rows = g.batch * g.time;
  return { H, G, saved: workspace.subarray(rows * G, rows * (G + H)) };
}

export function resetBeforeForward(context: ForwardRowContext): TwoPhaseRows {
  // Not destructured: R is read (out of the backend) only if the driver asks for `weight`.
  const { g, variant, workspace: gates, saveForBackward, bias, carries: [h], output } = context;
  const { H, G, saved } = gruWorkspace(g, gates);
  const rhSaved = saveForBackward ? saved : null;
  const sigmoid = gateActivation(variant.recurrentActivation);
  const act = variant.activation;
  const operand = new Float32Array(g.batch * H);
  return {
    operand,
    weight: () => candidateKernel(context.recurrentKernel, H),
    rows(b, row, recurrent) {
      const x = row * G;
      const r = b * 2 * H; // h·R covers z and r only
      for (let j = 0; j < H; j++) {
        const z = sigmoid(gates[x + j] + bias[j] + recurrent[r + j]);
        const reset = sigmoid(gates[x + H + j] + bias[H + j] + recurrent[r + H + j]);
        gates[x + j] = z;
        gates[x + H + j] = reset;
        const rh = reset * h[b * H + j];
        operand[b * H + j] = rh;
        if (rhSaved) rhSaved[row * H + j] = rh;
      }
    },
    finish(b, row, rhRn) {
      const x = row * G;
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[x + j];
        const n = activate(gates[x + 2 * H + j] + bias[2 * H + j] + rhRn[carry + j], act);
        const hNext = (1 - z) * n + z * h[carry + j];
        gates[x + 2 * H + j] = n;
        h[carry + j] = hNext;
        output[row * H + j] = hNext;
      }
    },
  };
}

/**
 * `rows`: dn and dz (the gradient of x·K + b and of h·R agree on z; h·R has no n columns), dn
 * into the operand; `finish`: with d(r⊙h) = dn·Rnᵀ, dr and the direct paths z⊙dh + r⊙d(r⊙h).
 */
export function resetBeforeBackward(context: BackwardRowContext): TwoPhaseRows {
  const { g, variant, workspace: gates, hPrev, dOutput, dCarries: [dh], dInputProjection } = context;
  const { H, G } = gruWorkspace(g, gates);
  const gateGrad = gateGradient(variant.recurrentActivation);
  const act = variant.activation;
  const operand = new Float32Array(g.batch * H);
  let dRecurrentStep: Float32Array = new Float32Array(0);
  return {
    operand,
    weight: () => candidateKernel(context.recurrentKernel, H),
    rows(b, row, dStep) {
      dRecurrentStep = dStep;
      const x = row * G;
      const s = b * 2 * H; // the gradient of h·R's z and r columns
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[x + j];
        const n = gates[x + 2 * H + j];
        const dhTotal = dh[carry + j] + (dOutput ? dOutput[row * H + j] : 0);
        const dnPre = dhTotal * (1 - z) * activationSlope(n, act);
        const dzPre = gateGrad(dhTotal * (hPrev[row * H + j] - n), z);
        dInputProjection[x + j] = dzPre;
        dInputProjection[x + 2 * H + j] = dnPre;
        dStep[s + j] = dzPre;
        operand[carry + j] = dnPre;
        dh[carry + j] = dhTotal * z; // the direct path h → z⊙h
      }
    },
    finish(b, row, dRh) {
      const x = row * G;
      const s = b * 2 * H;
      const carry = b * H;
      for (let j = 0; j < H; j++) {
        const reset = gates[x + H + j];
        const drPre = gateGrad(dRh[carry + j] * hPrev[row * H + j], reset);
        dInputProjection[x + H + j] = drPre;
        dRecurrentStep[s + H + j] = drPre;
        dh[carry + j] += dRh[carry + j] * reset; // the path h → r⊙h
      }
    },
  };
}

/** dRn += (r⊙h)ᵀ · dn over all rows (the driver's weight gradient had zeros there: h·R has no n columns). */
export function resetBeforeWeightGradients({ g, workspace, dInputProjection, dRecurrentKernel, matmul }: WeightGradientContext): void {
  const { H, G, saved: rh } = gruWorkspace(g, workspace);
  const rows = g.batch * g.time;
  const dn = new Float32Array(rows * H);
  for (let row = 0; row < rows; row++) dn.set(dInputProjection.subarray(row * G + 2 * H, row * G + 3 * H), row * H);
  const dRn = new Float32Array(H * H);
  matmul(rh, dn, dRn, H, rows, H, { transposeA: true });
  for (let k = 0; k < H; k++) {
    for (let j = 0; j < H; j++) dRecurrentKernel[k * G + 2 * H + j] += dRn[k * H + j];
  }
}

/** The SIMD path: x·K is projected up front (the workspace's first block), as for the reset-after GRU. */
export const resetBeforeSimd = simdSpecs((variant: CellVariant): SimdCellSpec => ({
  fusedProjection: false,
  secondWeight: candidateKernel,
  forwardStep(k, { g, saveForBackward, workspace, output, carries: [h], product, bias, scratch, second }, row0) {
    const H = g.hidden;
    const G = 3 * H;
    const rows = g.batch * g.time;
    const kernels = k.gruResetBefore[variantKey(variant)];
    const gates = workspace.ptr + row0 * G * 4;
    kernels.gates(gates, batchStride(g, G), product.ptr, bias.ptr, h.ptr,
      saveForBackward ? workspace.ptr + (rows * G + row0 * H) * 4 : scratch.ptr, saveForBackward ? batchStride(g, H) : 0,
      second!.operand.ptr, g.batch, H * 4);
    second!.run();
    kernels.output(gates, batchStride(g, G), second!.product.ptr, bias.ptr, h.ptr, output.ptr + row0 * H * 4, batchStride(g, H), g.batch, H * 4);
  },
  backwardFloatsPerRow: 0,
  backwardStep(k, { g, workspace, hPrev, dOutput, hasDOutput, dCarries: [dh], dRecurrentStep, dInputProjection: dIn, dRecurrentProjection: dRec, second }, row0) {
    const H = g.hidden;
    const G = 3 * H;
    const kernels = k.gruResetBefore[variantKey(variant)];
    const gates = workspace.ptr + row0 * G * 4;
    const hp = hPrev.ptr + row0 * H * 4;
    kernels.backwardN(gates, batchStride(g, G), hp, batchStride(g, H), hasDOutput ? dOutput.ptr + row0 * H * 4 : dOutput.ptr,
      hasDOutput ? batchStride(g, H) : 0, dh.ptr, dIn.ptr + row0 * G * 4, batchStride(g, G), dRecurrentStep.ptr, dRec.ptr + row0 * G * 4,
      batchStride(g, G), second!.operand.ptr, g.batch, H * 4);
    second!.run();
    kernels.backwardR(gates, batchStride(g, G), hp, batchStride(g, H), second!.product.ptr, dh.ptr, dIn.ptr + row0 * G * 4, batchStride(g, G),
      dRecurrentStep.ptr, dRec.ptr + row0 * G * 4, batchStride(g, G), g.batch, H * 4);
  },
}));
