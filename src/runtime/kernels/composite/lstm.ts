/**
 * LSTM, composite: the equations (Keras layout, gate blocks i, f, g, o):
 *   z = x·K + b + h·R;  i = σ(z_i), f = σ(z_f), g = act(z_g), o = σ(z_o)
 *   c' = f⊙c + i⊙g;     h' = o⊙act(c')
 * σ is the gate activation (default the logistic sigmoid, or tf.layers' hard sigmoid), act the
 * activation (default tanh); see activations.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { applyActivation, applyGateActivation, type GatedVariant } from './activations.js';
import { projectSequence, runCompositeLoop, type LoopOptions } from './loop.js';

/** One LSTM step from the projected input x·K + b. Returns [h', c']. */
export function lstmCellStep(
  projectedInput: Tensor2D,
  h: Tensor2D,
  c: Tensor2D,
  recurrentKernel: Tensor2D,
  variant: GatedVariant = {},
): [Tensor2D, Tensor2D] {
  const z = tf.add(projectedInput, tf.matMul(h, recurrentKernel));
  const [zi, zf, zg, zo] = tf.split(z, 4, 1) as Tensor2D[];
  const i = applyGateActivation(zi, variant.recurrentActivation);
  const f = applyGateActivation(zf, variant.recurrentActivation);
  const g = applyActivation(zg, variant.activation);
  const o = applyGateActivation(zo, variant.recurrentActivation);
  const cNext: Tensor2D = tf.add(tf.mul(f, c), tf.mul(i, g));
  const hNext: Tensor2D = tf.mul(o, applyActivation(cNext, variant.activation));
  return [hNext, cNext];
}

export interface LstmWeights extends GatedVariant {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
  bias: Tensor1D;
}

export function lstmStepComposite(a: LstmWeights & { x: Tensor2D; h: Tensor2D; c: Tensor2D }): { h: Tensor2D; c: Tensor2D } {
  return tf.tidy(() => {
    const projected = tf.add(tf.matMul(a.x, a.kernel), a.bias) as Tensor2D;
    const [h, c] = lstmCellStep(projected, a.h, a.c, a.recurrentKernel, a);
    return { h, c };
  });
}

export function lstmSequenceComposite(
  a: LstmWeights & { x: Tensor3D; h0: Tensor2D; c0: Tensor2D } & LoopOptions,
): { output: Tensor3D; h: Tensor2D; c: Tensor2D } {
  return tf.tidy(() => {
    const projected = projectSequence(a.x, a.kernel, a.bias);
    const { output, carry } = runCompositeLoop(
      projected,
      [a.h0, a.c0],
      (xt, [h, c]) => lstmCellStep(xt, h, c, a.recurrentKernel, a),
      a,
    );
    return { output, h: carry[0], c: carry[1] };
  });
}
