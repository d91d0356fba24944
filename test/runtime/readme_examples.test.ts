/** The examples of README.md (the blocked runtime section), run as written (shapes and behaviour they promise). */
import { expect, it } from 'vitest';
import { Bidirectional, LSTM, LSTMCell, Recurrence, scan } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';

class ScaledRNNCell {
  // h' = tanh(x·W + scale·h)
  inputSize = 4;
  hiddenSize = 8;
  w = tf.variable(tf.randomNormal([4, 8], 0, 0.3));
  scale = tf.variable(tf.scalar(0.5));
  initialCarry(batch: number) {
    return { h: tf.zeros([batch, 8]) as tf.Tensor2D };
  }
  step(x: tf.Tensor2D, { h }: { h: tf.Tensor2D }) {
    const next = tf.tanh(tf.add(tf.matMul(x, this.w), tf.mul(this.scale, h))) as tf.Tensor2D;
    return { output: next, carry: { h: next } };
  }
  getWeights() {
    return [this.w, this.scale];
  }
  setWeights([w, scale]: tf.Tensor[]) {
    this.w.assign(w);
    this.scale.assign(scale as tf.Scalar);
  }
  trainableVariables() {
    return [this.w, this.scale];
  }
  dispose() {
    this.w.dispose();
    this.scale.dispose();
  }
}

describeBackends('README examples', () => {
  it('blocked call, continued with the carry, trained with adam', () => {
    const lstm = new LSTM(8, 32);
    const x = tf.randomNormal([16, 20, 8]);
    const { output, carry } = lstm.apply(x);
    expect(output.shape).toEqual([16, 20, 32]);
    expect([carry.h.shape, carry.c.shape]).toEqual([[16, 32], [16, 32]]);
    const next = lstm.apply(tf.tidy(() => tf.randomNormal([16, 20, 8])), carry);
    expect(next.output.shape).toEqual([16, 20, 32]);

    const model = new LSTM(8, 32, { returnSequences: false, seed: 1 });
    const y = tf.randomNormal([16, 32], 0, 0.3);
    const optimizer = tf.train.adam(1e-2);
    const loss = () => tf.losses.meanSquaredError(y, model.apply(x).output) as tf.Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]);
    for (let i = 0; i < 5; i++) optimizer.minimize(loss, false, model.trainableVariables());
    expect(tf.tidy(() => loss().dataSync()[0])).toBeLessThan(first);
    tf.dispose([x, y, output, carry, next] as never);
    optimizer.dispose();
    lstm.dispose();
    model.dispose();
  });

  it('cell.step, a user cell under Recurrence, Bidirectional, scan', () => {
    const cell = new LSTMCell(8, 32, { seed: 1 });
    const carry = cell.initialCarry(4);
    const stepped = cell.step(tf.tidy(() => tf.randomNormal([4, 8]) as tf.Tensor2D), carry);
    expect(stepped.output.shape).toEqual([4, 32]);

    const layer = new Recurrence(new ScaledRNNCell(), { reverse: true });
    const xs = tf.randomNormal([2, 5, 4]);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
    const custom = layer.apply(xs, undefined, { mask });
    expect(custom.output.shape).toEqual([2, 5, 8]);

    const bi = new Bidirectional(new LSTM(4, 32), new LSTM(4, 32, { reverse: true }), { merge: 'concat' });
    const both = bi.apply(xs, undefined, { mask });
    expect(both.output.shape).toEqual([2, 5, 64]);
    expect(both.carry.backward.h.shape).toEqual([2, 32]);

    const xsTimeMajor = tf.transpose(xs, [1, 0, 2]);
    const scanned = scan(
      (h: tf.Tensor, xT) => {
        const next = tf.tanh(tf.add(tf.mul(h, 0.9), xT));
        return [next, next];
      },
      tf.zeros([2, 4]),
      xsTimeMajor,
      { reverse: false },
    );
    expect(scanned.outputs.shape).toEqual([5, 2, 4]);
    tf.dispose([carry, stepped, xs, mask, custom, both, xsTimeMajor, scanned] as never);
    for (const owner of [cell, layer, bi]) owner.dispose();
  });
});
