/**
 * The stored state's lifetime: it survives tf.tidy and optimizer.minimize, a replaced state is
 * released (training leaves tf.memory() flat), and a state disposed behind the shim's back is
 * reported as disposed-state, never as tfjs's bare "Tensor is disposed".
 */
import { afterEach, expect, it } from 'vitest';
import { LSTM, RNN, Recur, StaleStateError, configureChecker, type RecurrentCell } from '../../src/legacy/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { maxAbsDifference, randomTensor, recordWarnings } from './helpers.js';

const inputSize = 3;
const hiddenSize = 5;
const batch = 2;
const time = 4;

afterEach(() => configureChecker({ mode: 'warn' }));

describeBackends('legacy state lifetime', () => {
  it('a step leaves exactly its output behind; the state survives the tidy it was made in', () => {
    const recur = LSTM(inputSize, hiddenSize);
    const x = randomTensor([batch, inputSize], 1);
    recur.step(x).dispose(); // first state
    const before = tf.memory().numTensors;
    const y = recur.step(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();

    tf.tidy(() => { recur.step(x); });
    expect(recur.state!.h.isDisposed).toBe(false);
    expect(recur.state!.c.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    // The stored state is frozen: swap entries by assigning a whole new state instead.
    expect(() => {
      (recur.state as { h: tf.Tensor }).h = x;
    }).toThrow(TypeError);
    // The caller's output and the stored h are separate handles: disposing one keeps the other.
    const output = recur.step(x);
    output.dispose();
    expect(recur.state!.h.isDisposed).toBe(false);
    tf.tidy(() => { recur.step(x); });

    recur.reset();
    expect(tf.memory().numTensors).toBe(before - 2); // the two stored tensors are gone
    x.dispose();
    recur.cell.dispose();
  });

  it('a state replaced while a gradient is recorded is released once that gradient computation is over', () => {
    const recur = RNN(inputSize, hiddenSize);
    const x = randomTensor([batch, inputSize], 10);
    let replacedInsideLoss: tf.Tensor | undefined;
    const grad = tf.grad((xIn: tf.Tensor) => {
      recur.reset();
      recur.step(xIn);
      replacedInsideLoss = recur.state!.h;
      const y = recur.step(xIn);
      expect(replacedInsideLoss.isDisposed).toBe(false); // the tape may still need it
      return y.sum();
    })(x);
    tf.tidy(() => { recur.step(x); }); // the next call into the shim, after the gradient
    expect(replacedInsideLoss!.isDisposed).toBe(true);
    recur.reset();
    tf.dispose([grad, x]);
    recur.cell.dispose();
  });

  it('200 optimizer.minimize steps leave tf.memory().numTensors flat (with and without reset)', () => {
    for (const resetEachBatch of [true, false]) {
      configureChecker({ mode: 'off' }); // the stale variant would warn; memory is what is tested here
      const recur = LSTM(inputSize, hiddenSize);
      const readout = tf.variable(randomTensor([hiddenSize, 1], 2));
      const optimizer = tf.train.sgd(0.01);
      const xs = tf.tidy(() => tf.unstack(randomTensor([batch, time, inputSize], 3), 1));
      const target = randomTensor([batch, 1], 4);
      const trainStep = () =>
        optimizer.minimize(() => {
          if (resetEachBatch) recur.reset();
          let y: tf.Tensor | undefined;
          for (const xt of xs) y = recur.step(xt);
          return tf.losses.meanSquaredError(target, y!.matMul(readout)) as tf.Scalar;
        });
      for (let i = 0; i < 5; i++) trainStep();
      const afterWarmup = tf.memory().numTensors;
      for (let i = 0; i < 195; i++) trainStep();
      expect(tf.memory().numTensors).toBe(afterWarmup);
      recur.reset();
      optimizer.dispose();
      tf.dispose([readout, target, xs]);
      recur.cell.dispose();
    }
  });

  it('tf.dispose(recur.state) yields one disposed-state warning, then the step starts from zeros', () => {
    const warnings = recordWarnings('warn');
    const recur = RNN(inputSize, hiddenSize);
    const fresh = RNN(inputSize, hiddenSize);
    fresh.cell.setWeights(recur.cell.getWeights());
    tf.tidy(() => {
      const x = randomTensor([batch, inputSize], 5);
      recur.step(x);
      tf.dispose(recur.state!);
      const y = recur.step(x);
      expect(warnings.map((w) => w.code)).toEqual(['disposed-state']);
      expect(warnings[0]!.site).toMatch(/state_lifetime\.test\.ts:\d+:\d+$/);
      expect(maxAbsDifference(y, fresh.step(x))).toBe(0);
    });
    recur.reset();
    fresh.reset();
    recur.cell.dispose();
    fresh.cell.dispose();
  });

  it('tf.dispose(recur.state) throws StaleStateError(disposed-state) in error mode', () => {
    configureChecker({ mode: 'error' });
    const recur = RNN(inputSize, hiddenSize);
    const x = randomTensor([batch, inputSize], 6);
    tf.tidy(() => { recur.step(x); });
    tf.dispose(recur.state!);
    let thrown: unknown;
    try {
      recur.step(x);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StaleStateError);
    expect(thrown).toMatchObject({ code: 'disposed-state', site: expect.stringMatching(/state_lifetime\.test\.ts:\d+:\d+$/) });
    expect(String((thrown as Error).message)).not.toMatch(/Tensor is disposed/);
    recur.reset();
    x.dispose();
    recur.cell.dispose();
  });

  it('a state shared with another Recur whose owner reset and released it: disposed-state (warn and error)', () => {
    for (const mode of ['warn', 'error'] as const) {
      const warnings = recordWarnings(mode);
      const owner = RNN(inputSize, hiddenSize);
      const borrower = RNN(inputSize, hiddenSize);
      const x = randomTensor([batch, inputSize], 7);
      tf.tidy(() => { owner.step(x); });
      borrower.state = owner.state; // shared, not copied
      owner.reset(); // the owner releases its state
      if (mode === 'warn') {
        tf.tidy(() => { borrower.step(x); });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ code: 'disposed-state' });
      } else {
        expect(() => borrower.step(x)).toThrow(StaleStateError);
        expect(() => borrower.step(x)).toThrow(/disposed-state/);
      }
      borrower.reset();
      x.dispose();
      owner.cell.dispose();
      borrower.cell.dispose();
    }
  });

  it('a hand-set state stays the user\'s: replacing or resetting it never disposes it', () => {
    const recur = RNN(inputSize, hiddenSize);
    const h0 = tf.variable(randomTensor([batch, hiddenSize], 8));
    const x = randomTensor([batch, inputSize], 9);
    recur.state = { h: h0 };
    tf.tidy(() => { recur.step(x); });
    recur.state = { h: h0 };
    recur.reset();
    expect(h0.isDisposed).toBe(false);
    tf.dispose([h0, x]);
    recur.cell.dispose();
  });

  it('a user-written cell that passes a carry entry through unchanged: the Recur never frees what it does not own', () => {
    type CounterCarry = { h: tf.Tensor2D; c: tf.Tensor2D };
    // h accumulates x; c is passed through untouched (the same tensor object comes back).
    const counter: RecurrentCell<CounterCarry> = {
      inputSize: 2,
      hiddenSize: 2,
      initialCarry: (b) => ({ h: tf.zeros([b, 2]), c: tf.zeros([b, 2]) }),
      step: (x, carry) => {
        const h = tf.add(carry.h, x) as tf.Tensor2D;
        return { output: h, carry: { h, c: carry.c } };
      },
      getWeights: () => [],
      setWeights: () => {},
      trainableVariables: () => [],
      dispose: () => {},
    };
    const recur = new Recur(counter);
    const c0 = tf.ones([1, 2]) as tf.Tensor2D;
    const x = tf.ones([1, 2]);
    const h0 = tf.zeros([1, 2]) as tf.Tensor2D;
    recur.state = { h: h0, c: c0 };
    const before = tf.memory().numTensors;
    for (let t = 0; t < 5; t++) tf.tidy(() => { recur.step(x); });
    expect(c0.isDisposed).toBe(false);
    expect(recur.state!.c.isDisposed).toBe(false);
    expect(Array.from(recur.state!.h.dataSync())).toEqual([5, 5]);
    expect(tf.memory().numTensors).toBe(before + 2); // the stored h and its own handle on c
    recur.reset();
    expect(c0.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([h0, c0, x]);
  });

  it('rejects a state that is not a carry of tensors, naming what came', () => {
    const recur = RNN(inputSize, hiddenSize);
    const bare = tf.zeros([batch, hiddenSize]);
    expect(() => {
      // @ts-expect-error -- a bare tensor instead of { h }
      recur.state = bare;
    }).toThrow(/expected null or a carry object.*got a tensor of shape \[2, 5\]/);
    bare.dispose();
    recur.cell.dispose();
  });
});
