import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` for functions returning a typed object of tensors (a result, a carry): tidy keeps
 * every tensor reachable from the returned value and frees the rest, but its signature only
 * speaks of `TensorContainer`, which an interface without an index signature is not.
 */
export function tidyResult<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
