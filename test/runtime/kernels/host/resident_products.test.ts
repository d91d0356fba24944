/**
 * The sequence forward over weights where the backend keeps them (HostCellData.resident): on wasm
 * x·K and h·R multiply the weight tensors in place with XNNPACK, which keeps its packing of each
 * weight per tensor id. Checked against a plain triple loop and the composite implementation:
 * weights outweighing the rows (the projected loop: x·K up front, R alone per step), rows
 * outweighing small weights (the fused loop), odd sizes (the JS path), reverse, time-major and
 * masks; a Variable assigned between calls is seen at the next call (no stale packing or prepared
 * form of R: the reset-before GRU's leading columns and second weight); the
 * projected forward never copies x or the weights out of the backend; repeated calls hold no more
 * heap or tensors than the first.
 */
import { describe, expect, it } from 'vitest';
import { activateBackend, describeBackends, tf } from '../../../helpers/backends.js';
import { cpuTensorIO, wasmTensorIO } from '../../../../src/runtime/kernels/host/backend_io.js';
import { hostMathFor } from '../../../../src/runtime/kernels/host/host_math.js';
import { keptOperandCount } from '../../../../src/runtime/kernels/host/prepared_weights.js';
import { simdHostMath } from '../../../../src/runtime/kernels/host/simd/simd_host_math.js';
import { createWasmHostMath, type WasmBackendModule, type WasmHostMath } from '../../../../src/runtime/kernels/host/wasm_math.js';
import { cellNames, differentiableNames, makeSequenceInputs, maxAbsDiff, runSequence, weightedSum, type SequenceCase } from '../cases.js';

const TOLERANCE = 1e-5;

function tripleLoop(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
    c[i * n + j] = sum;
  }
  return c;
}

describe('wasm: a weight tensor as the right operand, read where the backend keeps it', () => {
  it('multiplies like a triple loop, accumulates, and follows a Variable assign (fresh packing)', async () => {
    await activateBackend('wasm');
    const [m, k, n] = [3, 7, 10];
    const weight = tf.variable(tf.randomNormal([k, n], 0, 1, 'float32', 11));
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    for (let round = 0; round < 2; round++) {
      const right = wasmTensorIO.tensorRight!(tf.backend(), weight)!;
      expect(right).toBeDefined();
      const expected = tripleLoop(a, weight.dataSync() as Float32Array, m, k, n);
      const c = new Float32Array(m * n);
      right.run(a, c, m);
      expect(Math.max(...c.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
      right.run(a, c, m, true);
      expect(Math.max(...c.map((v, i) => Math.abs(v - 2 * expected[i])))).toBeLessThan(2e-5);
      right.release();
      tf.tidy(() => weight.assign(tf.mul(weight, -1.5)));
    }
    weight.dispose();
  });
});

describe('wasm: a step\'s x·K + h·R summed on the heap (productSum)', () => {
  it('equals two triple loops added, with and without the SIMD adder, odd widths included', async () => {
    await activateBackend('wasm');
    const module = (tf.backend() as unknown as { wasm: WasmBackendModule }).wasm;
    // Without the module's exported memory the adder falls back to a loop over the heap view.
    const withoutMemory = new Proxy(module, { get: (target, key) => (key === 'asm' ? undefined : Reflect.get(target, key)) });
    for (const math of [createWasmHostMath(module), createWasmHostMath(withoutMemory)]) {
      for (const [m, d, h, n] of [[1, 5, 8, 32], [2, 3, 7, 7], [1, 1, 1, 1], [1, 6, 4, 18]]) {
        const [x, kernel, carry, recurrent] = [[m, d], [d, n], [m, h], [h, n]].map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 40 + i));
        const expected = tripleLoop(x.dataSync() as Float32Array, kernel.dataSync() as Float32Array, m, d, n);
        const recurrentPart = tripleLoop(carry.dataSync() as Float32Array, recurrent.dataSync() as Float32Array, m, h, n);
        const id = (t: tf.Tensor) => (tf.backend() as unknown as { dataIdMap: { get(d: object): { id: number } } }).dataIdMap.get(t.dataId).id;
        const c = new Float32Array(m * n).fill(Number.NaN); // overwritten, never read
        math.multiplyTensorsSum(id(x), id(kernel), d, id(carry), id(recurrent), h, c, m, n);
        expect(Math.max(...c.map((v, i) => Math.abs(v - expected[i] - recurrentPart[i])))).toBeLessThan(1e-5);
        tf.dispose([x, kernel, carry, recurrent]);
      }
    }
    const [x, kernel, carry, recurrent] = [[1, 3], [3, 8], [1, 2], [2, 8]].map((shape) => tf.ones(shape));
    const c = new Float32Array(8);
    expect(wasmTensorIO.productSum!(tf.backend(), x, kernel, carry, recurrent, c)).toBe(true);
    expect([...c]).toEqual(new Array(8).fill(5));
    tf.dispose([x, kernel, carry, recurrent]);
  });
});

