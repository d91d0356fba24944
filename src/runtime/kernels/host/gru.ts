/**
 * GRU on the host, forward and cuDNN-style backward (reset_after, gate blocks z, r, n;
 * bias [2, 3H] = [b0; b1]):
 *   z = σ(xKz + b0z + hRz + b1z),  r = σ(xKr + b0r + hRr + b1r)
 *   n = tanh(xKn + b0n + r⊙(hRn + b1n)),  h' = (1−z)⊙n + z⊙h
 *
 * Workspace (float32, all blocks in x's row layout, N = batch·time rows):
 *   [ gates N×3H: z, r, n after activation | hn N×H: hRn + b1n ]
 * The hidden carry each step started from is rebuilt in the backward from the saved output and h0
 * (previousHidden).
 */
import type { HostMath } from './host_math.js';
import {
  backwardSteps,
  carryGradient,
  forwardSteps,
  previousHidden,
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
import { gruBackwardSimd, gruForwardSimd } from './simd/gru.js';

/** Floats of the workspace kept for the backward: 4H per row of x. */
export function gruWorkspaceFloats(rows: number, hidden: number): number {
  return rows * 4 * hidden;
}

/** `a.bias` is [2, 3H]: the input bias row, then the recurrent bias row. */
export function gruForward(g: SequenceGeometry, a: HostCellInputs, saveForBackward: boolean, math: HostMath): HostForwardResult {
  const simd = simdPathFor(g, a.mask);
  if (simd) return gruForwardSimd(simd, g, a, saveForBackward, math);
  const H = g.hidden;
  const G = 3 * H;
  const rows = g.batch * g.time;
  const workspace = projectInputs(g, math, a, G, saveForBackward ? gruWorkspaceFloats(rows, H) : 0);
  const gates = workspace.subarray(0, rows * G);
  const hnSaved = saveForBackward ? workspace.subarray(rows * G, rows * (G + H)) : null;

  const inputBias = a.bias.subarray(0, G);
  const recurrentBias = a.bias.subarray(G, 2 * G);
  const h = Float32Array.from(a.h0);
  const output = new Float32Array(rows * H);
  const cellRow = (b: number, row: number, recurrent: Float32Array) => {
    const x = row * G;
    const r = b * G;
    const carry = b * H;
    for (let j = 0; j < H; j++) {
      const z = sigmoid(gates[x + j] + inputBias[j] + recurrent[r + j] + recurrentBias[j]);
      const reset = sigmoid(gates[x + H + j] + inputBias[H + j] + recurrent[r + H + j] + recurrentBias[H + j]);
      const hn = recurrent[r + 2 * H + j] + recurrentBias[2 * H + j];
      const n = Math.tanh(gates[x + 2 * H + j] + inputBias[2 * H + j] + reset * hn);
      const hNext = (1 - z) * n + z * h[carry + j];
      gates[x + j] = z;
      gates[x + H + j] = reset;
      gates[x + 2 * H + j] = n;
      if (hnSaved) hnSaved[row * H + j] = hn;
      h[carry + j] = hNext;
      output[row * H + j] = hNext;
    }
  };
  forwardSteps(g, math, a.mask, h, a.recurrentKernel, G, cellRow);
  return { output, h, workspace: saveForBackward ? workspace : new Float32Array(0) };
}

export function gruBackward(
  g: SequenceGeometry,
  a: HostCellInputs,
  workspace: Float32Array,
  upstream: HostUpstream,
  math: HostMath,
): WeightGradients & { dh0: Float32Array } {
  const simd = simdPathFor(g, a.mask);
  if (simd) return gruBackwardSimd(simd, g, a, workspace, upstream, math);
  const H = g.hidden;
  const G = 3 * H;
  const rows = g.batch * g.time;
  const gates = workspace.subarray(0, rows * G);
  const hnSaved = workspace.subarray(rows * G, rows * (G + H));
  const hPrev = previousHidden(g, a.output, a.h0, a.mask);
  const { dOutput } = upstream;

  const dh = carryGradient(upstream.dh, g.batch * H);
  // The reset gate scales only the recurrent part of n, so x·K + b0 and h·R + b1 get different
  // gradients (they differ in the n block by the factor r).
  const dInputProjection = new Float32Array(rows * G);
  const dRecurrentProjection = new Float32Array(rows * G);
  const cellRow = (b: number, row: number, dRecurrentStep: Float32Array) => {
    const x = row * G;
    const s = b * G;
    const carry = b * H;
    for (let j = 0; j < H; j++) {
      const z = gates[x + j];
      const reset = gates[x + H + j];
      const n = gates[x + 2 * H + j];
      const hn = hnSaved[row * H + j];
      const dhTotal = dh[carry + j] + (dOutput ? dOutput[row * H + j] : 0);
      const dnPre = dhTotal * (1 - z) * (1 - n * n);
      const dzPre = dhTotal * (hPrev[row * H + j] - n) * z * (1 - z);
      const drPre = dnPre * hn * reset * (1 - reset);
      dInputProjection[x + j] = dzPre;
      dInputProjection[x + H + j] = drPre;
      dInputProjection[x + 2 * H + j] = dnPre;
      dRecurrentStep[s + j] = dzPre;
      dRecurrentStep[s + H + j] = drPre;
      dRecurrentStep[s + 2 * H + j] = dnPre * reset;
      dh[carry + j] = dhTotal * z; // the direct path h → z⊙h
    }
  };
  backwardSteps(g, math, a.mask, dh, a.recurrentKernel, G, dRecurrentProjection, cellRow);
  const weights = weightGradients(math, g, G, a.x, a.kernel, hPrev, dInputProjection, dRecurrentProjection, { inputGradient: a.inputGradient });
  return { ...weights, dh0: dh };
}
