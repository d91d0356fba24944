/** No call leaks: tf.memory().numTensors is flat around apply, variableGrads and training steps. */
import { expect, it } from 'vitest';
import { Bidirectional, GRU, LSTM, RNN, Recurrence, RNNCell, scan, type RecurrentCell } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';

const [BATCH, TIME, IN, H] = [2, 4, 3, 4];

/** Every kind of layer, built fresh: built-in (fused), generic (step loop), learned state, bidirectional. */
function layers() {
  const looped = new RNNCell(IN, H);
  const stepOnly: RecurrentCell = {
    inputSize: IN,
    hiddenSize: H,
    initialCarry: (b) => looped.initialCarry(b),
    step: (x, c) => looped.step(x, c as never),
    getWeights: () => looped.getWeights(),
    setWeights: (w) => looped.setWeights(w),
    trainableVariables: () => looped.trainableVariables(),
    dispose: () => looped.dispose(),
  };
  return {
    lstm: new LSTM(IN, H),
    gru: new GRU(IN, H, { reverse: true }),
    rnn: new RNN(IN, H, { returnSequences: false }),
    'learned initial state': new LSTM(IN, H, { trainableInitialState: true }),
    'generic step loop': new Recurrence(stepOnly),
    bidirectional: new Bidirectional(new LSTM(IN, H), new LSTM(IN, H, { reverse: true })),
  };
}

describeBackends('memory', () => {
  const names = ['lstm', 'gru', 'rnn', 'learned initial state', 'generic step loop', 'bidirectional'] as const;
  for (const name of names) {
    it(`${name}: flat around apply, tf.variableGrads and 20 optimizer.minimize steps`, () => {
      const all = layers();
      const layer = all[name];
      for (const other of names) if (other !== name) all[other].dispose();
      const x = tf.randomNormal([BATCH, TIME, IN]);
      const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]]);
      const variables = layer.trainableVariables();
      const loss = () => tf.mean(tf.square(layer.apply(x, undefined, { mask }).output)) as tf.Scalar;
      const optimizer = tf.train.adam(0.01);
      optimizer.minimize(loss, false, variables); // the optimizer's slots exist from here on

      const before = tf.memory().numTensors;
      const result = layer.apply(x, undefined, { mask });
      tf.dispose(result as never);
      expect(tf.memory().numTensors).toBe(before);

      const { value, grads } = tf.variableGrads(loss, variables);
      expect(Object.keys(grads)).toHaveLength(variables.length);
      tf.dispose([value, grads] as never);
      expect(tf.memory().numTensors).toBe(before);

      for (let i = 0; i < 20; i++) optimizer.minimize(loss, false, variables);
      expect(tf.memory().numTensors).toBe(before);

      optimizer.dispose();
      tf.dispose([x, mask]);
      layer.dispose();
    });
  }

  it('scan: flat around a gradient through the loop', () => {
    const w = tf.variable(tf.scalar(0.5));
    const xs = tf.randomNormal([5, 3]);
    const h0 = tf.zeros([3]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const { carry } = scan((h: tf.Tensor, x) => {
        const next = tf.tanh(tf.add(tf.mul(w, h), x));
        return [next, next];
      }, h0, xs);
      return tf.sum(carry) as tf.Scalar;
    });
    tf.dispose([value, grads] as never);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, xs, h0]);
  });

  it('creating and disposing layers and cells releases every variable', () => {
    const before = tf.memory().numTensors;
    for (const layer of Object.values(layers())) layer.dispose();
    const cell = new RNNCell(IN, H);
    cell.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeBackends('results returned from tf.tidy', () => {
  // Results are plain object types (not interfaces), so they are tfjs TensorContainers: tf.tidy
  // can return a whole `apply` or `step` result, which is what migrated code does.
  it('keeps exactly the returned output and carry, equal to the untidied call', () => {
    const lstm = new LSTM(IN, H, { seed: 3 });
    const cell = new RNNCell(IN, H, { seed: 4 });
    const x = tf.randomNormal([BATCH, TIME, IN], 0, 1, 'float32', 5) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const sequence = tf.tidy(() => lstm.apply(x));
    const step = tf.tidy(() => cell.step(tf.ones([BATCH, IN]) as tf.Tensor2D, cell.initialCarry(BATCH)));
    // output, h, c of the sequence; the step's output is its carry.h (the same tensor).
    expect(step.output).toBe(step.carry.h);
    expect(tf.memory().numTensors - before).toBe(3 + 1);
    const direct = lstm.apply(x);
    expect(Array.from(sequence.output.dataSync())).toEqual(Array.from(direct.output.dataSync()));
    expect(Array.from(sequence.carry.c.dataSync())).toEqual(Array.from(direct.carry.c.dataSync()));
    expect(step.output.shape).toEqual([BATCH, H]);
    tf.dispose([sequence, step, direct, x]);
    lstm.dispose();
    cell.dispose();
  });
});
