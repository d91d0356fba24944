/**
 * The prepared-weights cache of the step kernels: a hit serves the same product without preparing
 * again, keys separate weights, shapes and transposes, an operand lives (whatever its size) until its
 * weights do, and a step after a Variable's assign sees the new values (checked against the
 * composite step).
 */
import { describe, expect, it } from 'vitest';
import { describeBackends, tf } from '../../helpers/backends.js';
import { jsHostMath, type HostMath, type PreparedMatmul } from '../../../src/runtime/kernels/host/host_math.js';
import { keptOperandCount, withPreparedWeights } from '../../../src/runtime/kernels/host/prepared_weights.js';
import { lstmStep } from '../../../src/runtime/kernels/ops.js';
import { lstmStepComposite } from '../../../src/runtime/kernels/composite/lstm.js';
import { maxAbsDiff } from './cases.js';

/** jsHostMath counting prepareRight and release calls. */
function countingMath(): HostMath & { prepared: number; released: number } {
  const math = {
    prepared: 0,
    released: 0,
    matmul: jsHostMath.matmul,
    prepareRight(b: Float32Array, k: number, n: number, options?: { transposeB?: boolean }): PreparedMatmul {
      math.prepared++;
      const inner = jsHostMath.prepareRight!(b, k, n, options);
      return { run: inner.run, release: () => { math.released++; inner.release(); } };
    },
  };
  return math;
}

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.37));

describe('withPreparedWeights', () => {
  it('prepares an operand once for the same weights, shape and transpose, and runs it correctly', () => {
    const math = countingMath();
    const [K, R] = [{}, {}];
    const b = values(6 * 8, 1);
    const a = values(3 * 6, 2);
    const expected = new Float32Array(3 * 8);
    jsHostMath.matmul(a, b, expected, 3, 6, 8);
    for (let call = 0; call < 3; call++) {
      const prepared = withPreparedWeights(math, [K, R]).prepareRight!(b, 6, 8);
      const c = new Float32Array(3 * 8);
      prepared.run(a, c, 3);
      prepared.release(); // a no-op for a kept operand
      expect(Array.from(c)).toEqual(Array.from(expected));
    }
    expect(math.prepared).toBe(1);
    expect(math.released).toBe(0);
    withPreparedWeights(math, [K, R]).prepareRight!(values(8 * 6, 3), 8, 6, { transposeB: true });
    withPreparedWeights(math, [K, {}]).prepareRight!(b, 6, 8);
    expect(math.prepared).toBe(3);
  });

  it('keeps operands of any size while their weights live, releases each once after its weight goes', () => {
    const math = countingMath();
    const floats = 12 * 2 ** 20 / 4; // 12 MiB each: 36 MiB in all, past the old 16 MiB budget
    const operand = new Float32Array(floats);
    const live = new Set<object>([{}, {}, {}]);
    const ids = [...live];
    const isLive = (dataId: object) => live.has(dataId);
    for (let round = 0; round < 2; round++) {
      for (const id of ids) withPreparedWeights(math, [id], isLive).prepareRight!(operand, floats, 1);
    }
    expect(math.prepared).toBe(3); // the second round hit every one
    expect(math.released).toBe(0);
    live.delete(ids[1]);
    expect(keptOperandCount(math)).toBe(2);
    expect(math.released).toBe(1);
    withPreparedWeights(math, [ids[0]], isLive).prepareRight!(operand, floats, 1);
    expect(math.prepared).toBe(3);
    live.clear();
    expect(keptOperandCount(math)).toBe(0);
    expect(math.released).toBe(3);
  });

  it('releases a disposed weight\'s operands before the next one is prepared, and within 64 calls that only hit', () => {
    const math = countingMath();
    const live = new Set<object>([{}, {}, {}]);
    const [a, b, c] = [...live];
    const isLive = (dataId: object) => live.has(dataId);
    const prepare = (id: object) => withPreparedWeights(math, [id], isLive).prepareRight!(values(4 * 4, 1), 4, 4);
    prepare(a);
    prepare(b);
    live.delete(b);
    for (let call = 0; call < 64; call++) prepare(a);
    expect(math.prepared).toBe(2);
    expect(math.released).toBe(1);
    live.delete(a);
    const released = math.released;
    // A miss: what a's operand held is freed before c's is made (an assign's old and new forms never both held).
    const prepareRight = math.prepareRight!.bind(math);
    math.prepareRight = (...args) => {
      expect(math.released).toBe(released + 1);
      return prepareRight(...args);
    };
    prepare(c);
    expect(math.prepared).toBe(3);
    expect(keptOperandCount(math)).toBe(1);
  });

  it('keeps its own copy of the operand: a caller reusing its buffer does not change a kept operand', () => {
    // A HostMath whose prepared operand reads `b` itself, as the interface allows until release.
    const byReference: HostMath = {
      matmul: jsHostMath.matmul,
      prepareRight: (b, k, n) => ({ run: (a, c, m) => jsHostMath.matmul(a, b, c, m, k, n), release() {} }),
    };
    const weights = [{}];
    const buffer = values(4 * 4, 5);
    const original = buffer.slice();
    const a = values(2 * 4, 6);
    withPreparedWeights(byReference, weights).prepareRight!(buffer, 4, 4);
    buffer.fill(0); // the caller's scratch, reused for something else
    const c = new Float32Array(2 * 4);
    withPreparedWeights(byReference, weights).prepareRight!(buffer, 4, 4).run(a, c, 2);
    const expected = new Float32Array(2 * 4);
    jsHostMath.matmul(a, original, expected, 2, 4, 4);
    expect(Array.from(c)).toEqual(Array.from(expected));
  });

  it('leaves a math without prepareRight alone (nothing to save)', () => {
    const plain: HostMath = { matmul: jsHostMath.matmul };
    expect(withPreparedWeights(plain, [{}])).toBe(plain);
  });
});

