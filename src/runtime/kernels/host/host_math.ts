/**
 * The dense linear algebra the host kernels need, behind one small interface so that a faster
 * implementation (the wasm backend's own matmul, a SIMD build) can be plugged in per backend
 * without touching the cell math.
 */

export interface MatmulOptions {
  /** `a` is stored [k, m] and used transposed. */
  transposeA?: boolean;
  /** `b` is stored [n, k] and used transposed. */
  transposeB?: boolean;
  /** Add the product to `c` instead of overwriting it. */
  accumulate?: boolean;
}

/**
 * A right operand prepared once (packed, transposed, copied to the wasm heap) and multiplied by
 * many left operands: the recurrent kernel inside the time loop.
 */
export interface PreparedMatmul {
  /** c[m×n] = a[m×k] · op(b) (+ c with accumulate). */
  run(a: Float32Array, c: Float32Array, m: number, accumulate?: boolean): void;
  /** Frees what `prepareRight` allocated; the object is unusable afterwards. */
  release(): void;
}

export interface HostMath {
  /**
   * c[m×n] = op(a)[m×k] · op(b)[k×n] (+ c with `accumulate`). All arrays are dense, row-major and
   * start at index 0 (pass `subarray` views for slices); `c` never aliases `a` or `b`.
   */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options?: MatmulOptions): void;
  /** Optional: prepare `op(b)` [k×n] for repeated products; `b` must not change until release. */
  prepareRight?(b: Float32Array, k: number, n: number, options?: { transposeB?: boolean }): PreparedMatmul;
  /**
   * Its prepared operands beat `matmul` on the values at ≤ GEMV_MAX_ROWS rows too (the SIMD
   * product streams the copy packed in its memory): a step then multiplies by its weights prepared
   * once per weight lifetime instead of as they are stored.
   */
  preparedGemv?: boolean;
}

/** `math.prepareRight` where the implementation has one, else plain `matmul` calls. */
export function prepareRight(math: HostMath, b: Float32Array, k: number, n: number, options: { transposeB?: boolean } = {}): PreparedMatmul {
  if (math.prepareRight) return math.prepareRight(b, k, n, options);
  return {
    run: (a, c, m, accumulate = false) => math.matmul(a, b, c, m, k, n, { transposeB: options.transposeB, accumulate }),
    release() {},
  };
}

/** The first `keep` columns of a row-major [rows, cols] matrix, dense ([rows, keep]); `b` itself when all. */
export function leadingColumns(b: Float32Array, rows: number, cols: number, keep: number): Float32Array {
  if (keep === cols) return b;
  const out = new Float32Array(rows * keep);
  for (let r = 0; r < rows; r++) out.set(b.subarray(r * cols, r * cols + keep), r * keep);
  return out;
}

// --- JavaScript GEMM ------------------------------------------------------------------------------
// op(b) is packed into strips of 4 columns ([k, 4] each, contiguous), folding transposeB into the
// packing; each 4×4 tile of c is then accumulated in 16 locals over the whole k: 16 multiply-adds
// per 8 loads where a row-axpy loop does 1 per 3. Sums are float64 (JS numbers) until stored.

/** op(b) [k×n] as ⌈n/4⌉ strips of [k, 4], zero-padded. */
function packRight(b: Float32Array, k: number, n: number, transposeB: boolean, out?: Float32Array): Float32Array {
  const strips = Math.ceil(n / 4);
  const packed = out && out.length >= strips * 4 * k ? out : new Float32Array(strips * 4 * k);
  for (let s = 0; s < strips; s++) {
    const base = s * 4 * k;
    for (let q = 0; q < 4; q++) {
      const j = s * 4 + q;
      if (j >= n) {
        for (let p = 0; p < k; p++) packed[base + p * 4 + q] = 0;
      } else if (transposeB) {
        const row = j * k;
        for (let p = 0; p < k; p++) packed[base + p * 4 + q] = b[row + p];
      } else {
        for (let p = 0; p < k; p++) packed[base + p * 4 + q] = b[p * n + j];
      }
    }
  }
  return packed;
}

/** op(a) as row-major [m, k]: `a` itself, or its transpose written into `scratch`. */
function leftRows(a: Float32Array, m: number, k: number, transposeA: boolean, scratch: Float32Array): Float32Array {
  if (!transposeA) return a;
  for (let p = 0; p < k; p++) {
    const row = p * m;
    for (let i = 0; i < m; i++) scratch[i * k + p] = a[row + i];
  }
  return scratch;
}

/**
 * c[m×n] (+)= a[m×k] · packed, packed from packRight. Without `accumulate`, c is zeroed first and
 * never read: `c` is often a reused buffer, and "0 · c + acc" would carry a NaN or ∞ left in it by
 * an earlier call into every later result (0 · NaN = NaN).
 */
