/**
 * The epilogue of the cuDNN-style backward pass: after the reverse loop, the weight and input
 * gradients as batched matmuls over all rows at once.
 */
import type { HostMath, PreparedMatmul } from './host_math.js';
import { scratch } from './scratch.js';
import type { SequenceGeometry } from './geometry.js';

export interface WeightGradients {
  /** Empty when the input gradient was not asked for (HostCellData.inputGradient false). */
  dx: Float32Array;
  /** The gradient of x·K + b, [N, G] in x's row layout (dx = dInputProjection · Kᵀ). */
  dInputProjection: Float32Array;
  dKernel: Float32Array;
  dRecurrentKernel: Float32Array;
  /** Column sums of dInputProjection: the gradient of the input bias. */
  dInputBias: Float32Array;
  /** Column sums of dRecurrentProjection: the gradient of the recurrent bias (GRU). */
  dRecurrentBias: Float32Array;
}

export interface WeightGradientOptions {
  /** False skips dx (see HostCellData.inputGradient); absent means true. */
  inputGradient?: boolean;
  /**
   * dInputProjectionᵀ and dRecurrentProjectionᵀ, [G, N] each (the same array when the projections
   * are), where the caller made them faster than the GEMM's operand copy would (SIMD transpose).
   */
  transposed?: { input: Float32Array; recurrent: Float32Array };
}

/**
 * After the reverse loop, every remaining gradient is a batched matmul over all N = batch·time
 * rows at once:
 *   dKernel = xᵀ · dInputProjection,  dx = dInputProjection · Kᵀ,
 *   dRecurrentKernel = hPrevᵀ · dRecurrentProjection,
 * where dInputProjection [N, G] is the gradient of x·K + b, dRecurrentProjection [N, G] that of
 * h·R (+ b1), hPrev [N, H] the carry each step started from, all in x's row layout.
 *
 * The weight gradients are computed transposed, dKernelᵀ = dInputProjectionᵀ · x: a GEMM packs its
 * right operand, and x [N, D] (and hPrev [N, H]) is 4–8× smaller than the gate gradients [N, G];
 * on the wasm backend repacking a [2048, 512] right operand per call cost more than the product.
 * When both projections share one gradient (LSTM, RNN) dKernel and dRecurrentKernel are a single
 * product with [x | hPrev].
 */
export function weightGradients(
  math: HostMath,
  g: SequenceGeometry,
  gates: number,
  x: Float32Array,
  /** ·Kᵀ for dx, asked for only when dx is (released here). */
  kernelTransposed: () => PreparedMatmul,
  hPrev: Float32Array,
  dInputProjection: Float32Array,
  dRecurrentProjection: Float32Array,
  { inputGradient = true, transposed }: WeightGradientOptions = {},
): WeightGradients {
  const rows = g.batch * g.time;
  const { inputSize, hidden } = g;
  const dKernel = new Float32Array(inputSize * gates);
  const dRecurrentKernel = new Float32Array(hidden * gates);
  if (dRecurrentProjection === dInputProjection) {
    const width = inputSize + hidden;
    const xh = scratch('weight-gradient operand', rows * width);
    for (let r = 0; r < rows; r++) {
      xh.set(x.subarray(r * inputSize, (r + 1) * inputSize), r * width);
      xh.set(hPrev.subarray(r * hidden, (r + 1) * hidden), r * width + inputSize);
    }
    const product = scratch('weight-gradient product', gates * width); // [G, D + H] = [dKernel | dRecurrentKernel]ᵀ
    if (transposed) math.matmul(transposed.input, xh, product, gates, rows, width);
    else math.matmul(dInputProjection, xh, product, gates, rows, width, { transposeA: true });
    transposeColumns(product, gates, width, 0, inputSize, dKernel);
    transposeColumns(product, gates, width, inputSize, hidden, dRecurrentKernel);
  } else {
    const productK = scratch('weight-gradient product', gates * inputSize);
    const productR = scratch('recurrent weight-gradient product', gates * hidden);
    if (transposed) {
      math.matmul(transposed.input, x, productK, gates, rows, inputSize);
      math.matmul(transposed.recurrent, hPrev, productR, gates, rows, hidden);
    } else {
      math.matmul(dInputProjection, x, productK, gates, rows, inputSize, { transposeA: true });
      math.matmul(dRecurrentProjection, hPrev, productR, gates, rows, hidden, { transposeA: true });
    }
    transposeColumns(productK, gates, inputSize, 0, inputSize, dKernel);
    transposeColumns(productR, gates, hidden, 0, hidden, dRecurrentKernel);
  }
  return {
    dx: inputGradient ? inputGradientOf(kernelTransposed(), dInputProjection, rows, inputSize) : new Float32Array(0),
    dInputProjection,
    dKernel,
    dRecurrentKernel,
    dInputBias: columnSums(dInputProjection, rows, gates),
    dRecurrentBias: dRecurrentProjection === dInputProjection ? new Float32Array(0) : columnSums(dRecurrentProjection, rows, gates),
  };
}

/** dx [rows, inputSize] = dInputProjection [rows, gates] · Kᵀ (timesKT: K [inputSize, gates] prepared transposed; released here). */
export function inputGradientOf(timesKT: PreparedMatmul, dInputProjection: Float32Array, rows: number, inputSize: number): Float32Array {
  const dx = new Float32Array(rows * inputSize);
  try {
    timesKT.run(dInputProjection, dx, rows);
  } finally {
    timesKT.release();
  }
  return dx;
}

/** Tile side of transposeColumns: a tile's rows of both sides stay in L1. */
const TRANSPOSE_TILE = 32;

/**
 * out[c, r] = m[r, first + c] for the `count` columns from `first` of m [rows, width], in
 * 32×32 tiles: row by row, every write is `rows` floats from the last, and at H = 512 (rows 2048)
 * the untiled loop took 15 ms of a 24 ms batch-1 backward on cpu.
 */
function transposeColumns(m: Float32Array, rows: number, width: number, first: number, count: number, out: Float32Array): void {
  for (let r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE) {
    const r1 = Math.min(r0 + TRANSPOSE_TILE, rows);
    for (let c0 = 0; c0 < count; c0 += TRANSPOSE_TILE) {
      const c1 = Math.min(c0 + TRANSPOSE_TILE, count);
      for (let c = c0; c < c1; c++) {
        const target = c * rows;
        const source = first + c;
        for (let r = r0; r < r1; r++) out[target + r] = m[r * width + source];
      }
    }
  }
}

function columnSums(values: Float32Array, rows: number, columns: number): Float32Array {
  const sums = new Float64Array(columns);
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    for (let j = 0; j < columns; j++) sums[j] += values[base + j];
  }
  return Float32Array.from(sums);
}
