/**
 * fromLayersLayer over the configurations tf.layers accepts: every built LSTM / GRU / SimpleRNN
 * (default hard-sigmoid gates, reset-before GRU, other activations, no bias, unitForgetBias,
 * returnSequences, goBackwards) and Bidirectional in each merge mode, against the tf.layers layer
 * itself on the same input: outputs and final states.
 */
import { expect, it } from 'vitest';
import { Bidirectional, fromLayersLayer, GRU, LSTM, RNN } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn } from './helpers.js';

const [BATCH, TIME, IN, H] = [2, 5, 3, 4];
type Factory = 'lstm' | 'gru' | 'simpleRNN';
const CLASSES = { lstm: LSTM, gru: GRU, simpleRNN: RNN };

/** Random weights (biases included) so that no configuration hides behind zeros. */
function randomizeWeights(layer: tf.layers.Layer): void {
  const values = layer.getWeights().map((w) => randn(w.shape, 0.8));
  layer.setWeights(values);
  tf.dispose(values);
}

function compare(factory: Factory, args: Record<string, unknown>): void {
  const theirs = tf.layers[factory]({ units: H, returnState: true, ...args } as never) as tf.layers.Layer;
  const x = randn([BATCH, TIME, IN]);
  tf.dispose(theirs.apply(x) as tf.Tensor[]);
  randomizeWeights(theirs);
  const [expected, ...expectedStates] = theirs.apply(x) as tf.Tensor[];
  // Counted from here: tf.layers itself keeps a few tensors (unitForgetBias' initializer, dropout masks).
  const before = tf.memory().numTensors;
  const ours = fromLayersLayer(theirs);
  expect(ours).toBeInstanceOf(CLASSES[factory]);
  const { output, carry } = ours.apply(x);
  const states = factory === 'lstm' ? [carry.h, (carry as unknown as { c: tf.Tensor }).c] : [carry.h];
  // goBackwards lists outputs in processing order; ours stay aligned with x.
  tf.tidy(() => expectClose(args.goBackwards && args.returnSequences ? tf.reverse(output, 1) : output, expected));
  states.forEach((s, i) => expectClose(s, expectedStates[i]));
  tf.dispose([output, ...states]);
  ours.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, expected, ...expectedStates]);
  theirs.dispose();
}

describeBackends('fromLayersLayer: every tf.layers configuration', () => {
  const configurations: Array<[Factory, Record<string, unknown>]> = [
    ['lstm', {}], // defaults: hard-sigmoid gates, last output
    ['lstm', { returnSequences: true, goBackwards: true }],
    ['lstm', { activation: 'relu', recurrentActivation: 'sigmoid', useBias: false, returnSequences: true }],
    ['lstm', { activation: 'linear', unitForgetBias: true, returnSequences: true }],
    ['gru', {}], // reset before, hard sigmoid
    ['gru', { returnSequences: true, goBackwards: true, activation: 'relu' }],
    ['gru', { recurrentActivation: 'sigmoid', useBias: false, returnSequences: true }],
    ['simpleRNN', { activation: 'linear', returnSequences: true, goBackwards: true }],
    ['simpleRNN', { useBias: false }],
  ];
  for (const [factory, args] of configurations) {
    it(`${factory}(${JSON.stringify(args)}): the same outputs and final states`, () => compare(factory, args));
  }

  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    for (const [factory, returnSequences] of [['lstm', true], ['gru', false]] as const) {
      it(`Bidirectional(${factory}), mergeMode '${mergeMode}', returnSequences ${returnSequences}`, () => {
        const before = tf.memory().numTensors;
        const theirs = tf.layers.bidirectional({ layer: tf.layers[factory]({ units: H, returnSequences }) as never, mergeMode });
        const x = randn([BATCH, TIME, IN]);
        tf.dispose(theirs.apply(x) as tf.Tensor);
        randomizeWeights(theirs);
        const expected = theirs.apply(x) as tf.Tensor;
        const ours = fromLayersLayer(theirs);
        expect(ours).toBeInstanceOf(Bidirectional);
        expect(ours.merge).toBe(mergeMode);
        const { output, carry } = ours.apply(x);
        expectClose(output, expected);
        tf.dispose([x, expected, output, ...Object.values(carry.forward), ...Object.values(carry.backward)]);
        theirs.dispose();
        ours.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('refuses mergeMode null and dropout (naming them); ignoreDropout imports the inference computation', () => {
    const x = randn([BATCH, TIME, IN]);
    const pair = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H }) as never, mergeMode: null as never });
    tf.dispose(pair.apply(x) as tf.Tensor[]);
    const dropped = tf.layers.lstm({ units: H, dropout: 0.3 });
    tf.dispose(dropped.apply(x) as tf.Tensor);
    const expected = dropped.apply(x, { training: false }) as tf.Tensor;
    const before = tf.memory().numTensors; // tf.layers keeps its dropout masks
    expect(() => fromLayersLayer(pair)).toThrow(/mergeMode null/);
    expect(() => fromLayersLayer(dropped)).toThrow(/LSTM layer has dropout 0.3/);
    const ours = fromLayersLayer(dropped, { ignoreDropout: true });
    const { output, carry } = ours.apply(x);
    expectClose(output, expected);
    tf.dispose([output, ...Object.values(carry)]);
    ours.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, expected]);
    pair.dispose();
    dropped.dispose();
  });
});
