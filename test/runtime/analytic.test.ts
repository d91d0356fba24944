/**
 * Cases with hand-computed answers: the Flux.jl issues that motivated the blocked interface
 * (#2185: gradient through the initial state; #1547: a gradient that Recur got wrong) and the
 * ordering of outputs under timeMajor and reverse.
 */
import { expect, it } from 'vitest';
import { RNN, RNNCell, Recurrence } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose } from './helpers.js';

/** A 1→1 identity ('linear') RNN with scalar weights. */
function scalarRnn(kernel: number, recurrent: number, bias: number, options = {}): RNN {
  const rnn = new RNN(1, 1, { activation: 'linear', ...options });
  tf.tidy(() => rnn.cell.setWeights([tf.tensor2d([[kernel]]), tf.tensor2d([[recurrent]]), tf.tensor1d([bias])]));
  return rnn;
}

describeBackends('analytic cases', () => {
  it('Flux #2185: loss 167, dKernel 11, dRecurrent 66, dBias 5, dInitialState 16', () => {
    const rnn = scalarRnn(5, 4, 0, { returnSequences: false });
    const x = tf.tensor3d([2, 3], [1, 2, 1]);
    const h0 = tf.tensor2d([[7]]);
    const [kernel, recurrent, bias] = rnn.trainableVariables();
    const lossOf = (h: tf.Tensor) => tf.sum(rnn.apply(x, { h: h as tf.Tensor2D }).output) as tf.Scalar;
    const { value, grads } = tf.variableGrads(() => lossOf(h0));
    expect(value.dataSync()[0]).toBeCloseTo(167, 4);
    expect(grads[kernel.name].dataSync()[0]).toBeCloseTo(11, 4);
    expect(grads[recurrent.name].dataSync()[0]).toBeCloseTo(66, 4);
    expect(grads[bias.name].dataSync()[0]).toBeCloseTo(5, 4);
    const dInitialState = tf.grad(lossOf)(h0);
    expect(dInitialState.dataSync()[0]).toBeCloseTo(16, 4);
    tf.dispose([x, h0, value, dInitialState, ...Object.values(grads)]);
    rnn.dispose();
  });

  it('Flux #2185 with a learned initial state: its gradient is 16 too', () => {
    const rnn = scalarRnn(5, 4, 0, { returnSequences: false, trainableInitialState: true });
    rnn.initialState!.h.assign(tf.tensor2d([[7]]));
    const x = tf.tensor3d([2, 3], [1, 2, 1]);
    const { value, grads } = tf.variableGrads(() => tf.sum(rnn.apply(x).output) as tf.Scalar);
    expect(value.dataSync()[0]).toBeCloseTo(167, 4);
    expect(grads[rnn.initialState!.h.name].dataSync()[0]).toBeCloseTo(16, 4);
    tf.dispose([x, value, ...Object.values(grads)]);
    rnn.dispose();
  });

  it('Flux #1547: dKernel = 2.8003 whatever the targets', () => {
    const rnn = scalarRnn(0.7, 0.001, 0.85);
    const x = tf.tensor3d([0.3, 2.5], [1, 2, 1]);
    const [kernel] = rnn.trainableVariables();
    for (const targets of [[0, 0], [1.5, -4]]) {
      const y = tf.tensor3d(targets, [1, 2, 1]);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.sub(rnn.apply(x).output, y)) as tf.Scalar, [kernel]);
      // outputs 1.06 and 2.60106
      expect(value.dataSync()[0]).toBeCloseTo(1.06 + 2.60106 - targets[0] - targets[1], 4);
      expect(grads[kernel.name].dataSync()[0]).toBeCloseTo(2.8003, 5);
      tf.dispose([y, value, ...Object.values(grads)]);
    }
    x.dispose();
    rnn.dispose();
  });

  it('ordering: [0.5, 0, 0.7, 0.8] → [0.5, 0.5, 1.2, 2.0]; timeMajor the same; reverse → [2.0, 1.5, 1.5, 0.8]', () => {
    const cases: Array<[object, number[], number[]]> = [
      [{}, [1, 4, 1], [0.5, 0.5, 1.2, 2.0]],
      [{ timeMajor: true }, [4, 1, 1], [0.5, 0.5, 1.2, 2.0]],
      [{ reverse: true }, [1, 4, 1], [2.0, 1.5, 1.5, 0.8]],
      [{ reverse: true, timeMajor: true }, [4, 1, 1], [2.0, 1.5, 1.5, 0.8]],
    ];
    for (const [options, shape, expected] of cases) {
      const rnn = scalarRnn(1, 1, 0, options);
      const x = tf.tensor([0.5, 0, 0.7, 0.8], shape);
      const { output, carry } = rnn.apply(x);
      expect(output.shape).toEqual(shape);
      expectClose(Array.from(output.dataSync()), expected, 1e-6);
      // The final carry is the state after the last processed step.
      expectClose(Array.from(carry.h.dataSync()), [expected['reverse' in options ? 0 : 3]], 1e-6);
      tf.dispose([x, output, carry.h]);
      rnn.dispose();
    }
  });

  it('ordering through the generic step loop (a cell without a fused sequence)', () => {
    const cell = new RNNCell(1, 1, { activation: 'linear' });
    tf.tidy(() => cell.setWeights([tf.tensor2d([[1]]), tf.tensor2d([[1]]), tf.tensor1d([0])]));
    const stepOnly = {
      inputSize: 1,
      hiddenSize: 1,
      initialCarry: (b: number) => cell.initialCarry(b),
      step: (x: tf.Tensor2D, c: { h: tf.Tensor2D }) => cell.step(x, c),
      getWeights: () => cell.getWeights(),
      setWeights: (w: tf.Tensor[]) => cell.setWeights(w),
      trainableVariables: () => cell.trainableVariables(),
      dispose: () => cell.dispose(),
    };
    const x = tf.tensor3d([0.5, 0, 0.7, 0.8], [1, 4, 1]);
    const forward = new Recurrence(stepOnly).apply(x);
    const backward = new Recurrence(stepOnly, { reverse: true }).apply(x);
    expectClose(Array.from(forward.output.dataSync()), [0.5, 0.5, 1.2, 2.0], 1e-6);
    expectClose(Array.from(backward.output.dataSync()), [2.0, 1.5, 1.5, 0.8], 1e-6);
    tf.dispose([x, forward, backward] as unknown as tf.Tensor[]);
    cell.dispose();
  });
});
