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

export interface HostMath {
  /**
   * c[m×n] = op(a)[m×k] · op(b)[k×n] (+ c with `accumulate`). All arrays are dense, row-major and
   * start at index 0 (pass `subarray` views for slices); `c` never aliases `a` or `b`.
   */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options?: MatmulOptions): void;
}

// Block sizes: a KC×NC panel of B (64×256 floats = 64 KiB) stays in L2 while the rows of A
// stream past it.
const KC = 64;
const NC = 256;

/** Cache-blocked matmul in plain JavaScript. */
export const jsHostMath: HostMath = {
  matmul(a, b, c, m, k, n, { transposeA = false, transposeB = false, accumulate = false } = {}) {
    if (!accumulate) c.fill(0, 0, m * n);
    if (m === 0 || n === 0 || k === 0) return;
    if (transposeB && !transposeA) {
      // Rows of a and rows of b are both contiguous: dot products.
      for (let i = 0; i < m; i++) {
        const aRow = i * k;
        const cRow = i * n;
        for (let j = 0; j < n; j++) {
          const bRow = j * k;
          let sum = 0;
          for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
          c[cRow + j] += sum;
        }
      }
      return;
    }
    // a(i, p) and b(p, j) through strides, so one blocked loop serves the other three layouts.
    const aRowStride = transposeA ? 1 : k;
    const aColStride = transposeA ? m : 1;
    const bRowStride = transposeB ? 1 : n;
    const bColStride = transposeB ? k : 1;
    for (let j0 = 0; j0 < n; j0 += NC) {
      const j1 = Math.min(n, j0 + NC);
      for (let p0 = 0; p0 < k; p0 += KC) {
        const p1 = Math.min(k, p0 + KC);
        for (let i = 0; i < m; i++) {
          const cRow = i * n;
          const aBase = i * aRowStride;
          for (let p = p0; p < p1; p++) {
            const aip = a[aBase + p * aColStride];
            if (aip === 0) continue;
            const bBase = p * bRowStride;
            if (bColStride === 1) {
              for (let j = j0; j < j1; j++) c[cRow + j] += aip * b[bBase + j];
            } else {
              for (let j = j0; j < j1; j++) c[cRow + j] += aip * b[bBase + j * bColStride];
            }
          }
        }
      }
    }
  },
};

const hostMathByBackend = new Map<string, HostMath>();

/** Plugs a faster matmul into the host kernels of one backend (e.g. the wasm backend's own). */
export function setHostMath(backendName: string, math: HostMath): void {
  hostMathByBackend.set(backendName, math);
}

/** The HostMath the host kernels of `backendName` use: the one set, else the JS one. */
export function hostMathFor(backendName: string): HostMath {
  return hostMathByBackend.get(backendName) ?? jsHostMath;
}
