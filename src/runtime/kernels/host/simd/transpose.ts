/**
 * The SIMD transpose of the projection gradients before the weight-gradient GEMM.
 */
import { Code, ValueTypes, type FunctionSpec } from './wasm_emitter.js';
import { Locals } from './vector_math.js';

const { i32, v128 } = ValueTypes;

/**
 * transpose(src, rows, cols, dst): dst [cols, rows] = srcᵀ for a row-major src [rows, cols], rows
 * and cols multiples of 4, in 4×4 tiles (four loads, eight lane shuffles, four stores). The
 * weight-gradient GEMM contracts over the rows of the gate gradients; the backend's GEMM only
 * takes plain operands, and a JavaScript transpose of [N, 4H] cost ~10% of an LSTM backward.
 */
/**
 * Rows and columns per block of the transpose: a block's source and destination rows span few
 * enough pages and cache sets to stay resident (row strides of [N, 4H] matrices are powers of
 * two, the worst case for both); a plain 4×4-tile sweep ran at ~100 cycles per tile.
 */
const TRANSPOSE_BLOCK = 32;

export function transpose(): FunctionSpec {
  const P = { src: 0, rows: 1, cols: 2, dst: 3 };
  const L = new Locals(4);
  const r0 = L.add(i32), c0 = L.add(i32), rEnd = L.add(i32), cEnd = L.add(i32), r = L.add(i32), col = L.add(i32);
  const p = L.add(i32), q = L.add(i32), rowBytes = L.add(i32), colBytes = L.add(i32), end = L.add(i32);
  const v = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const t = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const c = new Code();
  /** local = min(start + TRANSPOSE_BLOCK, limit) */
  const blockEnd = (target: number, start: number, limit: number) =>
    c.get(start).i32(TRANSPOSE_BLOCK).i32Add().tee(end).get(limit).get(end).get(limit).i32LtU().select().set(target);
  c.get(P.cols).i32(4).i32Mul().set(rowBytes);
  c.get(P.rows).i32(4).i32Mul().set(colBytes);
  c.block(() => {
    c.i32(0).get(P.rows).i32GeU().brIf(0); // rows = 0
    c.i32(0).get(P.cols).i32GeU().brIf(0); // cols = 0
    c.i32(0).set(r0);
    c.loop(() => {
      blockEnd(rEnd, r0, P.rows);
      c.i32(0).set(c0);
      c.loop(() => {
        blockEnd(cEnd, c0, P.cols);
        c.get(r0).set(r);
        c.loop(() => {
          c.get(c0).set(col);
          c.loop(() => {
            c.get(P.src).get(r).get(P.cols).i32Mul().get(col).i32Add().i32(4).i32Mul().i32Add().set(p);
            for (let k = 0; k < 4; k++) {
              c.get(p);
              if (k > 0) c.get(rowBytes).i32(k).i32Mul().i32Add();
              c.load().set(v[k]);
            }
            // rows a, b, c, d → (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3) → columns
            c.get(v[0]).get(v[1]).shuffle([0, 4, 1, 5]).set(t[0]);
            c.get(v[0]).get(v[1]).shuffle([2, 6, 3, 7]).set(t[1]);
            c.get(v[2]).get(v[3]).shuffle([0, 4, 1, 5]).set(t[2]);
            c.get(v[2]).get(v[3]).shuffle([2, 6, 3, 7]).set(t[3]);
            c.get(P.dst).get(col).get(P.rows).i32Mul().get(r).i32Add().i32(4).i32Mul().i32Add().set(q);
            const columns: Array<[number, number, [number, number, number, number]]> = [
              [t[0], t[2], [0, 1, 4, 5]], [t[0], t[2], [2, 3, 6, 7]], [t[1], t[3], [0, 1, 4, 5]], [t[1], t[3], [2, 3, 6, 7]],
            ];
            columns.forEach(([first, second, lanes], k) => {
              c.get(q);
              if (k > 0) c.get(colBytes).i32(k).i32Mul().i32Add();
              c.get(first).get(second).shuffle(lanes).store();
            });
            c.get(col).i32(4).i32Add().tee(col).get(cEnd).i32LtU().brIf(0);
          });
          c.get(r).i32(4).i32Add().tee(r).get(rEnd).i32LtU().brIf(0);
        });
        c.get(cEnd).tee(c0).get(P.cols).i32LtU().brIf(0);
      });
      c.get(rEnd).tee(r0).get(P.rows).i32LtU().brIf(0);
    });
  });
  return { name: 'transpose', params: Array(4).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

