/**
 * Sequence-layer semantics: masks, the generic step loop against the fused path, timeMajor,
 * returnSequences, the learned initial state.
 */
import { expect, it } from 'vitest';
import {
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  RNNCell,
  Recurrence,
  type Carry,
  type RecurrentCell,
} from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, finiteDifferences, randn } from './helpers.js';
import { CELL_KINDS, type CellKind } from '../../src/runtime/kernels/cell_table.js';

type Kind = CellKind;
const KINDS: Kind[] = CELL_KINDS;
const [BATCH, TIME, IN, H] = [3, 5, 2, 4];

function makeLayer(kind: Kind, options: object = {}) {
  const all = { seed: 7, ...options };
  if (kind === 'lstm') return new LSTM(IN, H, all);
  if (kind === 'gru') return new GRU(IN, H, all);
  return new RNN(IN, H, all);
}

/** Random biases too: the default zero biases would hide mistakes in them. */
function randomizeBias(layer: { cell: { bias: tf.Variable } }): void {
  tf.tidy(() => layer.cell.bias.assign(randn(layer.cell.bias.shape, 0.5)));
}

/** A cell that only has `step`: Recurrence has to run its generic loop. */
function stepOnly<TCarry extends Carry>(cell: RecurrentCell<TCarry>): RecurrentCell<TCarry> {
  return {
    inputSize: cell.inputSize,
    hiddenSize: cell.hiddenSize,
    initialCarry: (batch) => cell.initialCarry(batch),
    step: (x, carry) => cell.step(x, carry),
    getWeights: () => cell.getWeights(),
    setWeights: (weights) => cell.setWeights(weights),
    trainableVariables: () => cell.trainableVariables(),
    dispose: () => cell.dispose(),
  };
}

const carryValues = (carry: Carry) => Object.keys(carry).sort().map((key) => carry[key]);

