/**
 * LSTM on the host, forward and cuDNN-style backward (gate blocks i, f, g, o; logistic sigmoid):
 *   z = x·K + b + h·R;  i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
 *   c' = f⊙c + i⊙g;     h' = o⊙tanh(c')
 *
 * Workspace (float32, x's row layout, N = batch·time rows): the gates N×4H, i, f, g, o after
 * activation. Nothing else: the backward recomputes the cell carry each step started from out of
 * them and c0 (previousCell here, the lstm_carry SIMD kernel on that path: one elementwise pass,
 * against N×H floats kept from forward to backward), and rebuilds the hidden carry from the saved
 * output and h0 (previousHidden).
 */
import type { HostMath } from './host_math.js';
import {
  backwardSteps,
  carryGradient,
  forwardSteps,
  isValid,
  previousHidden,
  rowOf,
  timeAt,
  projectInputs,
  sigmoid,
  weightGradients,
  type HostCellInputs,
  type HostForwardResult,
  type HostUpstream,
  type SequenceGeometry,
  type WeightGradients,
} from './sequence.js';
import { simdPathFor } from './simd/driver.js';
import { lstmBackwardSimd, lstmForwardSimd } from './simd/lstm.js';

export interface LstmHostInputs extends HostCellInputs {
  c0: Float32Array;
}
export interface LstmHostForward extends HostForwardResult {
  c: Float32Array;
}
export interface LstmHostUpstream extends HostUpstream {
  dc: Float32Array | null;
}

/** Floats of the workspace kept for the backward: 4H per row of x. */
export function lstmWorkspaceFloats(rows: number, hidden: number): number {
  return rows * 4 * hidden;
}

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

export function lstmForward(g: SequenceGeometry, a: LstmHostInputs, saveForBackward: boolean, math: HostMath): LstmHostForward {
  const simd = simdPathFor(g, a.mask);
  if (simd) return lstmForwardSimd(simd, g, a, saveForBackward, math);
  const H = g.hidden;
  const G = 4 * H;
  const rows = g.batch * g.time;
  const workspace = projectInputs(g, math, a, G, saveForBackward ? lstmWorkspaceFloats(rows, H) : 0);
  const gates = workspace.subarray(0, rows * G);

  const h = Float32Array.from(a.h0);
  const c = Float32Array.from(a.c0);
  const output = new Float32Array(rows * H);
  const bias = a.bias;
  const cellRow = (b: number, row: number, recurrent: Float32Array) => {
    const z = row * G;
    const r = b * G;
    const carry = b * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(gates[z + j] + recurrent[r + j] + bias[j]);
      const f = sigmoid(gates[z + H + j] + recurrent[r + H + j] + bias[H + j]);
      const gg = Math.tanh(gates[z + 2 * H + j] + recurrent[r + 2 * H + j] + bias[2 * H + j]);
      const o = sigmoid(gates[z + 3 * H + j] + recurrent[r + 3 * H + j] + bias[3 * H + j]);
      const cNext = f * c[carry + j] + i * gg;
      const hNext = o * Math.tanh(cNext);
      gates[z + j] = i;
      gates[z + H + j] = f;
      gates[z + 2 * H + j] = gg;
      gates[z + 3 * H + j] = o;
      c[carry + j] = cNext;
      h[carry + j] = hNext;
      output[row * H + j] = hNext;
    }
  };
  forwardSteps(g, math, a.mask, h, a.recurrentKernel, G, cellRow);
  return { output, h, c, workspace: saveForBackward ? workspace : new Float32Array(0) };
}

export function lstmBackward(
  g: SequenceGeometry,
  a: LstmHostInputs,
  workspace: Float32Array,
  upstream: LstmHostUpstream,
  math: HostMath,
): WeightGradients & { dh0: Float32Array; dc0: Float32Array } {
  const simd = simdPathFor(g, a.mask);
  if (simd) return lstmBackwardSimd(simd, g, a, workspace, upstream, math);
  const H = g.hidden;
  const G = 4 * H;
  const rows = g.batch * g.time;
  const gates = workspace.subarray(0, rows * G);
  const cPrev = previousCell(g, gates, a.c0, a.mask);
  const { dOutput } = upstream;

  const dh = carryGradient(upstream.dh, g.batch * H);
  const dc = carryGradient(upstream.dc, g.batch * H);
  // Gradient of the gate pre-activations = of x·K + b and of h·R alike.
  const dGates = new Float32Array(rows * G);
  const cellRow = (b: number, row: number, dGatesStep: Float32Array) => {
    const z = row * G;
    const s = b * G;
    const carry = b * H;
    for (let j = 0; j < H; j++) {
      const i = gates[z + j];
      const f = gates[z + H + j];
      const gg = gates[z + 2 * H + j];
      const o = gates[z + 3 * H + j];
      const cBefore = cPrev[row * H + j];
      const tanhC = Math.tanh(f * cBefore + i * gg);
      const dhTotal = dh[carry + j] + (dOutput ? dOutput[row * H + j] : 0);
      const dcTotal = dc[carry + j] + dhTotal * o * (1 - tanhC * tanhC);
      dGatesStep[s + j] = dcTotal * gg * i * (1 - i);
      dGatesStep[s + H + j] = dcTotal * cBefore * f * (1 - f);
      dGatesStep[s + 2 * H + j] = dcTotal * i * (1 - gg * gg);
      dGatesStep[s + 3 * H + j] = dhTotal * tanhC * o * (1 - o);
      dc[carry + j] = dcTotal * f;
      dh[carry + j] = 0; // h reaches the next step only through h·R
    }
  };
  backwardSteps(g, math, a.mask, dh, a.recurrentKernel, G, dGates, cellRow);
  const hPrev = previousHidden(g, a.output, a.h0, a.mask);
  const weights = weightGradients(math, g, G, a.x, a.kernel, hPrev, dGates, dGates, { inputGradient: a.inputGradient });
  return { ...weights, dh0: dh, dc0: dc };
}
