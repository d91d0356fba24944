/**
 * The LSTM host kernels with the per-step gate math in WebAssembly SIMD (gate_kernels.ts): the same
 * equations, workspace layout and matmuls as ../lstm.ts, which remains the reference and the path
 * for masked sequences and hidden sizes that are not a multiple of 4.
 *
 * Every buffer the gate math touches lives in the SIMD module's memory (one arena allocation per
 * kernel call); the results are copied out before returning, since the next kernel call reuses
 * the arena.
 */
import type { HostMath } from '../host_math.js';
import { previousHidden, rowOf, timeAt, weightGradients, type SequenceGeometry, type WeightGradients } from '../sequence.js';
import type { LstmHostForward, LstmHostInputs, LstmHostUpstream } from '../lstm.js';
import { allocate, subBuffer, type SimdGateKernels } from './gate_kernels.js';
import { backwardLoop, batchStride, fusedForwardLoop, loadUpstream, transposeFloats, weightGradientOptions } from './driver.js';

export function lstmForwardSimd(simd: SimdGateKernels, g: SequenceGeometry, a: LstmHostInputs, saveForBackward: boolean, math: HostMath): LstmHostForward {
  const H = g.hidden;
  const G = 4 * H;
  const rows = g.batch * g.time;
  const [workspace, output, h, c, product, bias] = allocate(simd, [
    saveForBackward ? rows * G : 0, rows * H, g.batch * H, g.batch * H, g.batch * G, G,
  ]);
  h.view.set(a.h0);
  c.view.set(a.c0);
  bias.view.set(a.bias);

  // The activations go to the workspace's gate rows when kept, else over the product itself.
  fusedForwardLoop(g, math, a.x, a.kernel, a.recurrentKernel, G, h, product, (row0) =>
    simd.lstmForward(product.ptr, G * 4, bias.ptr, c.ptr, h.ptr, output.ptr + row0 * H * 4, batchStride(g, H),
      saveForBackward ? workspace.ptr + row0 * G * 4 : product.ptr, saveForBackward ? batchStride(g, G) : G * 4, g.batch, H * 4));
  return {
    output: output.view,
    h: h.view,
    c: c.view,
    workspace: saveForBackward ? workspace.view : new Float32Array(0),
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
  // The gate gradients overwrite the gates block of this private copy of the workspace: the
  // kernel loads a lane's four gates before it stores their gradients at the same addresses.
  const [workspace, dGatesStep, dh, dc, dOut, dGatesTransposed, hPrevious] = allocate(simd, [
    rows * (G + H), g.batch * G, g.batch * H, g.batch * H, dOutput ? rows * H : H, transposeFloats(rows, G), rows * H,
  ]);
  workspace.view.set(savedWorkspace.subarray(0, rows * G));
  const cPrevPtr = workspace.ptr + rows * G * 4;
  // The cell carry each step started from, recomputed forward from c0 (dc serves as the carry).
  dc.view.set(a.c0);
  for (let k = 0; k < g.time; k++) {
    const row0 = rowOf(g, 0, timeAt(g, k));
    simd.lstmCarry(workspace.ptr + row0 * G * 4, batchStride(g, G), dc.ptr, cPrevPtr + row0 * H * 4, batchStride(g, H), g.batch, H * 4);
  }
  loadUpstream(dh, upstream.dh);
  loadUpstream(dc, upstream.dc);
  loadUpstream(dOut, dOutput); // absent: one zero row read with stride 0

  // The gate kernel zeroes dh: h reaches the previous step only through h·R.
  backwardLoop(g, math, a.recurrentKernel, G, dh.view, dGatesStep.view, (row0) =>
    simd.lstmBackward(
      workspace.ptr + row0 * G * 4, batchStride(g, G),
      cPrevPtr + row0 * H * 4, batchStride(g, H),
      dOutput ? dOut.ptr + row0 * H * 4 : dOut.ptr, dOutput ? batchStride(g, H) : 0,
      dh.ptr, dc.ptr, dGatesStep.ptr, workspace.ptr + row0 * G * 4, batchStride(g, G), g.batch, H * 4,
    ));
  const hPrev = previousHidden(g, a.output, a.h0, null, hPrevious.view);
  const dGates = subBuffer(workspace, 0, rows * G);
  const options = weightGradientOptions(simd, rows, G, a.inputGradient, [[dGates, dGatesTransposed]]);
  const weights = weightGradients(math, g, G, a.x, a.kernel, hPrev, dGates.view, dGates.view, options);
  return { ...weights, dh0: dh.view.slice(), dc0: dc.view.slice() };
}
