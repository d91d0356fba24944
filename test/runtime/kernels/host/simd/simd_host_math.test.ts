/**
 * The cpu backend's SIMD panel product (simd/simd_host_math.ts on simd/panel_gemm.ts) against a
 * plain triple loop: GEMV and small-M products over odd sizes (k and n off every multiple of 4 and
 * 16), transposed forms, accumulation, a released operand's memory reused; that a batch-1 cpu
 * step multiplies by its weights prepared into that memory (the path the cpu step takes), and a
 * wasm one too, the reset-before GRU's three products included (values and gradients as the
 * composite, its forms prepared once per weight lifetime and released with the weights); and that
 * without WebAssembly SIMD the cpu backend keeps the JS GEMM and a wasm step XNNPACK.
 */
import { describe, expect, it, vi } from 'vitest';
import { activateBackend, tf } from '../../../../helpers/backends.js';
import { cpuTensorIO, wasmTensorIO } from '../../../../../src/runtime/kernels/host/backend_io.js';
import { keptOperandCount } from '../../../../../src/runtime/kernels/host/prepared_weights.js';
import { panelGemmKernels } from '../../../../../src/runtime/kernels/host/simd/panel_gemm.js';
import { simdHostMath, simdHostMathMemoryBytes } from '../../../../../src/runtime/kernels/host/simd/simd_host_math.js';
import { gruStep, lstmStep } from '../../../../../src/runtime/kernels/ops.js';
import { gruStepComposite } from '../../../../../src/runtime/kernels/composite/gru.js';
import { lstmStepComposite } from '../../../../../src/runtime/kernels/composite/lstm.js';
import type { WasmHostMath } from '../../../../../src/runtime/kernels/host/wasm_math.js';
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

