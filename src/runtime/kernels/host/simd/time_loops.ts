/**
 * The time loops of the SIMD path of the host driver: the byte stride between batch rows of one
 * timestep in x's row layout, the forward loops (with and without the input projection fused into
 * the recurrent product), the reverse loop, and the transposed projection gradients for the
 * weight-gradient GEMM.
 */
import { prepareRight, type HostMath, type PreparedMatmul } from '../host_math.js';
import { scratch } from '../scratch.js';
import { recurrentProduct, stepForms, type ForwardWeights } from '../time_loops.js';
import { rowOf, timeAt, type SequenceGeometry } from '../geometry.js';
import type { WeightGradientOptions } from '../weight_gradients.js';
import type { ArenaBuffer } from './arena.js';
import type { SimdGateKernels } from './gate_kernels.js';

/** Bytes from batch row b to b+1 of the same timestep, for blocks of `width` floats per row. */
export function batchStride(g: SequenceGeometry, width: number): number {
  return (g.timeMajor ? 1 : g.time) * width * 4;
}

/**
 * The forward time loop of the SIMD path: per step (in processing order) h·R goes into
 * `recurrent` (timesR: recurrentProduct, released here), then `step(row0)` runs the gate kernel
 * on the rows of that timestep (row0 = the row of batch 0).
 */
export function forwardLoop(g: SequenceGeometry, timesR: PreparedMatmul, h: ArenaBuffer, recurrent: ArenaBuffer, step: (row0: number) => void): void {
  try {
    for (let k = 0; k < g.time; k++) {
      timesR.run(h.view, recurrent.view, g.batch);
      step(rowOf(g, 0, timeAt(g, k)));
    }
  } finally {
    timesR.release();
  }
}

/**
 * The forward time loop of a cell that reads x_t·K + h·R as one sum (LSTM, RNN) when x·K for all
 * timesteps is already in `inputProjection` ([rows, gates], x's row layout): per step (in
 * processing order) `product` gets this step's rows of it plus h·R, then `step(row0)` runs the
 * gate kernel. At small batch h·R is a GEMV bound by reading R; this reads R alone per step (the
 * fused loop reads [K; R]), and x·K runs as one GEMM at full efficiency.
 */
export function projectedForwardLoop(g: SequenceGeometry, math: HostMath, weights: ForwardWeights, gates: number, inputProjection: Float32Array,
  h: ArenaBuffer, product: ArenaBuffer, step: (row0: number) => void): void {
  const timesR = recurrentProduct(g, math, weights, gates);
  try {
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      for (let b = 0; b < g.batch; b++) {
        const row = rowOf(g, b, t);
        product.view.set(inputProjection.subarray(row * gates, row * gates + gates), b * gates);
      }
      timesR.run(h.view, product.view, g.batch, true);
      step(rowOf(g, 0, t));
    }
  } finally {
    timesR.release();
  }
}

/**
 * The forward time loop with the input projection fused into the recurrent product (LSTM, RNN):
 * per step (in processing order) [x_t | h]·[K; R] ([batch, D + H]·[D + H, gates], [K; R] prepared
 * once per weight lifetime where the caller keeps it (on the product stepForms picks), else once
 * per call) goes into `product`, then `step(row0)` runs the gate kernel. One product of depth D + H
 * per step runs closer to the GEMM's peak than a separate x·K of depth D (≈ 25 vs 33 GFLOP/s on
 * wasm) and needs no [N, gates] block of projections, so inference allocates none. Not for GRU,
 * whose n gate keeps x·K and h·R apart.
 */
export function fusedForwardLoop(g: SequenceGeometry, math: HostMath, a: ForwardWeights, gates: number, h: ArenaBuffer, product: ArenaBuffer,
  step: (row0: number) => void): void {
  const D = g.inputSize;
  const H = g.hidden;
  const width = D + H;
  const times = stepForms(g, a)?.stackedProduct() ?? prepareRight(math, stackedWeights(a, D, H, gates), width, gates);
  const x = a.x;
  const left = new Float32Array(g.batch * width);
  try {
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      for (let b = 0; b < g.batch; b++) {
        const row = rowOf(g, b, t);
        left.set(x.subarray(row * D, row * D + D), b * width);
        left.set(h.view.subarray(b * H, b * H + H), b * width + D);
      }
      times.run(left, product.view, g.batch);
      step(rowOf(g, 0, t));
    }
  } finally {
    times.release();
  }
}

/** [K; R] [D + H, gates] in scratch (copied again by prepareRight). */
function stackedWeights(a: ForwardWeights, D: number, H: number, gates: number): Float32Array {
  const stacked = scratch('stacked weights', (D + H) * gates);
  stacked.set(a.kernel.subarray(0, D * gates));
  stacked.set(a.recurrentKernel.subarray(0, H * gates), D * gates);
  return stacked;
}

/**
 * The reverse loop of the SIMD path: `step(row0)` writes the gradient of h·R for this timestep
 * into dRecurrentStep [batch, gates] and leaves in dh what reaches the previous h directly; then
 * dh += dRecurrentStep·Rᵀ (timesRT: recurrentTransposedProduct, released here).
 */
export function backwardLoop(g: SequenceGeometry, timesRT: PreparedMatmul, dh: Float32Array,
  dRecurrentStep: Float32Array, step: (row0: number) => void): void {
  try {
    for (let k = g.time - 1; k >= 0; k--) {
      step(rowOf(g, 0, timeAt(g, k)));
      timesRT.run(dRecurrentStep, dh, g.batch, true);
    }
  } finally {
    timesRT.release();
  }
}

/** Copies an upstream gradient into the arena, zeros where it is absent. */
export function loadUpstream(target: ArenaBuffer, upstream: Float32Array | null): void {
  if (upstream) target.view.set(upstream);
  else target.view.fill(0);
}

/**
 * Floats to allocate for the transpose of an [rows, gates] projection gradient: all of it when the
 * SIMD transpose applies (rows a multiple of 4; gates always are), else none.
 */
export function transposeFloats(rows: number, gates: number): number {
  return rows % 4 === 0 ? rows * gates : 0;
}

/**
 * The weight-gradient options of a SIMD backward: `inputGradient` from the inputs, and the
 * projection gradients ([rows, gates] each, arena buffers) transposed into the given targets when
 * they were allocated (transposeFloats). LSTM and RNN pass one projection for both.
 */
export function weightGradientOptions(simd: SimdGateKernels, rows: number, gates: number, inputGradient: boolean | undefined,
  projections: Array<[source: ArenaBuffer, target: ArenaBuffer]>): WeightGradientOptions {
  const options: WeightGradientOptions = { inputGradient };
  if (transposeFloats(rows, gates) === 0) return options;
  for (const [source, target] of projections) simd.transpose(source.ptr, rows, gates, target.ptr);
  const input = projections[0][1].view;
  options.transposed = { input, recurrent: projections.length > 1 ? projections[1][1].view : input };
  return options;
}
