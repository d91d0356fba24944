/**
 * The blocked time loop shared by the composite cells: one input projection for every timestep,
 * then one cell step per timestep, with masks, reverse and time-major handled here so that each
 * cell file holds only its equations. Built from tfjs ops, so it runs (and differentiates) on
 * every backend; the fused kernels replace it where a backend registers them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';

export interface LoopOptions {
  /** [batch, time] float 0/1, always batch-major. */
  mask?: Tensor2D;
  timeMajor?: boolean;
  reverse?: boolean;
}

/**
 * One cell step: from the projected input of this timestep (x·K + b, [batch, gates·H]) and the
 * carry, the next carry. The first carry entry is the hidden state, which is also the output.
 */
export type CompositeStep = (projectedInput: Tensor2D, carry: Tensor2D[]) => Tensor2D[];

/**
 * Runs `step` over the time axis of `projected` ([batch, time, gates·H], or time-major).
 * A step whose mask is 0 keeps the previous carry and outputs zeros. Not tidied: call it inside a
 * tidy (the ops do).
 *
 * Masked rows are selected (tf.where), not blended (n·m + c·(1−m)): a NaN or ∞ there, in the input
 * or made by the step, would survive the blend (NaN·0 = NaN). Their projected input is replaced by
 * zeros too, so that the step's backward at those rows multiplies finite values by the zero
 * gradient the select gives them, and no NaN reaches the carry or weight gradients through it.
 */
export function runCompositeLoop(
  projected: Tensor3D,
  initialCarry: Tensor2D[],
  step: CompositeStep,
  { mask, timeMajor = false, reverse = false }: LoopOptions,
): { output: Tensor3D; carry: Tensor2D[] } {
  const timeAxis = timeMajor ? 0 : 1;
  const steps = tf.unstack(projected, timeAxis) as Tensor2D[];
  const batch = projected.shape[timeMajor ? 1 : 0];
  // [batch, 1] boolean columns of the mask, one per timestep.
  const validColumns = mask ? tf.unstack(mask, 1).map((m) => tf.notEqual(tf.reshape(m, [batch, 1]), 0)) : null;

  const outputs: Tensor2D[] = new Array(steps.length);
  let carry = initialCarry;
  for (let k = 0; k < steps.length; k++) {
    const t = reverse ? steps.length - 1 - k : k;
    if (validColumns) {
      const valid = validColumns[t];
      const next = step(tf.where(valid, steps[t], tf.zerosLike(steps[t])), carry);
      outputs[t] = tf.where(valid, next[0], tf.zerosLike(next[0]));
      carry = next.map((n, i) => tf.where(valid, n, carry[i]));
    } else {
      const next = step(steps[t], carry);
      outputs[t] = next[0];
      carry = next;
    }
  }
  return { output: tf.stack(outputs, timeAxis) as Tensor3D, carry };
}

/** x·K + b for every timestep as one matmul: [d0, d1, in] → [d0, d1, gates·H]. */
export function projectSequence(x: Tensor3D, kernel: Tensor2D, bias: tf.Tensor1D): Tensor3D {
  const [d0, d1, inputSize] = x.shape;
  const flat = tf.reshape(x, [d0 * d1, inputSize]) as Tensor2D;
  return tf.reshape(tf.add(tf.matMul(flat, kernel), bias), [d0, d1, kernel.shape[1]]);
}
