import * as tf from '@tensorflow/tfjs-core';
import { RNN_ACTIVATIONS, type RnnActivation } from '../kernels/cell_table.js';
import { rnnSequence, rnnStep } from '../kernels/ops.js';
import { checkChoice } from '../validation.js';
import type { HiddenCarry, SequenceCallOptions, SequenceResult } from './cell.js';
import { BuiltinCell, type CellOptions } from './builtin_cell.js';

export type { RnnActivation };

export interface RNNCellOptions extends CellOptions {
  /** Default 'tanh' (as tf.layers.simpleRNN). */
  activation?: RnnActivation;
}

/** Elman cell, Keras layout: kernel [in, H], recurrentKernel [H, H], bias [H]; h' = act(xK + hR + b). */
export class RNNCell extends BuiltinCell<HiddenCarry> {
  readonly activation: RnnActivation;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    // Checked before any variable exists, so a bad option leaks nothing.
    const activation = checkChoice(options.activation, RNN_ACTIVATIONS, 'tanh', 'new RNNCell', 'activation');
    super(inputSize, hiddenSize, { kind: 'rnn' }, options);
    this.activation = activation;
  }

  protected runStep(x: tf.Tensor2D, carry: HiddenCarry): HiddenCarry {
    // Named, not spread from weights(): spreads per call show at batch 1.
    return rnnStep({ x, h: carry.h, kernel: this.kernel, recurrentKernel: this.recurrentKernel, bias: this.bias as tf.Tensor1D, activation: this.activation });
  }

  protected runSequence(
    x: tf.Tensor3D,
    carry: HiddenCarry,
    options: SequenceCallOptions,
  ): SequenceResult<HiddenCarry> {
    const { output, h } = rnnSequence({ x, h0: carry.h, ...this.weights(), ...options });
    return { output, carry: { h } };
  }

  private weights() {
    return { ...this.weightTensors<tf.Tensor1D>(), activation: this.activation };
  }
}
