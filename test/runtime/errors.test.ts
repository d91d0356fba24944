/**
 * Every rejected input: the error type, a message naming what was expected and what came, and no
 * tensor left behind.
 */
import { expect, it } from 'vitest';
import { Bidirectional, GRU, GRUCell, LSTM, LSTMCell, RNN, RnnShapeError } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';

const [BATCH, TIME, IN, H] = [2, 3, 4, 5];

/** Asserts the call throws `type` with a message matching every pattern, allocating nothing. */
function expectRejected(call: () => unknown, type: new (...args: never[]) => Error, ...patterns: RegExp[]): void {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    call();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(type);
  for (const pattern of patterns) expect((error as Error).message).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

describeBackends('input validation', () => {
  it('rank 1 or 2 to a sequence layer names the layout, batch-major or time-major', () => {
    const lstm = new LSTM(IN, H);
    const timeMajor = new GRU(IN, H, { timeMajor: true });
    const x2 = tf.zeros([BATCH, IN]);
    const x1 = tf.zeros([IN]);
    expectRejected(() => lstm.apply(x2), RnnShapeError, /LSTM\.apply/, /\[batch, time, features\] \(rank 3\)/, /got shape \[2, 4\] \(rank 2\)/, /cell\.step/);
    expectRejected(() => lstm.apply(x1), RnnShapeError, /\[batch, time, features\]/, /rank 1/);
    expectRejected(() => timeMajor.apply(x2), RnnShapeError, /\[time, batch, features\]/, /timeMajor/);
    const error = (() => {
      try {
        lstm.apply(x2);
      } catch (e) {
        return e as RnnShapeError;
      }
    })()!;
    expect(error.name).toBe('RnnShapeError');
    expect(error.expected).toMatch(/rank 3/);
    expect(error.got).toBe('shape [2, 4] (rank 2)');
    tf.dispose([x1, x2]);
    lstm.dispose();
    timeMajor.dispose();
  });

  it('a wrong feature size names the cell input size', () => {
    const rnn = new RNN(IN, H);
    const x = tf.zeros([BATCH, TIME, IN + 1]);
    expectRejected(() => rnn.apply(x), RnnShapeError, /\[batch, time, 4\]/, /inputSize is 4/, /got shape \[2, 3, 5\]/);
    const step = tf.zeros([BATCH, IN + 1]);
    const carry = rnn.initialCarry(BATCH);
    expectRejected(() => rnn.cell.step(step as tf.Tensor2D, carry), RnnShapeError, /RNNCell\.step/, /\[batch, 4\]/);
    tf.dispose([x, step, carry] as never);
    rnn.dispose();
  });

  it('a carry with another batch or width is never broadcast', () => {
    const lstm = new LSTM(IN, H);
    const x = tf.zeros([BATCH, TIME, IN]);
    const good = lstm.initialCarry(BATCH);
    const batchOne = lstm.initialCarry(1);
    const wide = { h: tf.zeros([BATCH, H + 1]) as tf.Tensor2D, c: good.c };
    expectRejected(() => lstm.apply(x, batchOne), RnnShapeError, /carry\.h of shape \[2, 5\] \(batch 2, as x\)/, /got shape \[1, 5\]/, /never broadcast/);
    expectRejected(() => lstm.apply(x, wide), RnnShapeError, /carry\.h of shape \[2, 5\]/, /got shape \[2, 6\]/);
    const xStep = tf.zeros([BATCH, IN]) as tf.Tensor2D;
    expectRejected(() => lstm.cell.step(xStep, batchOne), RnnShapeError, /LSTMCell\.step/, /never broadcast/);
    tf.dispose([x, good, batchOne, wide, xStep] as never);
    lstm.dispose();
  });

  it('wrong carry keys name the expected ones', () => {
    const lstm = new LSTM(IN, H);
    const gru = new GRU(IN, H);
    const x = tf.zeros([BATCH, TIME, IN]);
    const h = tf.zeros([BATCH, H]);
    expectRejected(() => lstm.apply(x, { h } as never), RnnShapeError, /keys \{ h, c \}/, /got keys \{ h \}/);
    expectRejected(() => gru.apply(x, { h, c: h } as never), RnnShapeError, /keys \{ h \}/, /got keys \{ h, c \}/);
    expectRejected(() => gru.apply(x, h as never), RnnShapeError, /a carry object \{ h \}/);
    tf.dispose([x, h]);
    lstm.dispose();
    gru.dispose();
  });

  it('a mask of the wrong shape or kind', () => {
    const gru = new GRU(IN, H, { timeMajor: true });
    const x = tf.zeros([TIME, BATCH, IN]);
    const timeMajorMask = tf.ones([TIME, BATCH]);
    const mask3d = tf.ones([BATCH, TIME, 1]);
    expectRejected(() => gru.apply(x, undefined, { mask: timeMajorMask as tf.Tensor2D }), RnnShapeError, /mask of shape \[batch, time\] = \[2, 3\]/, /batch-major even with timeMajor/, /got shape \[3, 2\]/);
    expectRejected(() => gru.apply(x, undefined, { mask: mask3d as never }), RnnShapeError, /rank 3/);
    expectRejected(() => gru.apply(x, undefined, { mask: [[1, 1, 1]] as never }), TypeError, /mask must be a tf\.Tensor/);
    tf.dispose([x, timeMajorMask, mask3d]);
    gru.dispose();
  });

  it('a bool or int mask is accepted and means the same as a float one', () => {
    const gru = new GRU(IN, H, { seed: 1 });
    const x = tf.randomNormal([BATCH, TIME, IN], 0, 1, 'float32', 3);
    const values = [[1, 1, 0], [1, 0, 0]];
    const before = tf.memory().numTensors;
    const results = (['float32', 'bool', 'int32'] as const).map((dtype) => {
      const mask = tf.tensor2d(values, undefined, dtype);
      const result = gru.apply(x, undefined, { mask: mask as tf.Tensor2D });
      mask.dispose();
      return result;
    });
    for (const result of results.slice(1)) expect(Array.from(result.output.dataSync())).toEqual(Array.from(results[0].output.dataSync()));
    tf.dispose(results as never);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    gru.dispose();
  });

  it('an int tensor is a TypeError naming the dtype', () => {
    const rnn = new RNN(IN, H);
    const x = tf.zeros([BATCH, TIME, IN], 'int32');
    expectRejected(() => rnn.apply(x), TypeError, /x must have dtype float32, got int32/, /tf\.cast/);
    const h = tf.zeros([BATCH, H], 'int32');
    const xf = tf.zeros([BATCH, TIME, IN]);
    expectRejected(() => rnn.apply(xf, { h: h as tf.Tensor2D }), TypeError, /carry\.h must have dtype float32/);
    expectRejected(() => rnn.apply([[[1]]] as never), TypeError, /x must be a tf\.Tensor, got an array/);
    tf.dispose([x, h, xf]);
    rnn.dispose();
  });

  it('a disposed tensor (input, carry or mask) is named as such', () => {
    const lstm = new LSTM(IN, H);
    const x = tf.zeros([BATCH, TIME, IN]);
    const disposedX = tf.zeros([BATCH, TIME, IN]);
    disposedX.dispose();
    const carry = lstm.initialCarry(BATCH);
    carry.c.dispose();
    const mask = tf.ones([BATCH, TIME]) as tf.Tensor2D;
    mask.dispose();
    expectRejected(() => lstm.apply(disposedX), RnnShapeError, /x to be a live tensor/, /got a disposed tensor/);
    expectRejected(() => lstm.apply(x, carry), RnnShapeError, /carry\.c to be a live tensor/);
    expectRejected(() => lstm.apply(x, undefined, { mask }), RnnShapeError, /mask to be a live tensor/);
    tf.dispose([x, carry.h]);
    lstm.dispose();
  });

  it('an empty sequence is rejected', () => {
    const rnn = new RNN(IN, H);
    const x = tf.zeros([BATCH, 0, IN]);
    expectRejected(() => rnn.apply(x), RnnShapeError, /at least one timestep/);
    x.dispose();
    rnn.dispose();
  });

  it('setWeights checks count and shapes; constructors check sizes and options', () => {
    const cell = new GRUCell(IN, H);
    const bias1d = tf.zeros([3 * H]);
    const [kernel, recurrent] = cell.getWeights();
    expectRejected(() => cell.setWeights([kernel, recurrent]), RnnShapeError, /3 weights \[kernel \[4, 15\], recurrentKernel \[5, 15\], bias \[2, 15\]\]/, /got 2 weights/);
    expectRejected(() => cell.setWeights([kernel, recurrent, bias1d]), RnnShapeError, /bias of shape \[2, 15\]/, /got shape \[15\]/);
    bias1d.dispose();
    cell.dispose();
    expectRejected(() => new LSTMCell(0, H), RangeError, /inputSize must be a positive integer, got 0/);
    expectRejected(() => new LSTM(IN, 2.5), RangeError, /hiddenSize must be a positive integer, got 2\.5/);
    expectRejected(() => new RNN(IN, H, { activation: 'sigmoid' as never }), TypeError, /activation must be one of 'tanh', 'relu', 'linear'/);
    expectRejected(() => new LSTM(IN, H, { recurrentActivation: 'tanh' as never }), TypeError, /recurrentActivation must be one of 'sigmoid', 'hardSigmoid', got 'tanh'/);
  });

  it('Bidirectional rejects a carry without forward and backward, leaking nothing', () => {
    const bi = new Bidirectional(new LSTM(IN, H), new LSTM(IN, H, { reverse: true }));
    const x = tf.zeros([BATCH, TIME, IN]);
    const carry = bi.initialCarry(BATCH);
    const wrongBackward = { forward: carry.forward, backward: { h: carry.backward.h } };
    expectRejected(() => bi.apply(x, { forward: carry.forward } as never), RnnShapeError, /\{ forward, backward \}/);
    // The forward direction has run when the backward one rejects its carry: still nothing leaks.
    expectRejected(() => bi.apply(x, wrongBackward as never), RnnShapeError, /keys \{ h, c \}/);
    tf.dispose([x, carry] as never);
    bi.dispose();
  });
});
