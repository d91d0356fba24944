/**
 * rnn-migrate/layers' orthogonal recurrent initialiser runs on the host: the fused layers start
 * from the recurrent kernel tf.layers' own layer starts from for the same seed and gain (its
 * tf.linalg.qr against our host QR), serialise the initialiser as tf.layers does, and build with a
 * fixed number of tfjs ops whatever the size (tf.linalg.qr runs ops per column) and no leak.
 */
import { expect, it } from 'vitest';
import * as rnnLayers from '../../src/layers/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose } from '../runtime/helpers.js';
import { buildByApplying, type Factory } from './helpers.js';

const IN = 3;

const VARIANTS: Array<[string, Factory, Record<string, unknown>]> = [
  ['lstm', 'lstm', {}],
  ['gru (reset before)', 'gru', {}],
  ['gru resetAfter', 'gru', { resetAfter: true }],
  ['simpleRNN', 'simpleRNN', {}],
];

function ours(factory: Factory, args: Record<string, unknown>): tf.layers.Layer {
  return rnnLayers[factory](args as never) as unknown as tf.layers.Layer;
}

/** The recurrent kernel, weight 1 in tf.layers' order (kernel, recurrent_kernel, bias). */
function recurrentKernel(layer: tf.layers.Layer): tf.Tensor {
  return layer.getWeights()[1];
}

describeBackends('rnn-migrate/layers orthogonal initialiser', () => {
  it.each(VARIANTS)('%s starts from tf.layers\' recurrent kernel for the same seed and gain', (_, factory, extra) => {
    for (const units of [5, 8]) {
      const initializer = () => tf.initializers.orthogonal({ seed: 11, gain: 1.25 });
      const fused = ours(factory, { units, recurrentInitializer: initializer(), ...extra });
      // tf.layers' GRU knows no resetAfter; its recurrent kernel has the same [units, 3·units] shape.
      const reference = tf.layers[factory]({ units, recurrentInitializer: initializer() } as never) as tf.layers.Layer;
      buildByApplying([fused, reference], [1, 2, IN]);
      expectClose(recurrentKernel(fused), recurrentKernel(reference), 2e-5);
      fused.dispose();
      reference.dispose();
    }
  });

  it.each(VARIANTS)('%s serialises its initialiser as tf.layers\' Orthogonal', (_, factory, extra) => {
    const fused = ours(factory, { units: 4, recurrentInitializer: tf.initializers.orthogonal({ seed: 2, gain: 0.5 }), ...extra });
    const reference = tf.layers[factory]({ units: 4, recurrentInitializer: tf.initializers.orthogonal({ seed: 2, gain: 0.5 }) } as never);
    expect(fused.getConfig().recurrentInitializer).toEqual(reference.getConfig().recurrentInitializer);
    expect(ours(factory, { units: 4, ...extra }).getConfig().recurrentInitializer)
      .toEqual({ className: 'Orthogonal', config: { gain: 1, seed: undefined } });
  });

  it.each(VARIANTS)('%s builds with the same few tfjs ops at every size and leaves tf.memory() as it was', async (_, factory, extra) => {
    const kernelsAt = async (units: number) => {
      const before = tf.memory().numTensors;
      const layer = ours(factory, { units, ...extra });
      const info = await tf.profile(() => {
        layer.apply(tf.input({ shape: [null, IN] }));
      });
      layer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return info.kernels.length;
    };
    const small = await kernelsAt(4);
    expect(await kernelsAt(24)).toBe(small);
  });
});
