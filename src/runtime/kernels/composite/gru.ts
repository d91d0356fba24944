/**
 * GRU, composite: the equations (Keras reset_after = true, the PyTorch / cuDNN form; gate blocks
 * z, r, n; bias [2, 3H] = [input bias b0; recurrent bias b1]):
 *   z = σ(xKz + b0z + hRz + b1z),  r = σ(xKr + b0r + hRr + b1r)
 *   n = tanh(xKn + b0n + r⊙(hRn + b1n)),  h' = (1−z)⊙n + z⊙h
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { projectSequence, runCompositeLoop, type LoopOptions } from './loop.js';

/** One GRU step from the projected input x·K + b0. Returns h'. */
export function gruCellStep(projectedInput: Tensor2D, h: Tensor2D, recurrentKernel: Tensor2D, recurrentBias: Tensor1D): Tensor2D {
  const hProjected = tf.add(tf.matMul(h, recurrentKernel), recurrentBias);
  const [xz, xr, xn] = tf.split(projectedInput, 3, 1) as Tensor2D[];
  const [hz, hr, hn] = tf.split(hProjected, 3, 1) as Tensor2D[];
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
}

export interface GruWeights {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
  /** [2, 3H]: row 0 input bias, row 1 recurrent bias. */
  bias: Tensor2D;
}

function splitBias(bias: Tensor2D): [Tensor1D, Tensor1D] {
  const [inputBias, recurrentBias] = tf.unstack(bias, 0) as Tensor1D[];
  return [inputBias, recurrentBias];
}

export function gruStepComposite(a: GruWeights & { x: Tensor2D; h: Tensor2D }): { h: Tensor2D } {
  return tf.tidy(() => {
    const [inputBias, recurrentBias] = splitBias(a.bias);
    const projected = tf.add(tf.matMul(a.x, a.kernel), inputBias) as Tensor2D;
    return { h: gruCellStep(projected, a.h, a.recurrentKernel, recurrentBias) };
  });
}

export function gruSequenceComposite(a: GruWeights & { x: Tensor3D; h0: Tensor2D } & LoopOptions): { output: Tensor3D; h: Tensor2D } {
  return tf.tidy(() => {
    const [inputBias, recurrentBias] = splitBias(a.bias);
    const projected = projectSequence(a.x, a.kernel, inputBias);
    const { output, carry } = runCompositeLoop(
      projected,
      [a.h0],
      (xt, [h]) => [gruCellStep(xt, h, a.recurrentKernel, recurrentBias)],
      a,
    );
    return { output, h: carry[0] };
  });
}
