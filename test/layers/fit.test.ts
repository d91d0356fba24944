/**
 * model.fit with the drop-in layers follows tf.layers' own loss trajectory from the same initial
 * weights, epoch by epoch, under several optimizers, and ends at the same weights.
 */
import { expect, it } from 'vitest';
import * as rnnLayers from '../../src/layers/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn } from '../runtime/helpers.js';
import type { Factory } from './helpers.js';

const [BATCH, TIME, IN, H] = [8, 6, 3, 5];

function model(layer: tf.layers.Layer): tf.Sequential {
  return tf.sequential({ layers: [layer, tf.layers.dense({ units: 2 })] });
}

async function trajectories(factory: Factory, args: Record<string, unknown>, optimizer: () => tf.Optimizer) {
  const layerArgs = { units: H, inputShape: [TIME, IN], ...args };
  const ours = model(rnnLayers[factory](layerArgs as never) as unknown as tf.layers.Layer);
  const theirs = model(tf.layers[factory](layerArgs as never));
  theirs.setWeights(ours.getWeights());
  const x = randn([BATCH, TIME, IN]);
  const y = randn([BATCH, 2]);
  const fit = async (m: tf.Sequential) => {
    m.compile({ optimizer: optimizer(), loss: 'meanSquaredError' });
    const history = await m.fit(x, y, { epochs: 5, batchSize: 4, shuffle: false, verbose: 0 });
    return history.history.loss as number[];
  };
  const result = { ours: await fit(ours), theirs: await fit(theirs) };
  ours.getWeights().forEach((w, i) => expectClose(w, theirs.getWeights()[i], 1e-4));
  tf.dispose([x, y]);
  ours.dispose();
  theirs.dispose();
  return result;
}

describeBackends('model.fit: the same loss trajectory as tf.layers', () => {
  const optimizers: Record<string, () => tf.Optimizer> = {
    sgd: () => tf.train.sgd(0.1),
    adam: () => tf.train.adam(0.01),
    rmsprop: () => tf.train.rmsprop(0.01),
  };
  const cases: Array<[Factory, Record<string, unknown>, string]> = [
    ['lstm', { recurrentActivation: 'sigmoid' }, 'adam'], // fused kernels
    ['lstm', {}, 'sgd'], // tf.layers defaults: hard sigmoid
    ['gru', { returnSequences: false }, 'rmsprop'],
    ['gru', { recurrentActivation: 'sigmoid', goBackwards: true }, 'adam'],
    ['simpleRNN', {}, 'sgd'],
  ];
  for (const [factory, args, optimizer] of cases) {
    it(`${factory}(${JSON.stringify(args)}) under ${optimizer}`, async () => {
      const { ours, theirs } = await trajectories(factory, args, optimizers[optimizer]);
      expect(ours.length).toBe(5);
      expect(ours[4]).toBeLessThan(ours[0]); // it learns
      expectClose(ours, theirs, 1e-4);
    });
  }
});
