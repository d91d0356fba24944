/**
 * GRU, composite. Gate blocks z, r, n; σ the gate activation (default logistic), act the
 * activation (default tanh), see activations.ts. Two forms:
 * - reset after (default; Keras reset_after = true, the PyTorch / cuDNN form), bias [2, 3H] =
 *   [input bias b0; recurrent bias b1]:
 *     z = σ(xKz + b0z + hRz + b1z),  r = σ(xKr + b0r + hRr + b1r)
 *     n = act(xKn + b0n + r⊙(hRn + b1n))
 * - reset before (resetAfter: false; tf.layers, Keras reset_after = false), bias [3H]:
 *     z = σ(xKz + bz + hRz),  r = σ(xKr + br + hRr),  n = act(xKn + bn + (r⊙h)Rn)
 * and in both h' = (1−z)⊙n + z⊙h.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { applyActivation, applyGateActivation, type GruVariant } from './activations.js';
import { projectSequence, runCompositeLoop, type LoopOptions } from './loop.js';

/** One reset-after GRU step from the projected input x·K + b0. Returns h'. */
export function gruCellStep(
  projectedInput: Tensor2D,
  h: Tensor2D,
  recurrentKernel: Tensor2D,
  recurrentBias: Tensor1D,
  variant: GruVariant = {},
): Tensor2D {
  const hProjected = tf.add(tf.matMul(h, recurrentKernel), recurrentBias);
  const [xz, xr, xn] = tf.split(projectedInput, 3, 1) as Tensor2D[];
  const [hz, hr, hn] = tf.split(hProjected, 3, 1) as Tensor2D[];
  const z = applyGateActivation(tf.add(xz, hz), variant.recurrentActivation);
  const r = applyGateActivation(tf.add(xr, hr), variant.recurrentActivation);
  const n = applyActivation(tf.add(xn, tf.mul(r, hn)), variant.activation);
  return tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
}

/**
 * One reset-before GRU step from the projected input x·K + b, with the recurrent kernel split
 * into its z, r columns [H, 2H] and its n columns [H, H] (split once per sequence). Returns h'.
 */
export function gruResetBeforeStep(
  projectedInput: Tensor2D,
  h: Tensor2D,
  gatesKernel: Tensor2D,
  candidateKernel: Tensor2D,
  variant: GruVariant = {},
): Tensor2D {
  const [xz, xr, xn] = tf.split(projectedInput, 3, 1) as Tensor2D[];
  const [hz, hr] = tf.split(tf.matMul(h, gatesKernel), 2, 1) as Tensor2D[];
  const z = applyGateActivation(tf.add(xz, hz), variant.recurrentActivation);
  const r = applyGateActivation(tf.add(xr, hr), variant.recurrentActivation);
  const n = applyActivation(tf.add(xn, tf.matMul(tf.mul(r, h), candidateKernel)), variant.activation);
  return tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
}

export interface GruWeights extends GruVariant {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
  /** Reset after: [2, 3H], row 0 input bias, row 1 recurrent bias. Reset before: [3H]. */
  bias: Tensor;
}

type GruRecurrence = (projectedInput: Tensor2D, h: Tensor2D) => Tensor2D;

/** The input bias and the recurrence h → h' of either form, for the weights `a`. */
function gruForm(a: GruWeights): { inputBias: Tensor1D; step: GruRecurrence } {
  if (a.resetAfter ?? true) {
    const [inputBias, recurrentBias] = tf.unstack(a.bias, 0) as Tensor1D[];
    return { inputBias, step: (xt, h) => gruCellStep(xt, h, a.recurrentKernel, recurrentBias, a) };
  }
  const hidden = a.recurrentKernel.shape[0];
  const [gatesKernel, candidateKernel] = tf.split(a.recurrentKernel, [2 * hidden, hidden], 1) as Tensor2D[];
  return { inputBias: a.bias as Tensor1D, step: (xt, h) => gruResetBeforeStep(xt, h, gatesKernel, candidateKernel, a) };
}

export function gruStepComposite(a: GruWeights & { x: Tensor2D; h: Tensor2D }): { h: Tensor2D } {
  return tf.tidy(() => {
    const { inputBias, step } = gruForm(a);
    return { h: step(tf.add(tf.matMul(a.x, a.kernel), inputBias) as Tensor2D, a.h) };
  });
}

export function gruSequenceComposite(a: GruWeights & { x: Tensor3D; h0: Tensor2D } & LoopOptions): { output: Tensor3D; h: Tensor2D } {
  return tf.tidy(() => {
    const { inputBias, step } = gruForm(a);
    const projected = projectSequence(a.x, a.kernel, inputBias);
    const { output, carry } = runCompositeLoop(projected, [a.h0], (xt, [h]) => [step(xt, h)], a);
    return { output, h: carry[0] };
  });
}
