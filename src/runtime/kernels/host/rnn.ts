/**
 * Simple RNN on the host, forward and cuDNN-style backward:
 *   h' = act(x·K + h·R + b),  act ∈ tanh | relu | linear
 *
 * Workspace (float32, all blocks in x's row layout, N = batch·time rows):
 *   [ activated N×H: h' before masking ]
 * The hidden carry each step started from is rebuilt in the backward from the saved output and h0
 * (previousHidden).
 */
import type { RnnActivation } from '../kernel_names.js';
import type { HostMath } from './host_math.js';
import {
  backwardSteps,
  carryGradient,
  forwardSteps,
  previousHidden,
  projectInputs,
  weightGradients,
  type HostCellInputs,
  type HostForwardResult,
  type HostUpstream,
  type SequenceGeometry,
  type WeightGradients,
} from './sequence.js';
import { simdPathFor } from './simd/driver.js';
import { rnnBackwardSimd, rnnForwardSimd } from './simd/rnn.js';

function activate(v: number, activation: RnnActivation): number {
  return activation === 'tanh' ? Math.tanh(v) : activation === 'relu' ? (v > 0 ? v : 0) : v;
}

/** act'(z) written in terms of a = act(z). */
function activationSlope(a: number, activation: RnnActivation): number {
  return activation === 'tanh' ? 1 - a * a : activation === 'relu' ? (a > 0 ? 1 : 0) : 1;
}

/** Floats of the workspace kept for the backward: H per row of x. */
export function rnnWorkspaceFloats(rows: number, hidden: number): number {
  return rows * hidden;
}

export function rnnForward(
  g: SequenceGeometry,
  a: HostCellInputs,
  activation: RnnActivation,
  saveForBackward: boolean,
  math: HostMath,
): HostForwardResult {
  const simd = activation === 'tanh' ? simdPathFor(g, a.mask) : null;
  if (simd) return rnnForwardSimd(simd, g, a, saveForBackward, math);
  const H = g.hidden;
  const rows = g.batch * g.time;
  const workspace = projectInputs(g, math, a, H, saveForBackward ? rnnWorkspaceFloats(rows, H) : 0);
  const activated = workspace.subarray(0, rows * H);

  const h = Float32Array.from(a.h0);
  const output = new Float32Array(rows * H);
  const cellRow = (b: number, row: number, recurrent: Float32Array) => {
    for (let j = 0; j < H; j++) {
      const hNext = activate(activated[row * H + j] + recurrent[b * H + j] + a.bias[j], activation);
      activated[row * H + j] = hNext;
      h[b * H + j] = hNext;
      output[row * H + j] = hNext;
    }
  };
  forwardSteps(g, math, a.mask, h, a.recurrentKernel, H, cellRow);
  return { output, h, workspace: saveForBackward ? workspace : new Float32Array(0) };
}

export function rnnBackward(
  g: SequenceGeometry,
  a: HostCellInputs,
  activation: RnnActivation,
  workspace: Float32Array,
  upstream: HostUpstream,
  math: HostMath,
): WeightGradients & { dh0: Float32Array } {
  const simd = activation === 'tanh' ? simdPathFor(g, a.mask) : null;
  if (simd) return rnnBackwardSimd(simd, g, a, workspace, upstream, math);
  const H = g.hidden;
  const rows = g.batch * g.time;
  const activated = workspace.subarray(0, rows * H);
  const { dOutput } = upstream;

  const dh = carryGradient(upstream.dh, g.batch * H);
  const dPreActivation = new Float32Array(rows * H);
  const cellRow = (b: number, row: number, dStep: Float32Array) => {
    for (let j = 0; j < H; j++) {
      const dhTotal = dh[b * H + j] + (dOutput ? dOutput[row * H + j] : 0);
      dStep[b * H + j] = dhTotal * activationSlope(activated[row * H + j], activation);
      dh[b * H + j] = 0; // h reaches the next step only through h·R
    }
  };
  backwardSteps(g, math, a.mask, dh, a.recurrentKernel, H, dPreActivation, cellRow);
  const hPrev = previousHidden(g, a.output, a.h0, a.mask);
  const weights = weightGradients(math, g, H, a.x, a.kernel, hPrev, dPreActivation, dPreActivation, { inputGradient: a.inputGradient });
  return { ...weights, dh0: dh };
}