describe('a batch-1/2 reset-before GRU step on the SIMD panel product', () => {
  const variant = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false } as const;
  /** The prepared operands a backend's own product keeps (wasm: XNNPACK's HostMath); none on cpu. */
  const nativeKept = () => {
    const native = wasmTensorIO.math!(tf.backend()) as WasmHostMath | undefined;
    return tf.getBackend() === 'wasm' && native ? keptOperandCount(native) : 0;
  };

  // H 5 and 33: the JavaScript gate rows; 32: the SIMD gate kernels (the second product between them).
  for (const backendName of ['cpu', 'wasm']) {
    for (const [batch, hidden] of [[1, 5], [1, 33], [2, 33], [1, 32], [2, 32]]) {
      it(`on ${backendName}, B${batch} H${hidden}: x·K, h·R[:, :2H] and (r⊙h)·Rn on forms prepared once per weight lifetime, values and gradients as the composite`, async () => {
        await activateBackend(backendName);
        const inputSize = 7;
        const [kernel, recurrentKernel] = tf.tidy(() => [
          tf.variable(tf.randomNormal([inputSize, 3 * hidden], 0, 0.5, 'float32', 1)) as tf.Variable<tf.Rank.R2>,
          tf.variable(tf.randomNormal([hidden, 3 * hidden], 0, 0.5, 'float32', 2)) as tf.Variable<tf.Rank.R2>,
        ]);
        const bias = tf.randomNormal([3 * hidden], 0, 0.5, 'float32', 3) as tf.Tensor1D;
        const x = tf.randomNormal([batch, inputSize], 0, 1, 'float32', 4) as tf.Tensor2D;
        const h = tf.randomNormal([batch, hidden], 0, 1, 'float32', 5) as tf.Tensor2D;
        const [kept, keptNative, tensors] = [keptOperandCount(math()), nativeKept(), tf.memory().numTensors];
        // Reads of the weights out of the backend: only to prepare a form.
        const kb = tf.backend();
        const readSync = kb.readSync.bind(kb);
        let weightReads = 0;
        kb.readSync = (dataId: object) => {
          if (dataId === kernel.dataId || dataId === recurrentKernel.dataId) weightReads++;
          return readSync(dataId);
        };
        try {
          for (let round = 0; round < 3; round++) {
            for (let step = 0; step < 3; step++) {
              const reads = weightReads;
              const fused = gruStep({ x, h, kernel, recurrentKernel, bias, ...variant });
              if (step > 0) expect(weightReads, `round ${round} step ${step}: nothing prepared again`).toBe(reads);
              // K, R's z and r columns and Rn, each packed into the panel product's memory; nothing on XNNPACK.
              expect(keptOperandCount(math())).toBe(kept + 3);
              expect(nativeKept()).toBe(keptNative);
              const composite = gruStepComposite({ x, h, kernel, recurrentKernel, bias, ...variant });
              expect(maxAbsDiff(fused.h, composite.h)).toBeLessThan(1e-5);
              tf.dispose([fused.h, composite.h]);
            }
            // Seen at the next step: fresh forms of the new values, the old ones released.
            tf.tidy(() => {
              kernel.assign(tf.mul(kernel, -1.3));
              recurrentKernel.assign(tf.add(recurrentKernel, 0.2));
            });
          }
        } finally {
          kb.readSync = readSync;
        }
        expect(tf.memory().numTensors).toBe(tensors);
        const grads = [gruStep, gruStepComposite].map((stepOf) =>
          tf.grads((...[a, b, k, r, c]: tf.Tensor[]) =>
            tf.sum(tf.mul(stepOf({ x: a as tf.Tensor2D, h: b as tf.Tensor2D, kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias: c, ...variant }).h,
              tf.linspace(-1, 1, batch * hidden).reshape([batch, hidden]))))([x, h, kernel, recurrentKernel, bias]));
        grads[0].forEach((g, i) => expect(maxAbsDiff(g, grads[1][i]), `gradient ${i}`).toBeLessThan(1e-5));
        tf.dispose([...grads.flat(), kernel, recurrentKernel, bias, x, h]);
        expect(keptOperandCount(math())).toBe(kept);
        expect(nativeKept()).toBe(keptNative);
      });
    }
  }
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

  it('a batch-1 reset-before GRU step on wasm keeps XNNPACK: R\'s forms prepared on the backend\'s matmul, values as the composite', async () => {
    await activateBackend('wasm');
    vi.resetModules();
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const [{ BackendStepOperands }, driver, io, prepared] = await Promise.all([
        import('../../../../../src/runtime/kernels/host/step_operands.js'),
        import('../../../../../src/runtime/kernels/host/step_driver.js'),
        import('../../../../../src/runtime/kernels/host/backend_io.js'),
        import('../../../../../src/runtime/kernels/host/prepared_weights.js'),
      ]);
      const [inputSize, hidden] = [7, 8];
      const variant = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false } as const;
      const inputs = {
        x: tf.randomNormal([1, inputSize], 0, 1, 'float32', 1) as tf.Tensor2D,
        h: tf.randomNormal([1, hidden], 0, 1, 'float32', 2) as tf.Tensor2D,
        kernel: tf.randomNormal([inputSize, 3 * hidden], 0, 0.5, 'float32', 3) as tf.Tensor2D,
        recurrentKernel: tf.randomNormal([hidden, 3 * hidden], 0, 0.5, 'float32', 4) as tf.Tensor2D,
        bias: tf.randomNormal([3 * hidden], 0, 0.5, 'float32', 5),
      };
      const kb = tf.backend();
      const native = io.wasmTensorIO.math!(kb)!;
      const operands = new BackendStepOperands({
        io: io.wasmTensorIO, backend: kb, math: native, inputs, carryNames: ['h'], secondWeight: driver.stepSecondWeight('gru', variant), kernelName: 'GRUStep',
      });
      const g = { batch: 1, time: 1, inputSize, hidden, timeMajor: false, reverse: false };
      const { carries: [h] } = driver.hostStepForward('gru', g, variant, false, operands);
      const composite = gruStepComposite({ ...inputs, ...variant });
      expect(maxDiff(h, composite.h.dataSync())).toBeLessThan(1e-5);
      // x·K on K's tensor id; R's z and r columns and Rn prepared on XNNPACK's HostMath.
      expect(prepared.keptOperandCount(native)).toBe(2);
      tf.dispose([...Object.values(inputs), composite.h]);
      expect(prepared.keptOperandCount(native)).toBe(0);
    } finally {
      vi.restoreAllMocks();
      vi.resetModules();
    }
  });
});
