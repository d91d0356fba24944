import * as tf from '@tensorflow/tfjs-core';
import { lstmSequence, lstmStep } from '../kernels/ops.js';
import type { LSTMCarry, SequenceCallOptions, SequenceResult } from './cell.js';
import { RECURRENT_ACTIVATIONS, type RecurrentActivation } from '../kernels/cell_table.js';
import { BuiltinCell, type CellOptions } from './builtin_cell.js';

export interface LSTMCellOptions extends CellOptions {
  /**
   * The activation of the gates i, f, o: 'sigmoid' (default, as Keras in Python and PyTorch) or
   * 'hardSigmoid', tf.layers' clip(0.2x + 0.5, 0, 1) (the tf.layers.lstm default).
   */
  recurrentActivation?: RecurrentActivation;
}

/**
 * LSTM cell, Keras layout: kernel [in, 4H], recurrentKernel [H, 4H], bias [4H], gate blocks
 * i, f, g, o (σ, σ, tanh, σ with σ the recurrent activation): c' = f⊙c + i⊙g, h' = o⊙tanh(c').
 * The forget-gate bias starts at 1 (Jozefowicz et al. 2015, Keras' unit_forget_bias).
 */
export class LSTMCell extends BuiltinCell<LSTMCarry> {
  readonly recurrentActivation: RecurrentActivation;

  constructor(inputSize: number, hiddenSize: number, options: LSTMCellOptions = {}) {
    // Checked before any variable exists, so a bad option leaks nothing.
    const recurrentActivation = options.recurrentActivation ?? 'sigmoid';
    if (!RECURRENT_ACTIVATIONS.includes(recurrentActivation)) {
      throw new TypeError(
        `new LSTMCell: recurrentActivation must be one of ${RECURRENT_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(recurrentActivation)}.`,
      );
    }
    super(
      inputSize,
      hiddenSize,
      { kind: 'lstm', initialBias: (h) => tf.concat([tf.zeros([h]), tf.ones([h]), tf.zeros([2 * h])]) },
      options,
    );
    this.recurrentActivation = recurrentActivation;
  }

  protected runStep(x: tf.Tensor2D, carry: LSTMCarry): LSTMCarry {
    return lstmStep({ x, h: carry.h, c: carry.c, ...this.weights() });
  }

  protected runSequence(
    x: tf.Tensor3D,
    carry: LSTMCarry,
    options: SequenceCallOptions,
  ): SequenceResult<LSTMCarry> {
    const { output, h, c } = lstmSequence({ x, h0: carry.h, c0: carry.c, ...this.weights(), ...options });
    return { output, carry: { h, c } };
  }

  private weights() {
    return { kernel: this.kernel, recurrentKernel: this.recurrentKernel, bias: this.bias as tf.Tensor1D, recurrentActivation: this.recurrentActivation };
  }
}
