/**
 * The cpu backend's HostMath on the WebAssembly SIMD panel product (panel_gemm.ts): a right
 * operand is packed once into the product's own memory and stays there until `release()`, so a
 * batch-1 step (prepared per weight lifetime by prepared_weights.ts) streams each weight from its
 * packed copy at memory speed. Per call only the left rows go in and the product comes out, through
 * scratch blocks that are kept and only grow (no allocation per call once they fit).
 */
import { GEMV_MAX_ROWS, jsHostMath, type HostMath, type MatmulOptions, type PreparedMatmul } from '../host_math.js';
import { PANEL, packPanels, packedFloats, panelGemmKernels, panelsOf, type PanelGemm } from './panel_gemm.js';

/** A block of the heap kept for reuse across calls, reallocated only when too small. */
class ScratchBlock {
  private start = -1;
  private floats = 0;
  private viewOf: Float32Array = new Float32Array(0);

  constructor(private readonly kernels: PanelGemm) {}

  /** Its byte offset, with room for `floats` floats (may grow the memory: views are taken after). */
  reserve(floats: number): number {
    if (floats > this.floats) {
      if (this.start >= 0) this.kernels.heap.release(this.start);
      this.floats = Math.max(floats, Math.ceil(this.floats * 1.5));
      this.start = this.kernels.heap.allocate(this.floats * 4);
      this.viewOf = new Float32Array(0);
    }
    return this.start;
  }

  /** A view of the block (valid until the memory next grows). */
  view(): Float32Array {
    const buffer = this.kernels.heap.memory.buffer;
    if (this.viewOf.buffer !== buffer) this.viewOf = new Float32Array(buffer, this.start, this.floats);
    return this.viewOf;
  }
}

/** Products of a packed right operand, with the scratch blocks of one HostMath. */
class PanelProducts {
  readonly left: ScratchBlock;
  readonly product: ScratchBlock;
  readonly packing: ScratchBlock;

  constructor(readonly kernels: PanelGemm) {
    this.left = new ScratchBlock(kernels);
    this.product = new ScratchBlock(kernels);
    this.packing = new ScratchBlock(kernels);
  }

  /**
   * c[m×n] (+)= op(a)·B for B packed at byte offset `packed` ([k×n] in panels). m, k, n ≥ 1.
   * `left` writes op(a) [m, k] into the view it is given.
   */
  run(a: Float32Array, transposeA: boolean, packed: number, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void {
    const panels = panelsOf(n);
    const stride = panels * PANEL;
    const leftAt = this.left.reserve(m * k);
    const productAt = this.product.reserve(m * stride);
    const left = this.left.view();
    if (!transposeA) {
      left.set(a.subarray(0, m * k));
    } else {
      for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) left[i * k + p] = a[p * m + i];
    }
    if (m === 1) this.kernels.gemv(leftAt, k, packed, panels, productAt);
    else this.kernels.gemm(leftAt, k * 4, m, k, packed, panels, productAt, stride * 4);
    const out = this.product.view();
    if (!accumulate && stride === n) return c.set(out.subarray(0, m * n));
    for (let i = 0; i < m; i++) {
      const from = i * stride;
      const to = i * n;
      if (accumulate) for (let j = 0; j < n; j++) c[to + j] += out[from + j];
      else for (let j = 0; j < n; j++) c[to + j] = out[from + j];
    }
  }
}

/** c for a product with k = 0: zeros, or unchanged when accumulating. */
function emptyDepth(c: Float32Array, m: number, n: number, accumulate: boolean): void {
  if (!accumulate) c.fill(0, 0, m * n);
}

/**
 * The HostMath on `kernels` (panelGemmKernels()). `matmul` runs the JS GEMV below
 * GEMV_MAX_ROWS + 1 rows (packing b to read it once would cost what the product does) and packs b
 * into a kept scratch block above; `prepareRight` packs once into a block of its own.
 */
export function createSimdHostMath(kernels: PanelGemm): HostMath {
  const products = new PanelProducts(kernels);
  return {
    preparedGemv: true,
    matmul(a, b, c, m, k, n, options: MatmulOptions = {}) {
      const { transposeA = false, transposeB = false, accumulate = false } = options;
      if (m <= GEMV_MAX_ROWS && !transposeA && !transposeB) return jsHostMath.matmul(a, b, c, m, k, n, options);
      if (m === 0 || n === 0) return;
      if (k === 0) return emptyDepth(c, m, n, accumulate);
      const packed = products.packing.reserve(packedFloats(k, n));
      packPanels(b, k, n, transposeB, products.packing.view());
      products.run(a, transposeA, packed, c, m, k, n, accumulate);
    },
    prepareRight(b, k, n, { transposeB = false } = {}) {
      const floats = packedFloats(k, n);
      let packed = floats > 0 ? kernels.heap.allocate(floats * 4) : -1;
      if (packed >= 0) packPanels(b, k, n, transposeB, new Float32Array(kernels.heap.memory.buffer, packed, floats));
      const prepared: PreparedMatmul = {
        run(a, c, m, accumulate = false) {
          if (packed < 0 && floats > 0) throw new Error('PreparedMatmul.run: the operand was released');
          if (m === 0 || n === 0) return;
          if (k === 0) return emptyDepth(c, m, n, accumulate);
          products.run(a, false, packed, c, m, k, n, accumulate);
        },
        release() {
          if (packed >= 0) kernels.heap.release(packed);
          packed = -1;
        },
      };
      return prepared;
    },
  };
}

let simdMath: HostMath | null | undefined;

/** The SIMD HostMath, or null where WebAssembly SIMD is unavailable (the JS GEMM serves). */
export function simdHostMath(): HostMath | null {
  if (simdMath === undefined) {
    const kernels = panelGemmKernels();
    simdMath = kernels ? createSimdHostMath(kernels) : null;
  }
  return simdMath;
}

/** Bytes of the SIMD product's memory now (for memory soaks: it grows only to fit the live weights). */
export function simdHostMathMemoryBytes(): number {
  return panelGemmKernels()?.heap.memory.buffer.byteLength ?? 0;
}
