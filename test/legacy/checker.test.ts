/**
 * When the stale-state checker fires and when it stays silent, its modes, and its default from
 * RNN_MIGRATE_CHECK.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { LSTM, StaleStateError, configureChecker, reset } from '../../src/legacy/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { lineOf, randomTensor, recordWarnings } from './helpers.js';

const thisFile = fileURLToPath(import.meta.url);
const inputSize = 3;
const hiddenSize = 4;
const batch = 2;
const time = 3;

function setup(seed = 1) {
  const recur = LSTM(inputSize, hiddenSize);
  const xs = tf.tidy(() => tf.unstack(randomTensor([batch, time, inputSize], seed), 1));
  const optimizer = tf.train.sgd(0.01);
  const cleanup = () => {
    recur.reset();
    tf.dispose(xs);
    optimizer.dispose();
    recur.cell.dispose();
  };
  return { recur, xs, optimizer, cleanup };
}

afterEach(() => configureChecker({ mode: 'warn' }));

describeBackends('stale-state checker', () => {
  it('fires once for state carried from one minimize call into the next without reset', () => {
    const warnings = recordWarnings('warn');
    const { recur, xs, optimizer, cleanup } = setup();
    for (let batchIndex = 0; batchIndex < 4; batchIndex++) {
      optimizer.minimize(() => {
        let loss = tf.scalar(0);
        for (const xt of xs) loss = loss.add(recur.step(xt).square().sum()); // carried-over site
        return loss as tf.Scalar;
      });
    }
    expect(warnings).toHaveLength(1); // the first batch starts from zeros; later ones are stale, reported once
    expect(warnings[0]!.code).toBe('stale-state');
    expect(warnings[0]!.site).toBe(`${thisFile}:${lineOf(thisFile, '// carried-over site')}:${warnings[0]!.site.split(':').pop()}`);
    cleanup();
  });

  const gradientFunctions: Record<string, (loss: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor) => void> = {
    'tf.grad': (loss, x) => tf.grad(loss)(x),
    'tf.grads': (loss, x) => tf.grads((xIn: tf.Tensor) => loss(xIn))([x]),
    'tf.valueAndGrad': (loss, x) => tf.valueAndGrad(loss)(x),
    'tf.valueAndGrads': (loss, x) => tf.valueAndGrads((xIn: tf.Tensor) => loss(xIn))([x]),
    'tf.variableGrads': (loss, x) => tf.variableGrads(() => loss(x)),
  };
  for (const [name, takeGradient] of Object.entries(gradientFunctions)) {
    it(`fires for a warm-up step run outside the loss (${name})`, () => {
      const warnings = recordWarnings('warn');
      const { recur, xs, cleanup } = setup(2);
      tf.tidy(() => { recur.step(xs[0]!); }); // warm-up outside the gradient
      tf.tidy(() => { takeGradient((x) => recur.step(x).sum(), xs[1]!); });
      expect(warnings.map((w) => w.code)).toEqual(['stale-state']);
      cleanup();
    });
  }

  it('stays silent for reset at the start of the loss, for hand-set trainable initial states and for inference', () => {
    const warnings = recordWarnings('error'); // any report would throw
    const { recur, xs, optimizer, cleanup } = setup(3);
    const h0 = tf.variable(tf.zeros([batch, hiddenSize]));
    const c0 = tf.variable(tf.zeros([batch, hiddenSize]));
    // Inference, with state carried across calls: fine, there is no gradient to truncate.
    for (let i = 0; i < 3; i++) tf.tidy(() => { xs.map((xt) => recur.step(xt)); });
    for (let i = 0; i < 3; i++) {
      optimizer.minimize(() => {
        recur.reset();
        return tf.addN(xs.map((xt) => recur.step(xt).sum())) as tf.Scalar;
      });
      optimizer.minimize(() => {
        recur.state = { h: h0, c: c0 }; // a learned initial state, set inside the loss
        return tf.addN(xs.map((xt) => recur.step(xt).sum())) as tf.Scalar;
      });
      optimizer.minimize(() => {
        reset({ layers: [recur] }); // reset(model) works as well
        return tf.addN(xs.map((xt) => recur.step(xt).sum())) as tf.Scalar;
      });
    }
    // A hand-set state assigned outside the loss is the user's choice, not a stale one.
    recur.state = { h: h0, c: c0 };
    optimizer.minimize(() => tf.addN(xs.map((xt) => recur.step(xt).sum())) as tf.Scalar);
    expect(warnings).toEqual([]);
    tf.dispose([h0, c0]);
    cleanup();
  });

  it('error mode throws StaleStateError with code, message and site, before the step runs', () => {
    configureChecker({ mode: 'error' });
    const { recur, xs, cleanup } = setup(4);
    tf.tidy(() => { recur.step(xs[0]!); });
    const stateBefore = recur.state;
    let thrown: unknown;
    try {
      tf.grad((x: tf.Tensor) => recur.step(x).sum())(xs[1]!);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StaleStateError);
    const error = thrown as StaleStateError;
    expect(error.code).toBe('stale-state');
    expect(error.site).toMatch(/checker\.test\.ts:\d+:\d+$/);
    expect(error.message).toMatch(/reset\(\).*at the start of the loss/);
    expect(error.message).toMatch(/npx rnn-migrate/);
    expect(recur.state).toBe(stateBefore);
    cleanup();
  });

  it('off mode reports nothing', () => {
    const warnings = recordWarnings('off');
    const { recur, xs, cleanup } = setup(5);
    tf.tidy(() => { recur.step(xs[0]!); });
    tf.tidy(() => { tf.grad((x: tf.Tensor) => recur.step(x).sum())(xs[1]!); });
    expect(warnings).toEqual([]);
    cleanup();
  });
});

it('configureChecker rejects an unknown mode, naming it', () => {
  // @ts-expect-error -- not a mode
  expect(() => configureChecker({ mode: 'loud' })).toThrow(/'off', 'warn' or 'error', got "loud"/);
});

it('RNN_MIGRATE_CHECK sets the default mode', async () => {
  vi.stubEnv('RNN_MIGRATE_CHECK', 'off');
  vi.resetModules();
  const checkerOff = await import('../../src/legacy/checker.js');
  expect(checkerOff.checkerMode()).toBe('off');
  vi.stubEnv('RNN_MIGRATE_CHECK', 'error');
  vi.resetModules();
  expect((await import('../../src/legacy/checker.js')).checkerMode()).toBe('error');
  vi.stubEnv('RNN_MIGRATE_CHECK', 'nonsense');
  vi.resetModules();
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  expect((await import('../../src/legacy/checker.js')).checkerMode()).toBe('warn');
  expect(warn).toHaveBeenCalledWith(expect.stringMatching(/must be one of off, warn, error; got 'nonsense'/));
  warn.mockRestore();
  vi.unstubAllEnvs();
  vi.resetModules();
});
