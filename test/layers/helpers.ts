/** Shared by the rnn-migrate/layers tests: a drop-in layer and tf.layers' own with the same weights. */
import * as rnnLayers from '../../src/layers/index.js';
import { tf } from '../helpers/backends.js';

export type Factory = 'lstm' | 'gru' | 'simpleRNN';

/** Ours and tf.layers', built on `inputShape` ([batch, time, features]), tf.layers' given our weights. */
export function twinLayers(factory: Factory, args: Record<string, unknown>, inputShape: number[]): [tf.layers.Layer, tf.layers.Layer] {
  const ours = rnnLayers[factory](args as never) as unknown as tf.layers.Layer;
  const theirs = tf.layers[factory](args as never) as tf.layers.Layer;
  buildByApplying([ours, theirs], inputShape);
  theirs.setWeights(ours.getWeights());
  return [ours, theirs];
}

/** Random weights of the same shapes into both (biases included, so no configuration hides behind zeros). */
export function randomizeBoth(layers: tf.layers.Layer[], seed = 7): void {
  const values = layers[0].getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.7, 'float32', seed + i));
  for (const layer of layers) layer.setWeights(values);
  tf.dispose(values);
}

export function asList(result: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(result) ? result : [result];
}

/** Builds layers the way a first call does (layer.build alone leaves them unmarked as built). */
export function buildByApplying(layers: tf.layers.Layer[], inputShape: number[]): void {
  tf.tidy(() => {
    for (const layer of layers) layer.apply(tf.zeros(inputShape));
  });
}
