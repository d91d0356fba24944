import { expect, it } from 'vitest';
import { GRUCell, LSTMCell, RNNCell } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose } from './helpers.js';

const [IN, H] = [6, 4];

describeBackends('cells', () => {
  it('canonical weight shapes and default initialisation (glorot kernels, orthogonal recurrent, LSTM forget bias 1)', () => {
    const cases = [
      { cell: new RNNCell(IN, H), gates: 1, bias: [H] },
      { cell: new LSTMCell(IN, H), gates: 4, bias: [4 * H] },
      { cell: new GRUCell(IN, H), gates: 3, bias: [2, 3 * H] },
    ];
    for (const { cell, gates, bias } of cases) {
      const [kernel, recurrent, b] = cell.getWeights();
      expect(kernel.shape).toEqual([IN, gates * H]);
      expect(recurrent.shape).toEqual([H, gates * H]);
      expect(b.shape).toEqual(bias);
      const limit = Math.sqrt(6 / (IN + gates * H));
      expect(Math.max(...Array.from(kernel.dataSync()).map(Math.abs))).toBeLessThanOrEqual(limit);
      // Orthonormal rows (H ≤ gates·H): R·Rᵀ = I.
      tf.tidy(() => expectClose(tf.matMul(recurrent, recurrent, false, true), tf.eye(H), 1e-5));
      const expectedBias = cell instanceof LSTMCell ? [...Array(H).fill(0), ...Array(H).fill(1), ...Array(2 * H).fill(0)] : Array(bias.reduce((a, n) => a * n, 1)).fill(0);
      expect(Array.from(b.dataSync())).toEqual(expectedBias);
      expect(cell.trainableVariables()).toEqual([kernel, recurrent, b]);
      cell.dispose();
    }
  });

  it('a seed makes initialisation reproducible', () => {
    const [a, b, c] = [new LSTMCell(IN, H, { seed: 42 }), new LSTMCell(IN, H, { seed: 42 }), new LSTMCell(IN, H, { seed: 43 })];
    a.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b.getWeights()[i].dataSync())));
    expect(Array.from(a.kernel.dataSync())).not.toEqual(Array.from(c.kernel.dataSync()));
    for (const cell of [a, b, c]) cell.dispose();
  });

  it('setWeights copies the values in, also from another cell and from its own weights', () => {
    const a = new GRUCell(IN, H, { seed: 1 });
    const b = new GRUCell(IN, H, { seed: 2 });
    b.setWeights(a.getWeights());
    a.getWeights().forEach((w, i) => expectClose(b.getWeights()[i], w, 0));
    const values = Array.from(a.kernel.dataSync());
    a.setWeights(a.getWeights()); // must not release the data it re-reads
    expect(Array.from(a.kernel.dataSync())).toEqual(values);
    a.dispose(); // b keeps its own reference to the data
    expect(Array.from(b.kernel.dataSync())).toEqual(values);
    b.dispose();
  });

  it('holds no state: the same step twice gives the same result; initialCarry is zeros', () => {
    const cell = new LSTMCell(IN, H, { seed: 3 });
    const x = tf.randomNormal([2, IN], 0, 1, 'float32', 1) as tf.Tensor2D;
    const carry = cell.initialCarry(2);
    expect(carry.h.shape).toEqual([2, H]);
    expect(Array.from(carry.c.dataSync())).toEqual(Array(2 * H).fill(0));
    const first = cell.step(x, carry);
    const second = cell.step(x, carry);
    expectClose(first.output, second.output, 0);
    expect(first.output).toBe(first.carry.h);
    tf.dispose([x, carry, first, second] as never);
    cell.dispose();
  });

  it('dispose releases every variable', () => {
    const before = tf.memory().numTensors;
    const cell = new GRUCell(IN, H);
    expect(tf.memory().numTensors).toBe(before + 3);
    cell.dispose();
    cell.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(before);
    const x = tf.zeros([1, IN]) as tf.Tensor2D;
    const h = tf.zeros([1, H]) as tf.Tensor2D;
    expect(() => cell.step(x, { h })).toThrow(/GRUCell\.step: this cell was disposed/);
    tf.dispose([x, h]);
  });
});
