/**
 * The GRU host kernels with the per-step gate math in WebAssembly SIMD (gate_kernels.ts): the
 * equations, workspace layout and matmuls of ../gru.ts, which remains the reference and the path
 * for masked sequences and hidden sizes that are not a multiple of 4.
 */
import type { HostMath } from '../host_math.js';
import { previousHidden, weightGradients, type HostCellInputs, type HostForwardResult, type HostUpstream, type SequenceGeometry, type WeightGradients } from '../sequence.js';
import { allocate, type SimdGateKernels } from './gate_kernels.js';
import { backwardLoop, batchStride, forwardLoop, loadUpstream, transposeFloats, weightGradientOptions } from './driver.js';

export function gruForwardSimd(simd: SimdGateKernels, g: SequenceGeometry, a: HostCellInputs, saveForBackward: boolean, math: HostMath): HostForwardResult {
  const H = g.hidden;
  const G = 3 * H;
  const rows = g.batch * g.time;
  const [workspace, output, h, recurrent, bias, hnScratch] = allocate(simd, [
    rows * (saveForBackward ? G + H : G), rows * H, g.batch * H, g.batch * G, 2 * G, H,
  ]);
  math.matmul(a.x, a.kernel, workspace.view.subarray(0, rows * G), rows, g.inputSize, G);
  h.view.set(a.h0);
  bias.view.set(a.bias);

  forwardLoop(g, math, a.recurrentKernel, G, h, recurrent, (row0) =>
    simd.gruForward(workspace.ptr + row0 * G * 4, batchStride(g, G), recurrent.ptr, bias.ptr, bias.ptr + G * 4, h.ptr,
      output.ptr + row0 * H * 4, batchStride(g, H),
      saveForBackward ? workspace.ptr + (rows * G + row0 * H) * 4 : hnScratch.ptr, saveForBackward ? batchStride(g, H) : 0,
      g.batch, H * 4));
  return { output: output.view, h: h.view, workspace: saveForBackward ? workspace.view : new Float32Array(0) };
}

export function gruBackwardSimd(
  simd: SimdGateKernels,
  g: SequenceGeometry,
  a: HostCellInputs,
  savedWorkspace: Float32Array,
  upstream: HostUpstream,
  math: HostMath,
): WeightGradients & { dh0: Float32Array } {
  const H = g.hidden;
  const G = 3 * H;
  const rows = g.batch * g.time;
  const { dOutput } = upstream;
  const [workspace, dIn, dRec, dRecStep, dh, dOut, dInTransposed, dRecTransposed] = allocate(simd, [
    rows * (G + 2 * H), rows * G, rows * G, g.batch * G, g.batch * H, dOutput ? rows * H : H, transposeFloats(rows, G), transposeFloats(rows, G),
  ]);
  // The saved [gates | hn], then the rebuilt hPrev block after them in the arena.
  workspace.view.set(savedWorkspace.subarray(0, rows * (G + H)));
  const hPrev = previousHidden(g, a.output, a.h0, null, workspace.view.subarray(rows * (G + H), rows * (G + 2 * H)));
  loadUpstream(dh, upstream.dh);
  loadUpstream(dOut, dOutput); // absent: one zero row read with stride 0
  const hnPtr = workspace.ptr + rows * G * 4;
  const hPrevPtr = hnPtr + rows * H * 4;

  // dh = z⊙dh (the direct path, left by the gate kernel) + dRec·Rᵀ
  backwardLoop(g, math, a.recurrentKernel, G, dh.view, dRecStep.view, (row0) =>
    simd.gruBackward(
      workspace.ptr + row0 * G * 4, batchStride(g, G), hnPtr + row0 * H * 4, batchStride(g, H), hPrevPtr + row0 * H * 4, batchStride(g, H),
      dOutput ? dOut.ptr + row0 * H * 4 : dOut.ptr, dOutput ? batchStride(g, H) : 0, dh.ptr,
      dIn.ptr + row0 * G * 4, batchStride(g, G), dRecStep.ptr, dRec.ptr + row0 * G * 4, batchStride(g, G), g.batch, H * 4,
    ));
  const options = weightGradientOptions(simd, rows, G, a.inputGradient, [[dIn, dInTransposed], [dRec, dRecTransposed]]);
  const weights = weightGradients(math, g, G, a.x, a.kernel, hPrev, dIn.view, dRec.view, options);
  return { ...weights, dh0: dh.view.slice() };
}
