/**
 * Cell variants (hard-sigmoid gates, other activations, the reset-before GRU) on each GPU backend:
 * the blocked layers' outputs, final carry and weight gradients match cpu on the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { GRU, LSTM } from '../../src/index.js';
import { GPU_BACKENDS, expectClose, onBackend, read, seeded } from './backends.js';

const [B, T, IN, H] = [3, 5, 4, 6];

const VARIANTS = {
  'LSTM hardSigmoid + relu': () => new LSTM(IN, H, { recurrentActivation: 'hardSigmoid', activation: 'relu' }),
  'GRU resetAfter: false, hardSigmoid': () => new GRU(IN, H, { resetAfter: false, recurrentActivation: 'hardSigmoid' }),
  'GRU reset after, linear': () => new GRU(IN, H, { activation: 'linear' }),
};
type Variant = keyof typeof VARIANTS;

async function run(variant: Variant): Promise<Float32Array[]> {
  const layer = VARIANTS[variant]();
  const weights = layer.cell.getWeights().map((w, i) => tf.tensor(seeded(w.size, 20 + i, 0.6), w.shape));
  layer.cell.setWeights(weights);
  const x = tf.tensor3d(seeded(B * T * IN, 1), [B, T, IN]);
  const mask = tf.tensor2d([1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0], [B, T]);
  const { value, grads } = tf.variableGrads(() => {
    const { output, carry } = layer.apply(x, undefined, { mask });
    return tf.add(tf.sum(tf.mul(output, output)), tf.sum(carry.h)) as tf.Scalar;
  }, layer.trainableVariables());
  const out = await read(value, ...layer.trainableVariables().map((v) => grads[v.name]));
  tf.dispose([x, mask, value, ...weights, ...Object.values(grads)]);
  layer.dispose();
  return out;
}

describe.each(GPU_BACKENDS)('cell variants on %s', (backend) => {
  it.each(Object.keys(VARIANTS) as Variant[])('%s matches cpu (loss and weight gradients)', async (variant) => {
    const want = await onBackend('cpu', () => run(variant));
    const got = await onBackend(backend, () => run(variant));
    expectClose(got, want, 1e-4, `${backend} ${variant}`);
  });
});
