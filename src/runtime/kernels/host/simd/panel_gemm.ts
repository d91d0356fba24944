/**
 * The WebAssembly SIMD product of the cpu backend: c[m×n] = a[m×k]·B with B packed into panels of
 * 16 columns ([k, 16] each, contiguous, the last zero-padded), so that a product streams B once,
 * front to back. Per panel, two rows of a at a time keep 2×4 f32x4 accumulators over the whole k
 * (per k: four 16-byte loads of B and two splats of a for 32 multiply-adds); a last odd row keeps
 * four. At m = 1 (a batch-1 step) panel_gemv reads two panels at a time: a GEMV bound by reading
 * B, where the scalar JavaScript GEMV is bound by its arithmetic. Sums are float32.
 *
 * The module has a memory of its own, managed by a WeightHeap (weight_heap.ts): the packed
 * weights stay there for their lifetime, away from the gate kernels' per-call arena.
 */
import { Code, ValueTypes, buildModule, type FunctionSpec } from './wasm_emitter.js';
import { Locals } from './vector_math.js';
import { WeightHeap } from './weight_heap.js';

const { i32, v128 } = ValueTypes;

/** Columns per packed panel: four f32x4. */
export const PANEL = 16;
const PANEL_BYTES_PER_ROW = PANEL * 4;

/**
 * panel_gemm(a, aStride, rows, k, packed, panels, c, cStride): for each panel s < panels, rows of
 * c at c + i·cStride + 64·s (16 floats) = row i of a (a + i·aStride, k floats) · panel s (packed +
 * s·64·k), or added to them (`accumulate`: panel_gemm_add). Byte strides and offsets; rows ≥ 1,
 * k ≥ 1, panels ≥ 1.
 */
