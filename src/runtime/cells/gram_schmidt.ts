/**
 * Modified Gram–Schmidt on the host, in float64: the QR behind the orthogonal initialiser. It does
 * exactly the arithmetic of the textbook column-by-column loop (each column projected against the
 * finished ones in order, each dot product summed in index order), so its results are bit for bit
 * those of that loop; only the order in which memory is visited differs, for speed:
 * - blocks of four columns (eight in SIMD) are projected against each finished column together,
 *   so that finished column is read once per block instead of once per column;
 * - one pass over memory both subtracts the previous projection and sums the next dot product
 *   (that sum needs the entries the subtraction has just written, which it reads in the same pass).
 * Plain loops over one Float64Array, no tensors; where WebAssembly SIMD runs, the block projection
 * (nearly all the work) runs as SIMD over a copy of the columns (gram_schmidt_simd.ts), to the
 * same bits.
 */
import { SIMD_BLOCK, simdColumns } from './gram_schmidt_simd.js';

const BLOCK = 4;

/** Which loops project the blocks: SIMD where it runs ('auto'), or one of them (tests compare both). */
export type GramSchmidtEngine = 'auto' | 'simd' | 'javascript';

/**
 * Orthonormalises, in place, the `count` columns of length `length` stored one after another in
 * `columns` (column j at offset j·length), first to last. The R factor this implies has a positive
 * diagonal: the sign convention that makes Q of a Gaussian matrix uniformly distributed (Keras').
 */
export function orthonormalizeColumns(columns: Float64Array, length: number, count: number, engine: GramSchmidtEngine = 'auto'): void {
  const size = length * count;
  if (columns.length < size) {
    throw new Error(`orthonormalizeColumns: expected at least ${length}·${count} = ${size} values, got ${columns.length}`);
  }
  const simd = engine === 'javascript' ? null : simdColumns(length, count);
  if (simd) {
    simd.values.set(columns.subarray(0, size));
    orthonormalizeBlocks(simd.values, length, count, SIMD_BLOCK, (first) => simd.projectBlock(first));
    columns.set(simd.values.subarray(0, size));
  } else if (engine === 'simd') {
    throw new Error('orthonormalizeColumns: WebAssembly SIMD is not available here');
  } else {
    orthonormalizeBlocks(columns, length, count, BLOCK, (first) => projectBlockOfFour(columns, length, first));
  }
}

/** Blocks of `block` columns: a full one projected on the finished columns by projectFullBlock, the rest column by column. */
function orthonormalizeBlocks(columns: Float64Array, length: number, count: number, block: number, projectFullBlock: (first: number) => void): void {
  for (let first = 0; first < count; first += block) {
    const end = Math.min(first + block, count);
    if (end - first === block && first > 0) projectFullBlock(first);
    else for (let j = first; j < end; j++) projectOut(columns, length, j, 0, first);
    for (let j = first; j < end; j++) {
      projectOut(columns, length, j, first, j);
      normalize(columns, length, j);
    }
  }
}

/** Column j minus its projections on the finished columns from..to−1, in that order. */
function projectOut(c: Float64Array, length: number, j: number, from: number, to: number): void {
  if (from >= to) return;
  const v = j * length;
  let q = from * length;
  let dot = 0;
  for (let i = 0; i < length; i++) dot += c[q + i] * c[v + i];
  for (let k = from + 1; k < to; k++) {
    const p = q;
    q = k * length;
    let next = 0;
    for (let i = 0; i < length; i++) {
      const value = c[v + i] - dot * c[p + i];
      c[v + i] = value;
      next += c[q + i] * value;
    }
    dot = next;
  }
  for (let i = 0; i < length; i++) c[v + i] -= dot * c[q + i];
}

/** projectOut(j, 0, first) for the four columns j = first..first+3 (first ≥ 1), reading each finished column once. */
function projectBlockOfFour(c: Float64Array, length: number, first: number): void {
  const v0 = first * length, v1 = v0 + length, v2 = v1 + length, v3 = v2 + length;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  for (let i = 0; i < length; i++) {
    const q = c[i];
    d0 += q * c[v0 + i];
    d1 += q * c[v1 + i];
    d2 += q * c[v2 + i];
    d3 += q * c[v3 + i];
  }
  for (let k = 1; k < first; k++) {
    const q = k * length, p = q - length;
    let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
    for (let i = 0; i < length; i++) {
      const previous = c[p + i], current = c[q + i];
      const a0 = c[v0 + i] - d0 * previous; c[v0 + i] = a0; e0 += current * a0;
      const a1 = c[v1 + i] - d1 * previous; c[v1 + i] = a1; e1 += current * a1;
      const a2 = c[v2 + i] - d2 * previous; c[v2 + i] = a2; e2 += current * a2;
      const a3 = c[v3 + i] - d3 * previous; c[v3 + i] = a3; e3 += current * a3;
    }
    d0 = e0; d1 = e1; d2 = e2; d3 = e3;
  }
  const last = (first - 1) * length;
  for (let i = 0; i < length; i++) {
    const q = c[last + i];
    c[v0 + i] -= d0 * q;
    c[v1 + i] -= d1 * q;
    c[v2 + i] -= d2 * q;
    c[v3 + i] -= d3 * q;
  }
}

function normalize(c: Float64Array, length: number, j: number): void {
  const v = j * length;
  let squares = 0;
  for (let i = 0; i < length; i++) squares += c[v + i] * c[v + i];
  const norm = Math.sqrt(squares);
  for (let i = 0; i < length; i++) c[v + i] /= norm;
}