// Every cell, and the reset-before GRU: its h·R over R's leading columns and its second weight
// are R's forms kept per R lifetime, which must follow an assign too.
const cases: SequenceCase[] = [...cellNames.map((cell) => ({ cell })), { cell: 'gru' as const, resetAfter: false }].flatMap((cell) => [
  { ...cell, batch: 1, time: 6, inputSize: 5, hidden: 8, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 301 },
  { ...cell, batch: 2, time: 5, inputSize: 3, hidden: 12, timeMajor: true, reverse: true, masked: false, activation: 'tanh', seed: 302 },
  { ...cell, batch: 1, time: 4, inputSize: 6, hidden: 5, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 303 },
  { ...cell, batch: 3, time: 5, inputSize: 4, hidden: 8, timeMajor: false, reverse: true, masked: true, activation: 'tanh', seed: 304 },
  { ...cell, batch: 9, time: 3, inputSize: 4, hidden: 8, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 305 },
] satisfies SequenceCase[]);

const label = (c: SequenceCase) =>
  `${c.cell}${c.resetAfter === false ? ' reset-before' : ''} B${c.batch} T${c.time} I${c.inputSize} H${c.hidden}` +
  `${c.timeMajor ? ' timeMajor' : ''}${c.reverse ? ' reverse' : ''}${c.masked ? ' masked' : ''}`;

describeBackends('sequences over resident weights agree with the composite implementation', () => {
  for (const c of cases) {
    it(`${label(c)}: outputs, carries and every gradient, before and after a weight assign`, () => {
      const { tensors, mask } = makeSequenceInputs(c);
      const kernel = tf.variable(tensors.kernel);
      const recurrentKernel = tf.variable(tensors.recurrentKernel);
      for (let round = 0; round < 2; round++) {
        const t = { ...tensors, kernel, recurrentKernel };
        const fused = runSequence('fused', c, t, mask);
        const reference = runSequence('composite', c, t, mask);
        for (const name of ['output', 'h', 'c'] as const) {
          if (reference[name]) expect(maxAbsDiff(fused[name]!, reference[name]!), name).toBeLessThan(TOLERANCE);
        }
        const names = differentiableNames(c.cell);
        const loss = (implementation: 'fused' | 'composite') => (...values: tf.Tensor[]) =>
          weightedSum(runSequence(implementation, c, Object.fromEntries(names.map((n, i) => [n, values[i]])), mask), c.seed);
        const inputs = names.map((n) => t[n as keyof typeof t]);
        const grads = tf.grads(loss('fused'))(inputs);
        const referenceGrads = tf.grads(loss('composite'))(inputs);
        grads.forEach((g, i) => expect(maxAbsDiff(g, referenceGrads[i]), `d${names[i]}`).toBeLessThan(TOLERANCE));
        tf.dispose([...Object.values(fused), ...Object.values(reference), ...grads, ...referenceGrads]);
        tf.tidy(() => {
          kernel.assign(tf.mul(tf.add(kernel, 0.2), -0.8));
          recurrentKernel.assign(tf.mul(recurrentKernel, -1.3));
        });
      }
      tf.dispose([...Object.values(tensors), kernel, recurrentKernel, mask].filter((x) => x !== undefined));
    });
  }
});

