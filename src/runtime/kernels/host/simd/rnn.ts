/**
 * The tanh RNN host kernels with the per-step math in WebAssembly SIMD (gate_kernels.ts): the
 * equations, workspace layout and matmuls of ../rnn.ts, which remains the reference and the path
 * for relu / linear, masked sequences and hidden sizes that are not a multiple of 4.
 */
import type { HostMath } from '../host_math.js';
import { previousHidden, weightGradients, type HostCellInputs, type HostForwardResult, type HostUpstream, type SequenceGeometry, type WeightGradients } from '../sequence.js';
import { allocate, type SimdGateKernels } from './gate_kernels.js';
import { backwardLoop, batchStride, fusedForwardLoop, loadUpstream, transposeFloats, weightGradientOptions } from './driver.js';

export function rnnForwardSimd(simd: SimdGateKernels, g: SequenceGeometry, a: HostCellInputs, saveForBackward: boolean, math: HostMath): HostForwardResult {
  const H = g.hidden;
  const rows = g.batch * g.time;
  const [workspace, output, h, product, bias] = allocate(simd, [saveForBackward ? rows * H : 0, rows * H, g.batch * H, g.batch * H, H]);
  h.view.set(a.h0);
  bias.view.set(a.bias);

  // The activations go to the workspace rows when kept, else over the product itself.
  fusedForwardLoop(g, math, a.x, a.kernel, a.recurrentKernel, H, h, product, (row0) =>
    simd.rnnForward(product.ptr, H * 4, bias.ptr, h.ptr, output.ptr + row0 * H * 4, batchStride(g, H),
      saveForBackward ? workspace.ptr + row0 * H * 4 : product.ptr, saveForBackward ? batchStride(g, H) : H * 4, g.batch, H * 4));
  return { output: output.view, h: h.view, workspace: saveForBackward ? workspace.view : new Float32Array(0) };
}

export function rnnBackwardSimd(
  simd: SimdGateKernels,
  g: SequenceGeometry,
  a: HostCellInputs,
  savedWorkspace: Float32Array,
  upstream: HostUpstream,
  math: HostMath,
): WeightGradients & { dh0: Float32Array } {
  const H = g.hidden;
  const rows = g.batch * g.time;
  const { dOutput } = upstream;
  const [workspace, dProj, dStep, dh, dOut, dProjTransposed, hPrevious] = allocate(simd, [
    rows * H, rows * H, g.batch * H, g.batch * H, dOutput ? rows * H : H, transposeFloats(rows, H), rows * H,
  ]);
  workspace.view.set(savedWorkspace.subarray(0, rows * H));
  loadUpstream(dh, upstream.dh);
  loadUpstream(dOut, dOutput); // absent: one zero row read with stride 0

  // The kernel zeroes dh: h reaches the previous step only through h·R.
  backwardLoop(g, math, a.recurrentKernel, H, dh.view, dStep.view, (row0) =>
    simd.rnnBackward(workspace.ptr + row0 * H * 4, batchStride(g, H), dOutput ? dOut.ptr + row0 * H * 4 : dOut.ptr, dOutput ? batchStride(g, H) : 0,
      dh.ptr, dStep.ptr, dProj.ptr + row0 * H * 4, batchStride(g, H), g.batch, H * 4));
  const hPrev = previousHidden(g, a.output, a.h0, null, hPrevious.view);
  const options = weightGradientOptions(simd, rows, H, a.inputGradient, [[dProj, dProjTransposed]]);
  const weights = weightGradients(math, g, H, a.x, a.kernel, hPrev, dProj.view, dProj.view, options);
  return { ...weights, dh0: dh.view.slice() };
}
