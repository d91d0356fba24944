import * as tf from '@tensorflow/tfjs-core';
import type { RnnActivation } from '../kernels/composite/activations.js';
import { lstmSequence, lstmStep } from '../kernels/ops.js';
import type { LSTMCarry, SequenceCallOptions, SequenceResult } from './cell.js';
import { BuiltinCell } from './builtin_cell.js';
import { checkGatedOptions, type GateActivation, type GatedCellOptions } from './gated_options.js';

export type LSTMCellOptions = GatedCellOptions;

/**
 * LSTM cell, Keras layout: kernel [in, 4H], recurrentKernel [H, 4H], bias [4H], gate blocks
 * i, f, g, o: i, f, o = σ(z), g = act(z), c' = f⊙c + i⊙g, h' = o⊙act(c'), with σ the
 * recurrentActivation (default the logistic sigmoid) and act the activation (default tanh).
 * The forget-gate bias starts at 1 (Jozefowicz et al. 2015, Keras' unit_forget_bias).
 */
export class LSTMCell extends BuiltinCell<LSTMCarry> {
  readonly activation: RnnActivation;
  readonly recurrentActivation: GateActivation;

  constructor(inputSize: number, hiddenSize: number, options: LSTMCellOptions = {}) {
    // Checked before any variable exists, so a bad option leaks nothing.
    const variant = checkGatedOptions(options, 'new LSTMCell');
    super(
      inputSize,
      hiddenSize,
      { kind: 'lstm', initialBias: (h) => tf.concat([tf.zeros([h]), tf.ones([h]), tf.zeros([2 * h])]) },
      options,
    );
    this.activation = variant.activation;
    this.recurrentActivation = variant.recurrentActivation;
  }

  protected runStep(x: tf.Tensor2D, carry: LSTMCarry): LSTMCarry {
    // Named, not spread from weights(): spreads per call show at batch 1.
    return lstmStep({
      x, h: carry.h, c: carry.c, kernel: this.kernel, recurrentKernel: this.recurrentKernel, bias: this.bias as tf.Tensor1D,
      activation: this.activation, recurrentActivation: this.recurrentActivation,
    });
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
    return { ...this.weightTensors<tf.Tensor1D>(), activation: this.activation, recurrentActivation: this.recurrentActivation };
  }
}
