/**
 * The host QR of the orthogonal initialiser against the textbook: modified Gram–Schmidt one column
 * at a time (written out here, independently of the blocked and fused loops), with the block
 * projection in JavaScript and in WebAssembly SIMD (Node 20 runs it). Bit-for-bit equality at sizes
 * that exercise full blocks (four columns in JavaScript, eight in SIMD), every tail length and
 * square matrices means the initial weights are exactly those of the column-by-column loop the
 * initialiser ran before;
 * the factorisation itself is checked by QᵀQ = I and QᵀA upper triangular with a positive diagonal.
 */
import { describe, expect, it } from 'vitest';
import { orthonormalizeColumns, type GramSchmidtEngine } from '../../../src/runtime/cells/gram_schmidt.js';

/** Standard normal samples from a fixed linear congruential generator (Box–Muller). */
function gaussian(n: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** The textbook loop: column j minus its projection on each earlier column in turn, then normalised. */
function textbookGramSchmidt(a: Float64Array, length: number, count: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < count; j++) {
    const v = q.subarray(j * length, (j + 1) * length);
    for (let k = 0; k < j; k++) {
      const u = q.subarray(k * length, (k + 1) * length);
      let dot = 0;
      for (let i = 0; i < length; i++) dot += u[i] * v[i];
      for (let i = 0; i < length; i++) v[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < length; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < length; i++) v[i] /= norm;
  }
  return q;
}

/** Entry (j, l) of Xᵀ Y for column-stored X, Y. */
function columnDot(x: Float64Array, j: number, y: Float64Array, l: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += x[j * length + i] * y[l * length + i];
  return sum;
}

describe.each(['javascript', 'simd'] as GramSchmidtEngine[])('orthonormalizeColumns (%s)', (engine) => {
  // [length, count]: one column; every tail length after full blocks of four and of eight; square; LSTM- and GRU-shaped.
  const sizes: Array<[number, number]> = [[1, 1], [5, 3], [13, 6], [21, 5], [40, 9], [7, 7], [33, 33], [28, 7], [60, 20], [64, 16], [30, 23], [17, 19]];

  it.each(sizes)('equals the textbook column-by-column loop bit for bit (%i × %i)', (length, count) => {
    const a = gaussian(length * count, length * 31 + count);
    const blocked = Float64Array.from(a);
    orthonormalizeColumns(blocked, length, count, engine);
    expect(Array.from(blocked)).toEqual(Array.from(textbookGramSchmidt(a, length, count)));
  });

  it.each([[200, 51], [64, 64], [37, 37]] as Array<[number, number]>)('gives Q of A = QR: QᵀQ = I, QᵀA upper triangular with a positive diagonal (%i × %i)', (length, count) => {
    const a = gaussian(length * count, count);
    const q = Float64Array.from(a);
    orthonormalizeColumns(q, length, count, engine);
    let orthogonality = 0, belowDiagonal = 0, smallestDiagonal = Infinity;
    for (let j = 0; j < count; j++) {
      for (let l = 0; l < count; l++) {
        orthogonality = Math.max(orthogonality, Math.abs(columnDot(q, j, q, l, length) - (j === l ? 1 : 0)));
        const r = columnDot(q, j, a, l, length); // R[j][l]
        if (j > l) belowDiagonal = Math.max(belowDiagonal, Math.abs(r));
        if (j === l) smallestDiagonal = Math.min(smallestDiagonal, r);
      }
    }
    expect(orthogonality).toBeLessThan(1e-10);
    expect(belowDiagonal).toBeLessThan(1e-9);
    expect(smallestDiagonal).toBeGreaterThan(0);
  });

  it('refuses an array too short for length × count, naming both', () => {
    expect(() => orthonormalizeColumns(new Float64Array(11), 4, 3, engine)).toThrow(/at least 4·3 = 12 values, got 11/);
  });
});
