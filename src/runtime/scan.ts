/**
 * scan: the generic blocked loop (jax.lax.scan). `fn` maps (carry, x[t]) to [carry', y[t]];
 * the ys come back stacked on axis 0, aligned with xs (also under reverse). Every step is
 * recorded by tfjs' tape, so gradients flow through the carry and the ys.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RnnShapeError, formatShape } from './errors.js';
import { tidyResult } from './tidy.js';
import { isTensor } from './validation.js';

export interface ScanOptions {
  /** Run from the last step to the first; outputs[t] stays aligned with xs[t]. */
  reverse?: boolean;
}

export function scan<TCarry extends tf.TensorContainer, TOutput extends tf.Tensor = tf.Tensor>(
  fn: (carry: TCarry, x: tf.Tensor) => [TCarry, TOutput],
  initialCarry: TCarry,
  xs: tf.Tensor,
  options: ScanOptions = {},
): { carry: TCarry; outputs: tf.Tensor } {
  if (typeof fn !== 'function') throw new TypeError(`scan: fn must be a function, got ${typeof fn}.`);
  if (!isTensor(xs)) throw new TypeError('scan: xs must be a tf.Tensor [time, ...].');
  if (xs.isDisposed) throw new RnnShapeError('scan', 'xs to be a live tensor', 'a disposed tensor');
  if (xs.rank === 0 || xs.shape[0] === 0) {
    throw new RnnShapeError('scan', 'xs of shape [time, ...] with time ≥ 1', `shape ${formatShape(xs.shape)}`);
  }
  const reverse = options.reverse ?? false;
  return tidyResult(() => {
    const steps = tf.unstack(xs, 0);
    const outputs: tf.Tensor[] = new Array(steps.length);
    let carry = initialCarry;
    for (let k = 0; k < steps.length; k++) {
      const t = reverse ? steps.length - 1 - k : k;
      const result: unknown = fn(carry, steps[t]);
      if (!Array.isArray(result) || result.length !== 2 || !isTensor(result[1])) {
        throw new TypeError(`scan: fn must return [carry, output] with output a tf.Tensor (step ${t}).`);
      }
      [carry, outputs[t]] = result as [TCarry, TOutput];
      const first = outputs[reverse ? steps.length - 1 : 0];
      if (!tf.util.arraysEqual(outputs[t].shape, first.shape)) {
        throw new RnnShapeError(
          'scan',
          `every step's output of shape ${formatShape(first.shape)} (as the first step's)`,
          `shape ${formatShape(outputs[t].shape)} at step ${t}`,
        );
      }
    }
    return { carry, outputs: tf.stack(outputs, 0) };
  });
}