describe('wasm: the sequence forward multiplies the weights where the backend keeps them', () => {
  const c: SequenceCase = { cell: 'lstm', batch: 1, time: 8, inputSize: 16, hidden: 16, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 310 };

  it('never reads x or the weights out of the backend (no readSync of them)', async () => {
    await activateBackend('wasm');
    const { tensors } = makeSequenceInputs(c);
    const backend = tf.backend();
    const read: object[] = [];
    const readSync = backend.readSync.bind(backend);
    backend.readSync = (dataId: object) => {
      read.push(dataId);
      return readSync(dataId);
    };
    try {
      const outputs = runSequence('fused', c, tensors);
      tf.dispose(Object.values(outputs));
    } finally {
      backend.readSync = readSync;
    }
    for (const name of ['x', 'kernel', 'recurrentKernel']) expect(read, name).not.toContain(tensors[name].dataId);
    expect(read).toContain(tensors.h0.dataId); // the carries are read: the check sees reads at all
    tf.dispose(Object.values(tensors));
  });

  it('holds no more tensors or heap after 50 calls than after the first', async () => {
    await activateBackend('wasm');
    const { tensors } = makeSequenceInputs(c);
    const math = wasmTensorIO.math!(tf.backend()) as WasmHostMath;
    const run = () => tf.dispose(Object.values(runSequence('fused', c, tensors)));
    run();
    const [tensorsBefore, heapBefore] = [tf.memory().numTensors, math.heapBytes()];
    for (let i = 0; i < 50; i++) run();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(math.heapBytes()).toBe(heapBefore);
    tf.dispose(Object.values(tensors));
  });
});

describeBackends('the reset-before GRU keeps the forms of R it multiplies by for R\'s lifetime', (backend) => {
  // Hidden 8: the SIMD gate kernels; 5: the JavaScript rows.
  for (const hidden of [8, 5]) {
    it(`H${hidden}: repeated forwards read R only to prepare its forms, keep as many, and release them with R`, () => {
      const c: SequenceCase = {
        cell: 'gru', resetAfter: false, batch: 2, time: 5, inputSize: 6, hidden, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 320,
      };
      const kb = tf.backend();
      // Forms are kept on the backend's HostMath, and on wasm at batch ≤ 2 on the panel product (as a step's).
      const maths = new Set([hostMathFor(backend, () => (backend === 'wasm' ? wasmTensorIO : cpuTensorIO).math?.(kb)), simdHostMath()!]);
      const keptOperands = () => [...maths].reduce((count, math) => count + keptOperandCount(math), 0);
      const { tensors } = makeSequenceInputs(c);
      const recurrentKernel = tf.add(tensors.recurrentKernel, 0); // its own data (a clone shares its dataId on cpu)
      const t = { ...tensors, recurrentKernel };
      let reads = 0;
      const readSync = kb.readSync.bind(kb);
      kb.readSync = (dataId: object) => {
        if (dataId === recurrentKernel.dataId) reads++;
        return readSync(dataId);
      };
      const kept = keptOperands();
      try {
        const run = () => tf.dispose(Object.values(runSequence('fused', c, t)));
        run();
        const [readsFirst, keptFirst] = [reads, keptOperands()];
        expect(keptFirst).toBeGreaterThan(kept); // R's z and r columns and its n columns (the second weight)
        for (let i = 0; i < 3; i++) run();
        expect(reads).toBe(readsFirst);
        expect(keptOperands()).toBe(keptFirst);
      } finally {
        kb.readSync = readSync;
      }
      // R's forms (its z and r columns, its second weight) go with R; K's (cpu: x·K) with K.
      const keptWithR = keptOperands();
      recurrentKernel.dispose();
      expect(keptWithR - keptOperands()).toBeGreaterThanOrEqual(2);
      tf.dispose(Object.values(tensors));
      expect(keptOperands()).toBe(kept);
    });
  }
});
