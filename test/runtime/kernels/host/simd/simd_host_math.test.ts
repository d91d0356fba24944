/**
 * The cpu backend's SIMD panel product (simd/simd_host_math.ts on simd/panel_gemm.ts) against a
 * plain triple loop: GEMV and small-M products over odd sizes (k and n off every multiple of 4 and
 * 16), transposed forms, accumulation, a released operand's memory reused; that a batch-1 cpu
 * step multiplies by its weights prepared into that memory (the path the cpu step takes); and that
 * without WebAssembly SIMD the cpu backend keeps the JS GEMM.
 */
import { describe, expect, it, vi } from 'vitest';
import { activateBackend, tf } from '../../../../helpers/backends.js';
import { cpuTensorIO } from '../../../../../src/runtime/kernels/host/backend_io.js';
import { keptOperandCount } from '../../../../../src/runtime/kernels/host/prepared_weights.js';
import { panelGemmKernels } from '../../../../../src/runtime/kernels/host/simd/panel_gemm.js';
import { simdHostMath, simdHostMathMemoryBytes } from '../../../../../src/runtime/kernels/host/simd/simd_host_math.js';
import { lstmStep } from '../../../../../src/runtime/kernels/ops.js';
import { lstmStepComposite } from '../../../../../src/runtime/kernels/composite/lstm.js';
import { maxAbsDiff, referenceMatmul } from '../../cases.js';

/** Uniform in [-0.5, 0.5) from a small LCG: no structure that makes long sums coherent. */
function values(n: number, seed: number): Float32Array {
  let state = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

/** Float32 sums of k terms: an absolute error relative to the result's scale. */
const tolerance = (expected: ArrayLike<number>) => 1e-5 * Math.max(1, ...Array.from(expected, Math.abs));

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
};

const math = () => {
  const simd = simdHostMath();
  if (!simd) throw new Error('WebAssembly SIMD is available in Node 20: the SIMD product must compile');
  return simd;
};

describe('SIMD panel product', () => {
  const shapes: Array<[m: number, k: number, n: number]> = [[1, 1, 1], [1, 7, 13], [1, 9, 32], [2, 33, 17], [1, 130, 70], [2, 5, 64], [3, 19, 31], [5, 64, 48], [1, 1024, 4 * 257]];
  for (const [m, k, n] of shapes) {
    for (const transposeB of [false, true]) {
      it(`prepared ${m}×${k}×${n}${transposeB ? ' Bᵀ' : ''}: plain, accumulating, and for several left operands`, () => {
        const b = values(k * n, n + k);
        const prepared = math().prepareRight!(b, k, n, { transposeB });
        for (const seed of [1, 2]) {
          const a = values(m * k, seed);
          const expected = referenceMatmul(a, b, m, k, n, false, transposeB);
          // NaN in the target: a plain product overwrites it, never reads it.
          const c = new Float32Array(m * n + 3).fill(NaN);
          prepared.run(a, c, m);
          expect(maxDiff(c.subarray(0, m * n), expected)).toBeLessThanOrEqual(tolerance(expected));
          expect(Array.from(c.subarray(m * n)), 'nothing written past m·n').toEqual([NaN, NaN, NaN]);
          prepared.run(a, c, m, true);
          expect(maxDiff(c.subarray(0, m * n), expected.map((v) => 2 * v))).toBeLessThanOrEqual(2 * tolerance(expected));
        }
        prepared.release();
      });
    }
    it(`matmul ${m}×${k}×${n} in every transpose form`, () => {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = values(m * k, 4), b = values(k * n, 5);
          const c = new Float32Array(m * n).fill(7);
          math().matmul(a, b, c, m, k, n, { transposeA, transposeB });
          const expected = referenceMatmul(a, b, m, k, n, transposeA, transposeB);
          expect(maxDiff(c, expected), `${transposeA} ${transposeB}`).toBeLessThanOrEqual(tolerance(expected));
        }
      }
    });
  }

  it('k = 0 gives zeros (or leaves c when accumulating); m = 0 writes nothing', () => {
    const prepared = math().prepareRight!(new Float32Array(0), 0, 5);
    const c = new Float32Array(2 * 5).fill(3);
    prepared.run(new Float32Array(0), c, 2, true);
    expect(Array.from(c)).toEqual(Array(10).fill(3));
    prepared.run(new Float32Array(0), c, 2);
    expect(Array.from(c)).toEqual(Array(10).fill(0));
    c.fill(4);
    const shallow = math().prepareRight!(values(3 * 5, 1), 3, 5);
    shallow.run(new Float32Array(0), c, 0);
    expect(Array.from(c)).toEqual(Array(10).fill(4));
    [prepared, shallow].forEach((p) => p.release());
  });

  it('a released operand frees its memory: preparing the same size again reuses it, the memory does not grow', () => {
    const { heap } = panelGemmKernels()!;
    const [k, n] = [300, 520];
    // A first product sizes the kept scratch blocks (left rows, product) for this shape.
    const first = math().prepareRight!(values(k * n, 1), k, n);
    first.run(values(2 * k, 1), new Float32Array(2 * n), 2);
    first.release();
    const bytes = simdHostMathMemoryBytes();
    const live = heap.liveBytes;
    for (let round = 0; round < 20; round++) {
      const b = values(k * n, round);
      const prepared = math().prepareRight!(b, k, n);
      const a = values(2 * k, round + 1);
      const c = new Float32Array(2 * n);
      prepared.run(a, c, 2);
      const expected = referenceMatmul(a, b, 2, k, n);
      expect(maxDiff(c, expected)).toBeLessThanOrEqual(tolerance(expected));
      prepared.release();
      prepared.release(); // twice is harmless
      expect(() => prepared.run(a, c, 2)).toThrow(/released/);
    }
    expect(simdHostMathMemoryBytes()).toBe(bytes);
    expect(heap.liveBytes).toBe(live);
  });

  it('operands released out of order leave room that later ones of other sizes reuse', () => {
    const { heap } = panelGemmKernels()!;
    const live = heap.liveBytes;
    const sizes: Array<[number, number]> = [[64, 64], [100, 48], [33, 200], [257, 16]];
    const grow = () => sizes.map(([k, n]) => math().prepareRight!(values(k * n, k), k, n));
    grow().forEach((p, i, all) => all[(i * 3) % all.length].release());
    const bytes = simdHostMathMemoryBytes();
    for (let round = 0; round < 10; round++) {
      const prepared = grow();
      [2, 0, 3, 1].forEach((i) => prepared[i].release());
    }
    expect(simdHostMathMemoryBytes()).toBe(bytes);
    expect(heap.liveBytes).toBe(live);
  });
});