function panelGemm(accumulate: boolean): FunctionSpec {
  const L = new Locals(8);
  const [A, A_STRIDE, ROWS, K, PACKED, PANELS, C, C_STRIDE] = [0, 1, 2, 3, 4, 5, 6, 7];
  const panel = L.add(i32), row = L.add(i32), aRow = L.add(i32), cRow = L.add(i32);
  const bp = L.add(i32), ap0 = L.add(i32), ap1 = L.add(i32), aEnd = L.add(i32), panelBase = L.add(i32), kBytes = L.add(i32);
  const acc0 = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const acc1 = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const b = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const x = L.add(v128);
  const c = new Code();

  /** The inner loop over k for one row (ap0, acc0) or two (ap0, ap1; acc0, acc1) from panelBase. */
  const inner = (pair: boolean) => {
    const rows = pair ? [[ap0, acc0], [ap1, acc1]] as const : [[ap0, acc0]] as const;
    rows.forEach(([, acc], i) => acc.forEach((r, q) => {
      if (!accumulate) return void c.splat(0).set(r);
      c.get(cRow);
      if (i === 1) c.get(C_STRIDE).i32Add();
      c.load(16 * q).set(r);
    }));
    c.get(panelBase).set(bp);
    c.get(aRow).set(ap0);
    if (pair) c.get(aRow).get(A_STRIDE).i32Add().set(ap1);
    c.get(aRow).get(kBytes).i32Add().set(aEnd);
    c.loop(() => {
      b.forEach((reg, q) => c.get(bp).load(16 * q).set(reg));
      for (const [ap, acc] of rows) {
        c.get(ap).loadSplat().set(x);
        acc.forEach((r, q) => c.get(r).get(x).get(b[q]).mul().add().set(r));
        c.get(ap).i32(4).i32Add().set(ap);
      }
      c.get(bp).i32(PANEL_BYTES_PER_ROW).i32Add().set(bp);
      c.get(ap0).get(aEnd).i32LtU().brIf(0);
    });
    acc0.forEach((r, q) => c.get(cRow).get(r).store(16 * q));
    if (pair) acc1.forEach((r, q) => c.get(cRow).get(C_STRIDE).i32Add().get(r).store(16 * q));
  };

  c.get(K).i32(2).i32Shl().set(kBytes);
  c.get(PACKED).set(panelBase);
  c.i32(0).set(panel);
  c.loop(() => {
    c.i32(0).set(row);
    c.get(A).set(aRow);
    c.get(C).get(panel).i32(6).i32Shl().i32Add().set(cRow);
    c.block(() => {
      c.loop(() => {
        // Two rows left at least: row + 1 < rows.
        c.get(row).i32(1).i32Add().get(ROWS).i32GeU().brIf(1);
        inner(true);
        c.get(row).i32(2).i32Add().set(row);
        c.get(aRow).get(A_STRIDE).i32(1).i32Shl().i32Add().set(aRow);
        c.get(cRow).get(C_STRIDE).i32(1).i32Shl().i32Add().set(cRow);
        c.br(0);
      });
    });
    c.block(() => {
      c.get(row).get(ROWS).i32GeU().brIf(0);
      inner(false);
    });
    c.get(panelBase).get(kBytes).i32(4).i32Shl().i32Add().set(panelBase); // + k·64 bytes
    c.get(panel).i32(1).i32Add().tee(panel).get(PANELS).i32LtU().brIf(0);
  });
  return { name: accumulate ? 'panel_gemm_add' : 'panel_gemm', params: Array(8).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * panel_gemv(a, k, packed, panels, c): the one-row product, two panels at a time (a last odd one
 * alone): two address streams 64·k bytes apart keep more reads in flight than one, measured ~15%
 * faster on 96 MiB of weights (L3-resident) where a single stream is latency-bound. With
 * `accumulate` (panel_gemv_add) the sums start from c's values: a step's x·K + h·R is two calls
 * into one block, with no pass of JavaScript over the product in between.
 */
function panelGemv(accumulate: boolean): FunctionSpec {
  const L = new Locals(5);
  const [A, K, PACKED, PANELS, C] = [0, 1, 2, 3, 4];
  const panel = L.add(i32), ap = L.add(i32), aEnd = L.add(i32), kBytes = L.add(i32), panelBytes = L.add(i32);
  const bp = [L.add(i32), L.add(i32)];
  const acc = [0, 1].map(() => [L.add(v128), L.add(v128), L.add(v128), L.add(v128)]);
  const x = L.add(v128);
  const c = new Code();

  /** One pass over k for `streams` panels from `panel` (bp set), stored at c + 64·panel. */
  const pass = (streams: number) => {
    for (let s = 0; s < streams; s++) {
      acc[s].forEach((r, q) => {
        if (accumulate) c.get(C).get(panel).i32(6).i32Shl().i32Add().load(64 * s + 16 * q).set(r);
        else c.splat(0).set(r);
      });
    }
    c.get(A).set(ap);
    c.loop(() => {
      c.get(ap).loadSplat().set(x);
      for (let s = 0; s < streams; s++) acc[s].forEach((r, q) => c.get(r).get(x).get(bp[s]).load(16 * q).mul().add().set(r));
      for (let s = 0; s < streams; s++) c.get(bp[s]).i32(PANEL_BYTES_PER_ROW).i32Add().set(bp[s]);
      c.get(ap).i32(4).i32Add().tee(ap).get(aEnd).i32LtU().brIf(0);
    });
    for (let s = 0; s < streams; s++) acc[s].forEach((r, q) => c.get(C).get(panel).i32(6).i32Shl().i32Add().get(r).store(64 * s + 16 * q));
  };

  c.get(K).i32(2).i32Shl().set(kBytes);
  c.get(kBytes).i32(4).i32Shl().set(panelBytes);
  c.get(A).get(kBytes).i32Add().set(aEnd);
  c.get(PACKED).set(bp[0]);
  c.i32(0).set(panel);
  c.block(() => {
    c.loop(() => {
      // Two panels left at least: panel + 1 < panels (bp[0] is at panel's start).
      c.get(panel).i32(1).i32Add().get(PANELS).i32GeU().brIf(1);
      c.get(bp[0]).get(panelBytes).i32Add().set(bp[1]);
      pass(2);
      // bp[1] ends at the start of panel + 2.
      c.get(bp[1]).set(bp[0]);
      c.get(panel).i32(2).i32Add().set(panel);
      c.br(0);
    });
  });
  c.block(() => {
    c.get(panel).get(PANELS).i32GeU().brIf(0);
    pass(1);
  });
  return { name: accumulate ? 'panel_gemv_add' : 'panel_gemv', params: Array(5).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

export type PanelGemvKernel = (a: number, k: number, packed: number, panels: number, c: number) => void;

export type PanelGemmKernel = (a: number, aStride: number, rows: number, k: number, packed: number, panels: number, c: number, cStride: number) => void;

export interface PanelGemm {
  heap: WeightHeap;
  gemm: PanelGemmKernel;
  /** The same, added to c's values. */
  gemmAdd: PanelGemmKernel;
  /** The product at rows = 1. */
  gemv: PanelGemvKernel;
  /** The same, added to c's values. */
  gemvAdd: PanelGemvKernel;
}

let compiled: PanelGemm | null | undefined;

/** The compiled product and its heap, or null where WebAssembly SIMD is unavailable (the JS GEMM runs). */
export function panelGemmKernels(): PanelGemm | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    const bytes = buildModule([panelGemm(false), panelGemm(true), panelGemv(false), panelGemv(true)]);
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    compiled = {
      heap: new WeightHeap(memory), gemm: exports.panel_gemm as PanelGemmKernel, gemmAdd: exports.panel_gemm_add as PanelGemmKernel,
      gemv: exports.panel_gemv as PanelGemvKernel, gemvAdd: exports.panel_gemv_add as PanelGemvKernel,
    };
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Floats of op(b) [k×n] packed into panels (panelsOf(n) of [k, PANEL]). */
export function packedFloats(k: number, n: number): number {
  return panelsOf(n) * PANEL * k;
}

export function panelsOf(n: number): number {
  return Math.ceil(n / PANEL);
}

/**
 * Packs op(b) [k×n] (b [k, n], or [n, k] with transposeB) into `out` (packedFloats(k, n) floats):
 * panel s holds columns 16s … 16s + 15 as [k, 16], zero past n.
 */
export function packPanels(b: Float32Array, k: number, n: number, transposeB: boolean, out: Float32Array): void {
  const panels = panelsOf(n);
  for (let s = 0; s < panels; s++) {
    const base = s * PANEL * k;
    const j0 = s * PANEL;
    const width = Math.min(PANEL, n - j0);
    if (width < PANEL) out.fill(0, base, base + PANEL * k);
    if (transposeB) {
      for (let q = 0; q < width; q++) {
        const row = (j0 + q) * k;
        for (let p = 0; p < k; p++) out[base + p * PANEL + q] = b[row + p];
      }
    } else {
      for (let p = 0; p < k; p++) {
        const from = p * n + j0;
        const to = base + p * PANEL;
        for (let q = 0; q < width; q++) out[to + q] = b[from + q];
      }
    }
  }
}