describeBackends('step kernels with kept weights', () => {
  it('LSTM steps after Variable.assign use the new weights (no stale prepared operand)', () => {
    const [batch, inputSize, hidden] = [3, 5, 8];
    const kernel = tf.variable(tf.randomNormal([inputSize, 4 * hidden], 0, 0.5, 'float32', 1));
    const recurrentKernel = tf.variable(tf.randomNormal([hidden, 4 * hidden], 0, 0.5, 'float32', 2));
    const bias = tf.randomNormal([4 * hidden], 0, 0.5, 'float32', 3) as tf.Tensor1D;
    const x = tf.randomNormal([batch, inputSize], 0, 1, 'float32', 4) as tf.Tensor2D;
    const h = tf.randomNormal([batch, hidden], 0, 1, 'float32', 5) as tf.Tensor2D;
    const c = tf.randomNormal([batch, hidden], 0, 1, 'float32', 6) as tf.Tensor2D;
    for (let round = 0; round < 3; round++) {
      const weights = { kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias };
      const fused = lstmStep({ x, h, c, ...weights });
      const reference = lstmStepComposite({ x, h, c, ...weights });
      expect(maxAbsDiff(fused.h, reference.h)).toBeLessThan(1e-5);
      expect(maxAbsDiff(fused.c, reference.c)).toBeLessThan(1e-5);
      // The gradient path prepares Rᵀ: it must follow the assign too.
      const grads = tf.grads((k: tf.Tensor, r: tf.Tensor) => tf.sum(lstmStep({ x, h, c, kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias }).h))([kernel, recurrentKernel]);
      const referenceGrads = tf.grads((k: tf.Tensor, r: tf.Tensor) => tf.sum(lstmStepComposite({ x, h, c, kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias }).h))([kernel, recurrentKernel]);
      grads.forEach((g, i) => expect(maxAbsDiff(g, referenceGrads[i])).toBeLessThan(1e-5));
      tf.dispose([fused.h, fused.c, reference.h, reference.c, ...grads, ...referenceGrads]);
      tf.tidy(() => {
        kernel.assign(tf.add(kernel, 0.3) as tf.Variable);
        recurrentKernel.assign(tf.mul(recurrentKernel, -0.7) as tf.Variable);
      });
    }
    tf.dispose([kernel, recurrentKernel, bias, x, h, c]);
  });
});
