/**
 * The LSTM host kernels with the per-step gate math in WebAssembly SIMD (gate_kernels.ts): the same
 * equations, workspace layout and matmuls as ../lstm.ts, which remains the reference and the path
 * for masked sequences and hidden sizes that are not a multiple of 4.
 *
 * Every buffer the gate math touches lives in the SIMD module's memory (one arena allocation per
 * kernel call); the results are copied out before returning, since the next kernel call reuses
 * the arena.
 */
import { prepareRight, type HostMath } from '../host_math.js';
import { rowOf, timeAt, weightGradients, type SequenceGeometry, type WeightGradients } from '../sequence.js';
import type { LstmHostForward, LstmHostInputs, LstmHostUpstream } from '../lstm.js';
import { allocate, simdGateKernels, type SimdGateKernels } from './gate_kernels.js';

/** The SIMD kernels when they can run this case (no mask, H a multiple of 4), else null. */
export function lstmSimdFor(g: SequenceGeometry, mask: Float32Array | null): SimdGateKernels | null {
  if (mask !== null || g.hidden % 4 !== 0 || g.hidden === 0 || g.batch === 0 || g.time === 0) return null;
  return simdGateKernels();
}

/** Bytes from batch row b to b+1 of the same timestep, for blocks of `width` floats per row. */
function batchStride(g: SequenceGeometry, width: number): number {
  return (g.timeMajor ? 1 : g.time) * width * 4;
}

export function lstmForwardSimd(simd: SimdGateKernels, g: SequenceGeometry, a: LstmHostInputs, saveForBackward: boolean, math: HostMath): LstmHostForward {
  const H = g.hidden;
  const G = 4 * H;
  const rows = g.batch * g.time;
  const [workspace, output, h, c, recurrent, bias] = allocate(simd, [
    rows * (saveForBackward ? G + 2 * H : G), rows * H, g.batch * H, g.batch * H, g.batch * G, G,
  ]);
  const gates = workspace.view.subarray(0, rows * G);
  const hPrev = workspace.view.subarray(rows * G, rows * (G + H));
  const cPrev = workspace.view.subarray(rows * (G + H), rows * (G + 2 * H));
  math.matmul(a.x, a.kernel, gates, rows, g.inputSize, G);
  h.view.set(a.h0);
  c.view.set(a.c0);
  bias.view.set(a.bias);

  const timesR = prepareRight(math, a.recurrentKernel, H, G);
  try {
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      if (saveForBackward) {
        for (let b = 0; b < g.batch; b++) {
          const row = rowOf(g, b, t);
          hPrev.set(h.view.subarray(b * H, b * H + H), row * H);
          cPrev.set(c.view.subarray(b * H, b * H + H), row * H);
        }
      }
      timesR.run(h.view, recurrent.view, g.batch);
      const row0 = rowOf(g, 0, t);
      simd.lstmForward(workspace.ptr + row0 * G * 4, batchStride(g, G), recurrent.ptr, bias.ptr, c.ptr, h.ptr,
        output.ptr + row0 * H * 4, batchStride(g, H), g.batch, H * 4);
    }
  } finally {
    timesR.release();
  }
  return {
    output: output.view.slice(),
    h: h.view.slice(),
    c: c.view.slice(),
    workspace: saveForBackward ? workspace.view.slice() : new Float32Array(0),
  };
}

export function lstmBackwardSimd(
  simd: SimdGateKernels,
  g: SequenceGeometry,
  a: LstmHostInputs,
  savedWorkspace: Float32Array,
  upstream: LstmHostUpstream,
  math: HostMath,
): WeightGradients & { dh0: Float32Array; dc0: Float32Array } {
  const H = g.hidden;
  const G = 4 * H;
  const rows = g.batch * g.time;
  const { dOutput } = upstream;
  const [workspace, dGates, dGatesStep, dh, dc, dOut] = allocate(simd, [
    rows * (G + 2 * H), rows * G, g.batch * G, g.batch * H, g.batch * H, dOutput ? rows * H : H,
  ]);
  workspace.view.set(savedWorkspace.subarray(0, rows * (G + 2 * H)));
  if (upstream.dh) dh.view.set(upstream.dh);
  else dh.view.fill(0);
  if (upstream.dc) dc.view.set(upstream.dc);
  else dc.view.fill(0);
  if (dOutput) dOut.view.set(dOutput);
  else dOut.view.fill(0); // one zero row read with stride 0
  const hPrev = workspace.view.subarray(rows * G, rows * (G + H));
  const cPrevPtr = workspace.ptr + rows * G * 4 + rows * H * 4;

  const dhRecurrent = new Float32Array(g.batch * H);
  const timesRT = prepareRight(math, a.recurrentKernel, G, H, { transposeB: true });
  try {
    for (let k = g.time - 1; k >= 0; k--) {
      const row0 = rowOf(g, 0, timeAt(g, k));
      simd.lstmBackward(
        workspace.ptr + row0 * G * 4, batchStride(g, G),
        cPrevPtr + row0 * H * 4, batchStride(g, H),
        dOutput ? dOut.ptr + row0 * H * 4 : dOut.ptr, dOutput ? batchStride(g, H) : 0,
        dh.ptr, dc.ptr, dGatesStep.ptr, dGates.ptr + row0 * G * 4, batchStride(g, G), g.batch, H * 4,
      );
      // dh was zeroed by the gate kernel: it becomes the gradient through h·R alone.
      timesRT.run(dGatesStep.view, dhRecurrent, g.batch);
      dh.view.set(dhRecurrent);
    }
  } finally {
    timesRT.release();
  }
  const weights = weightGradients(math, g, G, a.x, a.kernel, hPrev, dGates.view, dGates.view);
  return { ...weights, dh0: dh.view.slice(), dc0: dc.view.slice() };
}
