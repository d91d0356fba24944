import * as tf from '@tensorflow/tfjs-core';
import type { RnnActivation } from '../kernels/composite/activations.js';
import { gruSequence, gruStep } from '../kernels/ops.js';
import { checkChoice } from '../validation.js';
import type { HiddenCarry, SequenceCallOptions, SequenceResult } from './cell.js';
import { BuiltinCell } from './builtin_cell.js';
import { checkGatedOptions, type GateActivation, type GatedCellOptions } from './gated_options.js';

export interface GRUCellOptions extends GatedCellOptions {
  /**
   * true (default): the reset gate multiplies the recurrent projection, bias [2, 3H] (PyTorch,
   * cuDNN, Keras 2 `reset_after=True`). false: it multiplies h before the recurrent matmul,
   * bias [3H] (tf.layers, Keras `reset_after=False`).
   */
  resetAfter?: boolean;
}

/**
 * GRU cell, Keras layout: kernel [in, 3H], recurrentKernel [H, 3H], gate blocks z, r, n, with σ
 * the recurrentActivation (default logistic) and act the activation (default tanh):
 * - resetAfter (default), bias [2, 3H] (row 0 input bias, row 1 recurrent bias):
 *   z = σ(xKz + b0z + hRz + b1z), r = σ(xKr + b0r + hRr + b1r), n = act(xKn + b0n + r⊙(hRn + b1n));
 * - resetAfter: false, bias [3H]: z = σ(xKz + bz + hRz), r = σ(xKr + br + hRr), n = act(xKn + bn + (r⊙h)Rn);
 * h' = (1−z)⊙n + z⊙h.
 */
export class GRUCell extends BuiltinCell<HiddenCarry> {
  readonly activation: RnnActivation;
  readonly recurrentActivation: GateActivation;
  readonly resetAfter: boolean;

  constructor(inputSize: number, hiddenSize: number, options: GRUCellOptions = {}) {
    // Checked before any variable exists, so a bad option leaks nothing.
    const variant = checkGatedOptions(options, 'new GRUCell');
    const resetAfter = checkChoice(options.resetAfter, [true, false], true, 'new GRUCell', 'resetAfter');
    // Reset before (tf.layers / Keras reset_after=False): one bias row [3H] instead of two.
    super(inputSize, hiddenSize, { kind: 'gru', ...(resetAfter ? {} : { biasShape: (h: number) => [3 * h] }) }, options);
    this.activation = variant.activation;
    this.recurrentActivation = variant.recurrentActivation;
    this.resetAfter = resetAfter;
  }

  protected runStep(x: tf.Tensor2D, carry: HiddenCarry): HiddenCarry {
    // Named, not spread from weights(): spreads per call show at batch 1.
    return gruStep({
      x, h: carry.h, kernel: this.kernel, recurrentKernel: this.recurrentKernel, bias: this.bias,
      activation: this.activation, recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter,
    });
  }

  protected runSequence(
    x: tf.Tensor3D,
    carry: HiddenCarry,
    options: SequenceCallOptions,
  ): SequenceResult<HiddenCarry> {
    const { output, h } = gruSequence({ x, h0: carry.h, ...this.weights(), ...options });
    return { output, carry: { h } };
  }

  private weights() {
    return { ...this.weightTensors(), activation: this.activation, recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}
