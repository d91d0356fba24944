/**
 * rnn-migrate/layers against tf.layers' own layers with the same weights: outputs, states and
 * gradients for the configurations tf.layers accepts; masks (mask_zero embeddings), stateful
 * per-step calls, Bidirectional, weight names; and the configurations refused, without leaks.
 */
import { expect, it } from 'vitest';
import * as rnnLayers from '../../src/layers/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn } from '../runtime/helpers.js';
import { asList, buildByApplying, randomizeBoth, twinLayers, type Factory } from './helpers.js';

const [BATCH, TIME, IN, H] = [3, 6, 4, 5];

function compare(factory: Factory, args: Record<string, unknown>): void {
  const [ours, theirs] = twinLayers(factory, { units: H, ...args }, [BATCH, TIME, IN]);
  randomizeBoth([ours, theirs]);
  const x = randn([BATCH, TIME, IN]);
  const before = tf.memory().numTensors;
  const ourResult = asList(ours.apply(x) as tf.Tensor);
  const theirResult = asList(theirs.apply(x) as tf.Tensor);
  expect(ourResult.length).toBe(theirResult.length);
  ourResult.forEach((t, i) => expectClose(t, theirResult[i]));
  // Gradients of a weighted sum of every output wrt x and every weight.
  const readouts = ourResult.map((t) => randn(t.shape, 1));
  const lossOf = (layer: tf.layers.Layer) => () =>
    tf.addN(asList(layer.apply(x) as tf.Tensor).map((t, i) => tf.sum(tf.mul(t, readouts[i])))) as tf.Scalar;
  const variablesOf = (layer: tf.layers.Layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const ourGrads = tf.variableGrads(lossOf(ours), variablesOf(ours));
  const theirGrads = tf.variableGrads(lossOf(theirs), variablesOf(theirs));
  const theirVariables = variablesOf(theirs);
  variablesOf(ours).forEach((v, i) => expectClose(ourGrads.grads[v.name], theirGrads.grads[theirVariables[i].name], 2e-5));
  tf.dispose([...ourResult, ...theirResult, ...readouts, ourGrads.value, theirGrads.value, ...Object.values(ourGrads.grads), ...Object.values(theirGrads.grads)]);
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  ours.dispose();
  theirs.dispose();
}

describeBackends('rnn-migrate/layers = tf.layers with the same weights', () => {
  const configurations: Array<[Factory, Record<string, unknown>]> = [
    ['lstm', {}], // tf.layers defaults: hard-sigmoid gates, last output
    ['lstm', { recurrentActivation: 'sigmoid', returnSequences: true, returnState: true }], // the fused kernels
    ['lstm', { goBackwards: true, returnSequences: true, useBias: false, unitForgetBias: true }],
    ['lstm', { activation: 'relu', returnState: true }],
    ['gru', {}], // reset before, hard sigmoid
    ['gru', { recurrentActivation: 'sigmoid', returnSequences: true, returnState: true, goBackwards: true }],
    ['gru', { activation: 'linear', useBias: false, returnSequences: true }],
    ['simpleRNN', { returnSequences: true, returnState: true }],
    ['simpleRNN', { activation: 'relu', goBackwards: true }],
  ];
  for (const [factory, args] of configurations) {
    it(`${factory}(${JSON.stringify(args)}): outputs, states, weight gradients`, () => compare(factory, args));
  }

  it('same weight names and shapes as tf.layers, so getWeights/setWeights interoperate', () => {
    for (const factory of ['lstm', 'gru', 'simpleRNN'] as const) {
      const [ours, theirs] = twinLayers(factory, { units: H, name: `same_${factory}` }, [BATCH, TIME, IN]);
      expect(ours.weights.map((w) => [w.originalName, w.shape])).toEqual(theirs.weights.map((w) => [w.originalName, w.shape]));
      expect(ours.getClassName()).toBe(theirs.getClassName());
      ours.dispose();
      theirs.dispose();
    }
  });

  const maskCases = [['lstm', true, false], ['gru', false, false], ['simpleRNN', true, false], ['gru', true, true]] as const;
  for (const [factory, returnSequences, goBackwards] of maskCases) {
    it(`masking from an Embedding with maskZero: ${factory}, returnSequences ${returnSequences}, goBackwards ${goBackwards} (tf.layers repeats the last valid output)`, () => {
      const build = (layer: tf.layers.Layer) => {
        const model = tf.sequential();
        model.add(tf.layers.embedding({ inputDim: 7, outputDim: IN, maskZero: true, inputLength: TIME, embeddingsInitializer: tf.initializers.randomNormal({ seed: 3 }) }));
        model.add(layer);
        return model;
      };
      const ours = build(rnnLayers[factory]({ units: H, returnSequences, goBackwards }) as unknown as tf.layers.Layer);
      const theirs = build(tf.layers[factory]({ units: H, returnSequences, goBackwards }));
      theirs.setWeights(ours.getWeights());
      // Padding at the end, at the start and in the middle.
      const tokens = tf.tensor2d([[3, 1, 4, 1, 0, 0], [0, 0, 5, 2, 6, 1], [2, 0, 0, 3, 0, 4]], [3, TIME], 'int32');
      const before = tf.memory().numTensors;
      const [a, b] = [ours.predict(tokens) as tf.Tensor, theirs.predict(tokens) as tf.Tensor];
      expectClose(a, b);
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(before);
      tokens.dispose();
    });
  }

  it('stateful: per-step predict equals one sequence; resetStates() starts over', () => {
    const weightsFrom = rnnLayers.lstm({ units: H, returnSequences: true, batchInputShape: [2, TIME, IN] });
    const whole = tf.sequential({ layers: [weightsFrom as unknown as tf.layers.Layer] });
    const stepper = tf.sequential({ layers: [rnnLayers.lstm({ units: H, stateful: true, batchInputShape: [2, 1, IN] }) as unknown as tf.layers.Layer] });
    stepper.setWeights(whole.getWeights());
    const x = randn([2, TIME, IN]);
    const expected = whole.predict(x) as tf.Tensor;
    for (let round = 0; round < 2; round++) {
      stepper.resetStates();
      const steps = tf.unstack(x, 1).map((xt) => stepper.predict(tf.expandDims(xt, 1)) as tf.Tensor);
      expectClose(tf.stack(steps, 1), expected);
    }
    tf.dispose([x, expected]);
  });

  it('Bidirectional over a drop-in layer builds drop-in layers both ways, = tf.layers.bidirectional', () => {
    for (const mergeMode of ['concat', 'ave'] as const) {
      const ours = rnnLayers.bidirectional({ layer: rnnLayers.gru({ units: H, returnSequences: true }) as never, mergeMode });
      const theirs = tf.layers.bidirectional({ layer: tf.layers.gru({ units: H, returnSequences: true }) as never, mergeMode });
      const inner = ours as unknown as { forwardLayer: unknown; backwardLayer: unknown };
      expect(inner.forwardLayer).toBeInstanceOf(rnnLayers.FusedGRU);
      expect(inner.backwardLayer).toBeInstanceOf(rnnLayers.FusedGRU);
      buildByApplying([ours, theirs], [BATCH, TIME, IN]);
      randomizeBoth([ours, theirs]);
      const x = randn([BATCH, TIME, IN]);
      const [a, b] = [ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor];
      expectClose(a, b);
      tf.dispose([x, a, b]);
      // Scoped: tf.layers' own classes are registered again afterwards.
      const plain = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) as never });
      expect((plain as unknown as { forwardLayer: unknown }).forwardLayer).not.toBeInstanceOf(rnnLayers.FusedLSTM);
    }
  });

  it('refuses what it cannot honour, naming it, and leaks nothing', () => {
    expect(() => rnnLayers.lstm({ units: H, activation: 'elu' })).toThrow(/LSTM layer's activation 'elu' has no rnn-migrate equivalent \(supported: 'tanh', 'relu', 'linear'\)/);
    expect(() => rnnLayers.gru({ units: H, recurrentActivation: 'softsign' })).toThrow(/recurrentActivation 'softsign'.*'sigmoid', 'hardSigmoid'/);
    const layer = rnnLayers.lstm({ units: H, recurrentDropout: 0.2 }) as unknown as tf.layers.Layer;
    const x = randn([BATCH, TIME, IN]);
    tf.dispose(layer.apply(x) as tf.Tensor); // inference: dropout is off, as in tf.layers
    const before = tf.memory().numTensors;
    expect(() => layer.apply(x, { training: true })).toThrow(/recurrentDropout 0.2 is not supported in training/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('input dropout in training: the mask tf.layers draws (its dropoutFunc), the same outputs', () => {
    // A deterministic "dropout" so both draw the same mask: zero the odd features, scale the rest.
    const dropoutFunc = (ones: tf.Tensor, rate: number) =>
      tf.tidy(() => tf.mul(ones, tf.div(tf.tensor1d(Array.from({ length: ones.shape[1]! }, (_, i) => (i % 2 ? 0 : 1))), 1 - rate)));
    const [ours, theirs] = twinLayers('lstm', { units: H, dropout: 0.5, dropoutFunc, returnSequences: true }, [BATCH, TIME, IN]);
    const x = randn([BATCH, TIME, IN]);
    const [a, b] = [ours.apply(x, { training: true }) as tf.Tensor, theirs.apply(x, { training: true }) as tf.Tensor];
    expectClose(a, b);
    const inference = ours.apply(x) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(inference, a))).dataSync()[0])).toBeGreaterThan(1e-3);
    tf.dispose([x, a, b, inference]);
  });
});
