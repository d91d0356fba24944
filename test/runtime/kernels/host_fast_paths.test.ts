/**
 * The performance paths of the host kernels, each against an independent reference:
 * - the SIMD transcendental polynomials against Math.exp / Math.tanh,
 * - every HostMath (JS GEMM, the cpu backend's SIMD panel product, the wasm backend's XNNPACK matmul) against a plain triple loop, in
 *   every transpose / accumulate / prepared form, odd sizes included, and with a right operand
 *   whose values change between calls (XNNPACK caches packed weights per tensor id),
 * - the fused kernels on their SIMD path (unmasked, hidden a multiple of 4) against the
 *   composite implementation: outputs and every gradient ≤ 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { activateBackend, describeBackends, tf } from '../../helpers/backends.js';
import { jsHostMath, prepareRight, type HostMath } from '../../../src/runtime/kernels/host/host_math.js';
import { wasmTensorIO } from '../../../src/runtime/kernels/host/backend_io.js';
import { allocate } from '../../../src/runtime/kernels/host/simd/arena.js';
import { simdGateKernels } from '../../../src/runtime/kernels/host/simd/gate_kernels.js';
import { simdHostMath } from '../../../src/runtime/kernels/host/simd/simd_host_math.js';
import { cellNames, differentiableNames, makeSequenceInputs, maxAbsDiff, referenceMatmul, runSequence, weightedSum, type Implementation, type SequenceCase } from './cases.js';

const TOLERANCE = 1e-5;

describe('SIMD gate kernels', () => {
  it('compile here (WebAssembly SIMD is available in Node 20)', () => {
    expect(simdGateKernels()).not.toBeNull();
  });

  it('sigmoid and tanh stay within 2e-7 of Math over [-30, 30] and saturate beyond', () => {
    const kernels = simdGateKernels()!;
    const inputs = Float32Array.from({ length: 6000 }, (_, i) => -30 + i / 100);
    const extremes = [-1e4, -100, -88, 88, 100, 1e4, 1e-7, -1e-7];
    const all = Float32Array.from([...inputs, ...extremes]);
    for (const [name, reference] of [['sigmoid', (x: number) => 1 / (1 + Math.exp(-x))], ['tanh', Math.tanh]] as const) {
      const [buffer] = allocate(kernels, [all.length]);
      buffer.view.set(all);
      kernels[name](buffer.ptr, all.length);
      let error = 0;
      for (let i = 0; i < all.length; i++) error = Math.max(error, Math.abs(buffer.view[i] - reference(all[i])));
      expect(error, name).toBeLessThanOrEqual(2e-7);
    }
  });

  it('transpose: every element lands at its transposed place (tall, wide, square, partial 32×32 blocks)', () => {
    const kernels = simdGateKernels()!;
    for (const [rows, cols] of [[4, 4], [8, 12], [20, 4], [4, 36], [0, 8], [64, 128], [36, 100]]) {
      const [src, dst] = allocate(kernels, [rows * cols, rows * cols + 4]);
      src.view.set(Float32Array.from({ length: rows * cols }, (_, i) => i + 1));
      dst.view.fill(-1);
      kernels.transpose(src.ptr, rows, cols, dst.ptr);
      const expected = Float32Array.from({ length: rows * cols }, (_, i) => src.view[(i % rows) * cols + Math.floor(i / rows)]);
      expect(Array.from(dst.view.subarray(0, rows * cols)), `${rows}x${cols}`).toEqual(Array.from(expected));
      expect(Array.from(dst.view.subarray(rows * cols)), 'nothing written past the end').toEqual([-1, -1, -1, -1]);
    }
  });
});

const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) * 0.5);
const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
};

function checkHostMath(math: () => HostMath): void {
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [1, 37, 9], [3, 5, 7], [4, 8, 4], [13, 9, 6], [32, 128, 64], [2, 130, 5]];
  for (const [m, k, n] of shapes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`matmul ${m}×${k}×${n}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}, plain and accumulating`, () => {
          const a = random(m * k, m + k), b = random(k * n, n);
          const expected = referenceMatmul(a, b, m, k, n, transposeA, transposeB);
          const c = new Float32Array(m * n).fill(3);
          math().matmul(a, b, c, m, k, n, { transposeA, transposeB });
          expect(maxDiff(c, expected)).toBeLessThanOrEqual(1e-5);
          math().matmul(a, b, c, m, k, n, { transposeA, transposeB, accumulate: true });
          expect(maxDiff(c, expected.map((v) => 2 * v))).toBeLessThanOrEqual(2e-5);
        });
      }
    }
    it(`prepared right operand ${m}×${k}×${n}, B and Bᵀ`, () => {
      for (const transposeB of [false, true]) {
        const b = random(k * n, 3);
        const prepared = prepareRight(math(), b, k, n, { transposeB });
        for (const seed of [1, 2]) {
          const a = random(m * k, seed);
          const c = new Float32Array(m * n);
          prepared.run(a, c, m);
          expect(maxDiff(c, referenceMatmul(a, b, m, k, n, false, transposeB))).toBeLessThanOrEqual(1e-5);
        }
        prepared.release();
      }
    });
  }
  it('sees new values in a right operand reused between calls (no stale packed weights)', () => {
    const m = 8, k = 16, n = 12;
    const a = random(m * k, 1), b = random(k * n, 2);
    const c = new Float32Array(m * n);
    math().matmul(a, b, c, m, k, n);
    b.set(random(k * n, 9));
    math().matmul(a, b, c, m, k, n);
    expect(maxDiff(c, referenceMatmul(a, b, m, k, n, false, false))).toBeLessThanOrEqual(1e-5);
  });
}

describe('HostMath: JS GEMM', () => checkHostMath(() => jsHostMath));

describe('HostMath: the SIMD panel product (the cpu backend)', () => checkHostMath(() => simdHostMath()!));

describe('HostMath: the wasm backend matmul', () => {
  let wasmMath: HostMath | undefined;
  it('is available on the wasm backend', async () => {
    await activateBackend('wasm');
    wasmMath = wasmTensorIO.math?.(tf.backend());
    expect(wasmMath).toBeDefined();
  });
  checkHostMath(() => wasmMath!);
});

// The SIMD path: no mask and hidden a multiple of 4; every layout, several sizes.
const simdCases: SequenceCase[] = cellNames.flatMap((cell, cellIndex) =>
  [
    { timeMajor: false, reverse: false, batch: 3, time: 5, inputSize: 3, hidden: 4 },
    { timeMajor: true, reverse: false, batch: 2, time: 4, inputSize: 5, hidden: 8 },
    { timeMajor: false, reverse: true, batch: 4, time: 3, inputSize: 2, hidden: 12 },
    { timeMajor: true, reverse: true, batch: 1, time: 6, inputSize: 4, hidden: 4 },
  ].map((layout, i) => ({ cell, masked: false, activation: 'tanh' as const, seed: 101 + cellIndex * 17 + i * 3, ...layout })),
);

function outputsAndGradients(implementation: Implementation, c: SequenceCase) {
  const { tensors } = makeSequenceInputs(c);
  const names = differentiableNames(c.cell);
  const outputs = runSequence(implementation, c, tensors);
  const grads = tf.grads((...xs: tf.Tensor[]) => {
    const out = runSequence(implementation, c, Object.fromEntries(names.map((n, i) => [n, xs[i]])));
    return weightedSum({ output: out.output, h: out.h, c: out.c }, c.seed);
  })(names.map((n) => tensors[n]));
  return { outputs, grads };
}

describeBackends('fused kernels on their SIMD path agree with the composite implementation', () => {
  for (const c of simdCases) {
    const label = `${c.cell} B${c.batch} T${c.time} I${c.inputSize} H${c.hidden}${c.timeMajor ? ' timeMajor' : ''}${c.reverse ? ' reverse' : ''}`;
    it(`${label}: outputs, carries and every gradient ≤ 1e-5`, () => {
      tf.tidy(() => {
        const fused = outputsAndGradients('fused', c);
        const composite = outputsAndGradients('composite', c);
        for (const key of ['output', 'h', 'c'] as const) {
          const f = fused.outputs[key], r = composite.outputs[key];
          if (f && r) expect(maxAbsDiff(f, r), key).toBeLessThanOrEqual(TOLERANCE);
        }
        differentiableNames(c.cell).forEach((name, i) =>
          expect(maxAbsDiff(fused.grads[i], composite.grads[i]), `d${name}`).toBeLessThanOrEqual(TOLERANCE));
      });
    });
  }
});