describeBackends('Recurrence', () => {
  for (const kind of KINDS) {
    for (const reverse of [false, true]) {
      it(`${kind}${reverse ? ', reverse' : ''}: a masked row ends with the carry after its last valid step; masked steps output zeros`, () => {
        const layer = makeLayer(kind, { reverse });
        randomizeBias(layer);
        const x = randn([BATCH, TIME, IN]);
        // Row 0: full; row 1: the last two steps padded; row 2: no valid step at all.
        const mask = tf.tensor2d([
          [1, 1, 1, 1, 1],
          [1, 1, 1, 0, 0],
          [0, 0, 0, 0, 0],
        ]);
        const keys = kind === 'lstm' ? ['h', 'c'] : ['h'];
        const carry0 = Object.fromEntries(keys.map((key) => [key, randn([BATCH, H])])) as never;
        const { output, carry } = layer.apply(x, carry0, { mask });
        tf.tidy(() => {
          // Row 1 alone, cut to its three valid steps.
          const row1 = tf.slice(x, [1, 0, 0], [1, 3, IN]);
          const row1Carry = Object.fromEntries(
            Object.entries(carry0 as Carry).map(([key, value]) => [key, tf.slice(value, [1, 0], [1, H])]),
          ) as never;
          const alone = layer.apply(row1, row1Carry);
          for (const key of Object.keys(carry)) {
            expectClose(tf.slice((carry as Carry)[key], [1, 0], [1, H]), (alone.carry as Carry)[key]);
            // Row 2 never moved.
            expectClose(tf.slice((carry as Carry)[key], [2, 0], [1, H]), tf.slice((carry0 as Carry)[key], [2, 0], [1, H]));
          }
          expectClose(tf.slice(output, [1, 0, 0], [1, 3, H]), alone.output);
          expect(tf.sum(tf.abs(tf.slice(output, [1, 3, 0], [1, 2, H]))).dataSync()[0]).toBe(0);
          expect(tf.sum(tf.abs(tf.slice(output, [2, 0, 0], [1, TIME, H]))).dataSync()[0]).toBe(0);
        });
        tf.dispose([x, mask, output, carry, carry0] as never);
        layer.dispose();
      });
    }

    it(`${kind}: the generic step loop gives the fused path's outputs, carries and gradients`, () => {
      const fusedLayer = makeLayer(kind);
      randomizeBias(fusedLayer);
      const x = randn([TIME, BATCH, IN]);
      const mask = tf.tensor2d([
        [1, 1, 1, 1, 1],
        [1, 0, 1, 1, 0],
        [0, 0, 0, 0, 0],
      ]);
      const weights = randn([TIME, BATCH, H]);
      for (const options of [
        { timeMajor: true },
        { timeMajor: true, reverse: true },
        { timeMajor: true, returnSequences: false },
        { timeMajor: true, reverse: true, returnSequences: false },
      ]) {
        const fused = new Recurrence(fusedLayer.cell as RecurrentCell, options);
        const looped = new Recurrence(stepOnly(fusedLayer.cell as RecurrentCell), options);
        const run = (layer: Recurrence<RecurrentCell>) =>
          tf.variableGrads(() => {
            const { output, carry } = layer.apply(x, undefined, { mask });
            const projected = output.rank === 3 ? tf.sum(tf.mul(output, weights)) : tf.sum(tf.mul(output, tf.sum(weights, 0)));
            return tf.addN([projected, ...carryValues(carry).map((c) => tf.sum(tf.mul(c, c)))]) as tf.Scalar;
          }, fusedLayer.trainableVariables());
        const a = run(fused);
        const b = run(looped);
        expectClose(a.value, b.value);
        for (const name of Object.keys(a.grads)) expectClose(a.grads[name], b.grads[name]);
        tf.dispose([a, b] as never);
      }
      tf.dispose([x, mask, weights]);
      fusedLayer.dispose();
    });
  }

  it('a user cell with its own `sequence`: Recurrence uses it, and picks each row’s last valid output', () => {
    const inner = new GRUCell(IN, H, { seed: 4 });
    let sequenceCalls = 0;
    const withSequence: RecurrentCell<{ h: tf.Tensor2D }> = {
      ...stepOnly(inner),
      sequence: (x, carry, options) => {
        sequenceCalls++;
        return inner.sequence(x, carry, options);
      },
    };
    const x = randn([BATCH, TIME, IN]);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]);
    for (const reverse of [false, true]) {
      for (const timeMajor of [false, true]) {
        const input = timeMajor ? tf.transpose(x, [1, 0, 2]) : x;
        const options = { reverse, timeMajor, returnSequences: false };
        const ours = new Recurrence(withSequence, options).apply(input, undefined, { mask });
        const builtin = new Recurrence(inner, options).apply(input, undefined, { mask });
        expectClose(ours.output, builtin.output);
        // Row 1's last valid step is t = 2 going forwards, t = 1 in reverse; row 2 has none: zeros.
        tf.tidy(() => expectClose(tf.slice(ours.output, [2, 0], [1, H]), tf.zeros([1, H])));
        tf.dispose([ours, builtin] as never);
        if (timeMajor) input.dispose();
      }
    }
    expect(sequenceCalls).toBe(4);
    tf.dispose([x, mask]);
    inner.dispose();
  });

  it('timeMajor is the transposed batch-major computation', () => {
    const batchMajor = new LSTM(IN, H, { seed: 3 });
    const timeMajor = new LSTM(IN, H, { seed: 3, timeMajor: true });
    const x = randn([BATCH, TIME, IN]);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 1, 0]]);
    const a = batchMajor.apply(x, undefined, { mask });
    const xt = tf.transpose(x, [1, 0, 2]);
    const b = timeMajor.apply(xt, undefined, { mask });
    tf.tidy(() => expectClose(a.output, tf.transpose(b.output, [1, 0, 2])));
    expectClose(a.carry.c, b.carry.c);
    tf.dispose([x, xt, mask, a, b] as never);
    batchMajor.dispose();
    timeMajor.dispose();
  });

  it('returnSequences: false gives the last step (the first under reverse) and equals carry.h', () => {
    for (const reverse of [false, true]) {
      const all = new GRU(IN, H, { seed: 5, reverse });
      const last = new GRU(IN, H, { seed: 5, reverse, returnSequences: false });
      const x = randn([BATCH, TIME, IN]);
      const a = all.apply(x);
      const b = last.apply(x);
      expect(b.output.shape).toEqual([BATCH, H]);
      tf.tidy(() => expectClose(b.output, tf.squeeze(tf.slice(a.output, [0, reverse ? 0 : TIME - 1, 0], [BATCH, 1, H]), [1])));
      expectClose(b.output, b.carry.h);
      tf.dispose([x, a, b] as never);
      all.dispose();
      last.dispose();
    }
  });

  it('a carry omitted starts from zeros; cell.step agrees with a one-step sequence', () => {
    const layer = new LSTM(IN, H, { seed: 9 });
    randomizeBias(layer);
    const x = randn([BATCH, 1, IN]);
    const zeros = layer.initialCarry(BATCH);
    const a = layer.apply(x);
    const b = layer.apply(x, zeros);
    const x2 = tf.squeeze(x, [1]) as tf.Tensor2D;
    const step = layer.cell.step(x2, zeros);
    expectClose(a.output, b.output);
    tf.tidy(() => expectClose(tf.squeeze(a.output, [1]), step.output));
    expectClose(a.carry.c, step.carry.c);
    tf.dispose([x, x2, zeros, a, b, step] as never);
    layer.dispose();
  });

  it('trainableInitialState: tiled to the batch, trainable, its gradient matches finite differences, and it learns', () => {
    const layer = new RNN(IN, H, { seed: 2, trainableInitialState: true });
    const h0 = layer.initialState!.h;
    expect(h0.shape).toEqual([1, H]);
    expect(layer.trainableVariables()).toContain(h0);
    tf.tidy(() => h0.assign(randn([1, H], 0.5)));
    const carry = layer.initialCarry(BATCH);
    tf.tidy(() => expectClose(carry.h, tf.tile(h0, [BATCH, 1])));
    tf.dispose(carry as never);

    const x = randn([BATCH, TIME, IN]);
    const target = randn([BATCH, TIME, H], 0.5);
    const loss = () => tf.mean(tf.square(tf.sub(layer.apply(x).output, target))) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, [h0]);
    const gradient = Array.from(grads[h0.name].dataSync());
    expect(Math.max(...gradient.map(Math.abs))).toBeGreaterThan(1e-4);
    expectClose(gradient, finiteDifferences(loss, h0), 2e-3);
    tf.dispose([value, grads] as never);

    const optimizer = tf.train.adam(0.05);
    const before = tf.tidy(() => loss().dataSync()[0]);
    const start = h0.clone();
    for (let i = 0; i < 30; i++) optimizer.minimize(loss, false, [h0]);
    const after = tf.tidy(() => loss().dataSync()[0]);
    expect(after).toBeLessThan(before);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(h0, start))).dataSync()[0])).toBeGreaterThan(1e-3);
    tf.dispose([x, target, start]);
    optimizer.dispose();
    layer.dispose();
  });

  it('built-in layers reach their fused sequence kernel, cells their step kernel, through the registry', async () => {
    const expected = { lstm: ['RnnMigrateLstmSequence', 'RnnMigrateLstmStep'], gru: ['RnnMigrateGruSequence', 'RnnMigrateGruStep'], rnn: ['RnnMigrateRnnSequence', 'RnnMigrateRnnStep'] };
    for (const kind of KINDS) {
      const layer = makeLayer(kind);
      const x = randn([BATCH, TIME, IN]);
      const sequence = await tf.profile(() => tf.dispose(layer.apply(x) as never));
      expect(sequence.kernelNames).toContain(expected[kind][0]);
      // One kernel for the whole sequence: no per-step matMul was recorded.
      expect(sequence.kernelNames).not.toContain('BatchMatMul');
      const x2 = tf.tidy(() => tf.squeeze(tf.slice(x, [0, 0, 0], [BATCH, 1, IN]), [1]) as tf.Tensor2D);
      const carry = layer.initialCarry(BATCH);
      const step = await tf.profile(() => tf.dispose(layer.cell.step(x2, carry as never) as never));
      expect(step.kernelNames).toContain(expected[kind][1]);
      tf.dispose([x, x2, carry] as never);
      layer.dispose();
    }
  });

  it('built-in layers hold their built-in cell and expose the options', () => {
    const layers = [new RNN(2, 3, { activation: 'relu' }), new LSTM(2, 3), new GRU(2, 3, { reverse: true })];
    expect(layers[0].cell).toBeInstanceOf(RNNCell);
    expect((layers[0].cell as RNNCell).activation).toBe('relu');
    expect(layers[1].cell).toBeInstanceOf(LSTMCell);
    expect(layers[2].cell).toBeInstanceOf(GRUCell);
    expect(layers[2].reverse).toBe(true);
    expect(layers[2].returnSequences).toBe(true);
    for (const layer of layers) layer.dispose();
  });
});
