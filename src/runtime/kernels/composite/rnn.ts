/**
 * Simple RNN, composite: the equation  h' = act(x·K + h·R + b),  act ∈ tanh | relu | linear.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { RnnActivation } from '../kernel_names.js';
import { applyActivation } from './activations.js';
import { projectSequence, runCompositeLoop, type LoopOptions } from './loop.js';

/** One RNN step from the projected input x·K + b. Returns h'. */
export function rnnCellStep(projectedInput: Tensor2D, h: Tensor2D, recurrentKernel: Tensor2D, activation: RnnActivation): Tensor2D {
  return applyActivation(tf.add(projectedInput, tf.matMul(h, recurrentKernel)), activation);
}

export interface RnnWeights {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
  bias: Tensor1D;
  activation: RnnActivation;
}

export function rnnStepComposite(a: RnnWeights & { x: Tensor2D; h: Tensor2D }): { h: Tensor2D } {
  return tf.tidy(() => {
    const projected = tf.add(tf.matMul(a.x, a.kernel), a.bias) as Tensor2D;
    return { h: rnnCellStep(projected, a.h, a.recurrentKernel, a.activation) };
  });
}

export function rnnSequenceComposite(a: RnnWeights & { x: Tensor3D; h0: Tensor2D } & LoopOptions): { output: Tensor3D; h: Tensor2D } {
  return tf.tidy(() => {
    const projected = projectSequence(a.x, a.kernel, a.bias);
    const { output, carry } = runCompositeLoop(
      projected,
      [a.h0],
      (xt, [h]) => [rnnCellStep(xt, h, a.recurrentKernel, a.activation)],
      a,
    );
    return { output, h: carry[0] };
  });
}
