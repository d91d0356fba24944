/**
 * LSTM, composite: the equations (Keras layout, gate blocks i, f, g, o; σ the recurrent
 * activation: the logistic sigmoid, or the hard sigmoid clip(0.2x + 0.5, 0, 1)):
 *   z = x·K + b + h·R;  i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
 *   c' = f⊙c + i⊙g;     h' = o⊙tanh(c')
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { RecurrentActivation } from '../cell_table.js';
import { projectSequence, runCompositeLoop, type LoopOptions } from './loop.js';

/** tf.layers' hard sigmoid (and its gradient: tf.clipByValue passes it inside the bounds). */
function hardSigmoid(z: Tensor2D): Tensor2D {
  return tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1) as Tensor2D;
}

/** One LSTM step from the projected input x·K + b. Returns [h', c']. */
export function lstmCellStep(projectedInput: Tensor2D, h: Tensor2D, c: Tensor2D, recurrentKernel: Tensor2D,
  recurrentActivation: RecurrentActivation = 'sigmoid'): [Tensor2D, Tensor2D] {
  const gate = recurrentActivation === 'hardSigmoid' ? hardSigmoid : (v: Tensor2D) => tf.sigmoid(v);
  const z = tf.add(projectedInput, tf.matMul(h, recurrentKernel));
  const [zi, zf, zg, zo] = tf.split(z, 4, 1) as Tensor2D[];
  const i = gate(zi);
  const f = gate(zf);
  const g = tf.tanh(zg);
  const o = gate(zo);
  const cNext: Tensor2D = tf.add(tf.mul(f, c), tf.mul(i, g));
  const hNext: Tensor2D = tf.mul(o, tf.tanh(cNext));
  return [hNext, cNext];
}

export interface LstmWeights {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
  bias: Tensor1D;
  recurrentActivation?: RecurrentActivation;
}

export function lstmStepComposite(a: LstmWeights & { x: Tensor2D; h: Tensor2D; c: Tensor2D }): { h: Tensor2D; c: Tensor2D } {
  return tf.tidy(() => {
    const projected = tf.add(tf.matMul(a.x, a.kernel), a.bias) as Tensor2D;
    const [h, c] = lstmCellStep(projected, a.h, a.c, a.recurrentKernel, a.recurrentActivation);
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
      (xt, [h, c]) => lstmCellStep(xt, h, c, a.recurrentKernel, a.recurrentActivation),
      a,
    );
    return { output, h: carry[0], c: carry[1] };
  });
}