function gemmPacked(a: Float32Array, packed: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void {
  const strips = Math.ceil(n / 4);
  if (!accumulate) c.fill(0, 0, m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let s = 0; s < strips; s++) {
      const base = s * 4 * k;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const q = base + p * 4;
        const b0 = packed[q], b1 = packed[q + 1], b2 = packed[q + 2], b3 = packed[q + 3];
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      const j = s * 4;
      const r0 = i * n + j, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      if (j + 4 <= n) {
        c[r0] += c00; c[r0 + 1] += c01; c[r0 + 2] += c02; c[r0 + 3] += c03;
        c[r1] += c10; c[r1 + 1] += c11; c[r1 + 2] += c12; c[r1 + 3] += c13;
        c[r2] += c20; c[r2 + 1] += c21; c[r2 + 2] += c22; c[r2 + 3] += c23;
        c[r3] += c30; c[r3 + 1] += c31; c[r3 + 2] += c32; c[r3 + 3] += c33;
      } else {
        const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < 4; r++) {
          for (let q = 0; j + q < n; q++) c[r0 + r * n + q] += tile[r * 4 + q];
        }
      }
    }
  }
  for (; i < m; i++) {
    const ai = i * k;
    for (let s = 0; s < strips; s++) {
      const base = s * 4 * k;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0; p < k; p++) {
        const x = a[ai + p];
        const q = base + p * 4;
        c0 += x * packed[q]; c1 += x * packed[q + 1]; c2 += x * packed[q + 2]; c3 += x * packed[q + 3];
      }
      const j = s * 4;
      const r = i * n + j;
      c[r] += c0;
      if (j + 1 < n) c[r + 1] += c1;
      if (j + 2 < n) c[r + 2] += c2;
      if (j + 3 < n) c[r + 3] += c3;
    }
  }
}

// Scratch reused across calls (single-threaded: kernels never run concurrently).
let packScratch: Float32Array = new Float32Array(0);
let transposeScratch: Float32Array = new Float32Array(0);
let rowSums: Float64Array = new Float64Array(0);

/** Up to this many left rows, the GEMM runs as GEMVs over b as stored (no packing). */
export const GEMV_MAX_ROWS = 2;

/**
 * 1 MiB: from a weight this large the SIMD panel product's GEMM beats XNNPACK's on wasm, at 64
 * rows and above (2-core Xeon, medians of 7–15 interleaved): x·K 3.5 vs 4.0 ms at K [512, 2048],
 * 15 vs 20 ms at [1024, 4096]; dGates·Kᵀ prepared and run 27 vs 88 ms at [1024, 4096]. Below it
 * XNNPACK is as fast or faster (x·K 0.12 vs 0.15 ms at 64 × [64, 512], 0.31 vs 0.66 ms at
 * 1000 × [16, 256]).
 */
export const PANEL_GEMM_MIN_WEIGHT_FLOATS = 2 ** 18;

/**
 * c[m×n] (+)= a[m×k] · b[k×n] with b row-major as stored, one left row at a time: four rows of b
 * per pass (4 multiply-adds per 5 loads) into float64 sums. At m = 1 (a batch-1 step) packing b
 * would read and write all of it to use it once; this reads it once.
 */
function gemvRows(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void {
  if (rowSums.length < n) rowSums = new Float64Array(n);
  const sums = rowSums;
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    sums.fill(0, 0, n);
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const x0 = a[ai + p], x1 = a[ai + p + 1], x2 = a[ai + p + 2], x3 = a[ai + p + 3];
      const r0 = p * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      for (let j = 0; j < n; j++) sums[j] += x0 * b[r0 + j] + x1 * b[r1 + j] + x2 * b[r2 + j] + x3 * b[r3 + j];
    }
    for (; p < k; p++) {
      const x = a[ai + p];
      const r = p * n;
      for (let j = 0; j < n; j++) sums[j] += x * b[r + j];
    }
    const ci = i * n;
    if (accumulate) for (let j = 0; j < n; j++) c[ci + j] += sums[j];
    else for (let j = 0; j < n; j++) c[ci + j] = sums[j];
  }
}

/** Register-blocked GEMM in plain JavaScript: the cpu backend's matmul, and the fallback. */
export const jsHostMath: HostMath = {
  matmul(a, b, c, m, k, n, { transposeA = false, transposeB = false, accumulate = false } = {}) {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) c.fill(0, 0, m * n);
      return;
    }
    if (m <= GEMV_MAX_ROWS && !transposeA && !transposeB) {
      gemvRows(a, b, c, m, k, n, accumulate);
      return;
    }
    packScratch = packRight(b, k, n, transposeB, packScratch);
    if (transposeA && transposeScratch.length < m * k) transposeScratch = new Float32Array(m * k);
    gemmPacked(leftRows(a, m, k, transposeA, transposeScratch), packScratch, c, m, k, n, accumulate);
  },
  prepareRight(b, k, n, { transposeB = false } = {}) {
    const packed = packRight(b, k, n, transposeB);
    return {
      run: (a, c, m, accumulate = false) => {
        if (m > 0 && n > 0) gemmPacked(a, packed, c, m, k, n, accumulate);
      },
      release() {},
    };
  },
};

const hostMathByBackend = new Map<string, HostMath>();

/** Plugs a matmul into the host kernels of one backend (overrides the backend's native one). */
export function setHostMath(backendName: string, math: HostMath): void {
  hostMathByBackend.set(backendName, math);
}

/**
 * The HostMath the host kernels of `backendName` use: the one set with setHostMath, else the
 * backend's native one (`native`, e.g. the wasm backend's XNNPACK matmul), else the JS GEMM.
 */
export function hostMathFor(backendName: string, native?: () => HostMath | undefined): HostMath {
  return hostMathByBackend.get(backendName) ?? native?.() ?? jsHostMath;
}