describe('a batch-1 step on the SIMD panel product', () => {
  it('is the cpu backend HostMath', async () => {
    await activateBackend('cpu');
    expect(cpuTensorIO.math?.(tf.backend())).toBe(math());
  });

  // wasm: the step reads x and h in place on the backend's heap, K and R from their packed copies.
  it.each(['cpu', 'wasm'])('on %s, an LSTM step multiplies by K and R prepared once per lifetime (values as the composite)', async (backendName) => {
    await activateBackend(backendName);
    const [inputSize, hidden] = [7, 12];
    // The initial values disposed: on cpu a Variable shares its initial tensor's data.
    const [kernel, recurrentKernel] = tf.tidy(() => [
      tf.variable(tf.randomNormal([inputSize, 4 * hidden], 0, 0.5, 'float32', 1)) as tf.Variable<tf.Rank.R2>,
      tf.variable(tf.randomNormal([hidden, 4 * hidden], 0, 0.5, 'float32', 2)) as tf.Variable<tf.Rank.R2>,
    ]);
    const bias = tf.randomNormal([4 * hidden], 0, 0.5, 'float32', 3) as tf.Tensor1D;
    const x = tf.randomNormal([1, inputSize], 0, 1, 'float32', 4) as tf.Tensor2D;
    const [h, c] = [5, 6].map((seed) => tf.randomNormal([1, hidden], 0, 1, 'float32', seed) as tf.Tensor2D);
    const kept = keptOperandCount(math());
    for (let round = 0; round < 3; round++) {
      const fused = lstmStep({ x, h, c, kernel, recurrentKernel, bias });
      const composite = lstmStepComposite({ x, h, c, kernel, recurrentKernel, bias });
      expect(maxAbsDiff(fused.h, composite.h)).toBeLessThan(1e-5);
      expect(maxAbsDiff(fused.c, composite.c)).toBeLessThan(1e-5);
      // K and R prepared into the product's memory, once each while they live (then replaced by the assign).
      expect(keptOperandCount(math())).toBe(kept + 2);
      tf.dispose([fused.h, fused.c, composite.h, composite.c]);
      tf.tidy(() => {
        kernel.assign(tf.mul(kernel, -1.3));
        recurrentKernel.assign(tf.add(recurrentKernel, 0.2));
      });
    }
    tf.dispose([kernel, recurrentKernel, bias, x, h, c]);
    expect(keptOperandCount(math())).toBe(kept);
  });
});

describe('without WebAssembly SIMD', () => {
  it('the SIMD product does not compile and the cpu backend keeps the JS GEMM (no HostMath of its own)', async () => {
    vi.resetModules();
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const fresh = await import('../../../../../src/runtime/kernels/host/simd/simd_host_math.js');
      const io = await import('../../../../../src/runtime/kernels/host/backend_io.js');
      const hostMath = await import('../../../../../src/runtime/kernels/host/host_math.js');
      expect(fresh.simdHostMath()).toBeNull();
      expect(fresh.simdHostMathMemoryBytes()).toBe(0);
      const cpu = io.cpuTensorIO.math?.(tf.backend());
      expect(cpu).toBeUndefined();
      expect(hostMath.hostMathFor('cpu-without-simd', () => cpu)).toBe(hostMath.jsHostMath);
    } finally {
      vi.restoreAllMocks();
      vi.resetModules();
    }
  });
});
