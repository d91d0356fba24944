/**
 * register(): tf.loadLayersModel (and tf.layers Bidirectional, which rebuilds its layer from its
 * config) build the drop-in layers for the Keras class names LSTM, GRU and SimpleRNN.
 * unregister() puts tf.layers' own classes back.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { FusedGRU, FusedLSTM, FusedSimpleRNN } from './layers.js';
import { replaceRegisteredClass } from './tfjs_layers_classes.js';

const FUSED = { LSTM: FusedLSTM, GRU: FusedGRU, SimpleRNN: FusedSimpleRNN };
type Entry = Parameters<typeof replaceRegisteredClass>[1];
let replaced: Record<string, Entry> | null = null;

export function register(): void {
  if (replaced) return;
  replaced = {};
  for (const [className, cls] of Object.entries(FUSED)) {
    replaced[className] = replaceRegisteredClass(className, [cls, cls.fromConfig] as unknown as Entry);
  }
}

export function unregister(): void {
  if (!replaced) return;
  for (const [className, entry] of Object.entries(replaced)) replaceRegisteredClass(className, entry);
  replaced = null;
}

/**
 * tf.layers.bidirectional over a drop-in layer: tf.layers rebuilds both directions from the
 * layer's config by class name, which gives tf.layers' own layers unless ours are registered;
 * this registers them for the construction only (register() makes it permanent).
 */
export function bidirectional(args: Parameters<typeof tfl.layers.bidirectional>[0]): ReturnType<typeof tfl.layers.bidirectional> {
  const alreadyRegistered = replaced !== null;
  register();
  try {
    return tfl.layers.bidirectional(args);
  } finally {
    if (!alreadyRegistered) unregister();
  }
}
