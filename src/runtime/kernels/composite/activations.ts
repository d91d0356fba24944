/**
 * The activations a built-in cell can be configured with, as tfjs ops (autodiffed), and the cell
 * variants they make (the fused kernels of every backend compute each of them too).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { RECURRENT_ACTIVATIONS, RNN_ACTIVATIONS, type RecurrentActivation, type RnnActivation } from '../cell_table.js';

export { RNN_ACTIVATIONS, type RnnActivation };
/** The gate (recurrent) activation: 'sigmoid' is logistic, 'hardSigmoid' is tf.layers' clip(0.2x + 0.5, 0, 1). */
export type GateActivation = RecurrentActivation;
export const GATE_ACTIVATIONS = RECURRENT_ACTIVATIONS;

/** LSTM and GRU options beyond the weights; absent means the default (the fused kernels' math). */
export interface GatedVariant {
  /** The candidate / cell-output activation: default 'tanh'. */
  activation?: RnnActivation;
  /** The gates' activation: default 'sigmoid'. */
  recurrentActivation?: GateActivation;
}

export interface GruVariant extends GatedVariant {
  /** Default true (PyTorch / cuDNN / Keras 2); false: tf.layers' reset-before GRU, bias [3H]. */
  resetAfter?: boolean;
}

export function applyActivation(z: Tensor2D, activation: RnnActivation = 'tanh'): Tensor2D {
  switch (activation) {
    case 'tanh':
      return tf.tanh(z);
    case 'relu':
      return tf.relu(z);
    case 'linear':
      return z;
  }
}

export function applyGateActivation(z: Tensor2D, activation: GateActivation = 'sigmoid'): Tensor2D {
  switch (activation) {
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'hardSigmoid':
      // The same ops as tf.layers' K.hardSigmoid, so the gradient at the clip edges agrees too.
      return tf.clipByValue(tf.add(0.5, tf.mul(0.2, z)), 0, 1) as Tensor2D;
  }
}
