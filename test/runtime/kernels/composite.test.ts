import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../helpers/backends.js';
import { rnnSequenceComposite } from '../../../src/runtime/kernels/composite/rnn.js';
import { lstmSequenceComposite } from '../../../src/runtime/kernels/composite/lstm.js';

describeBackends('composite kernels', () => {
  const identityRnn = (options: { timeMajor?: boolean; reverse?: boolean } = {}) =>
    tf.tidy(() => {
      const shape: [number, number, number] = options.timeMajor ? [4, 1, 1] : [1, 4, 1];
      const { output } = rnnSequenceComposite({
        x: tf.tensor3d([0.5, 0, 0.7, 0.8], shape),
        kernel: tf.ones([1, 1]),
        recurrentKernel: tf.ones([1, 1]),
        bias: tf.zeros([1]),
        h0: tf.zeros([1, 1]),
        activation: 'linear',
        ...options,
      });
      return Array.from(output.dataSync());
    });

  it('runs the ordering case forward, time-major and reversed', () => {
    expect(identityRnn()).toEqual([0.5, 0.5, 1.2, 2.0].map((v) => expect.closeTo(v, 6)));
    expect(identityRnn({ timeMajor: true })).toEqual([0.5, 0.5, 1.2, 2.0].map((v) => expect.closeTo(v, 6)));
    expect(identityRnn({ reverse: true })).toEqual([2.0, 1.5, 1.5, 0.8].map((v) => expect.closeTo(v, 6)));
  });

  it('matches tf.layers.lstm with the same weights', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
      const lstm = tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [5, 3] });
      const expectedLstm = lstm.apply(x) as tf.Tensor;
      const [k, r, b] = lstm.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      const bias = tf.randomNormal([16], 0, 1, 'float32', 2) as tf.Tensor1D;
      lstm.setWeights([k, r, bias]);
      const expectedWithBias = lstm.apply(x) as tf.Tensor;
      const zeros = tf.zeros([2, 4]) as tf.Tensor2D;
      const got = lstmSequenceComposite({ x, kernel: k, recurrentKernel: r, bias, h0: zeros, c0: zeros });
      expect(expectedLstm.shape).toEqual(got.output.shape);
      expect(tf.max(tf.abs(tf.sub(expectedWithBias, got.output))).dataSync()[0]).toBeLessThan(1e-5);

    });
  });
});
