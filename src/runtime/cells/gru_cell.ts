import * as tf from '@tensorflow/tfjs-core';
import { gruSequence, gruStep } from '../kernels/ops.js';
import type { HiddenCarry, SequenceCallOptions, SequenceResult } from './cell.js';
import { BuiltinCell, type CellOptions } from './builtin_cell.js';

export type GRUCellOptions = CellOptions;

/**
 * GRU cell with the reset gate applied after the recurrent matmul (Keras `reset_after: true`,
 * the PyTorch / cuDNN equations): kernel [in, 3H], recurrentKernel [H, 3H], bias [2, 3H]
 * (row 0 input bias, row 1 recurrent bias), gate blocks z, r, n:
 *   z = σ(xKz + b0z + hRz + b1z), r = σ(xKr + b0r + hRr + b1r),
 *   n = tanh(xKn + b0n + r⊙(hRn + b1n)), h' = (1−z)⊙n + z⊙h.
 */
export class GRUCell extends BuiltinCell<HiddenCarry> {
  constructor(inputSize: number, hiddenSize: number, options: GRUCellOptions = {}) {
    super(inputSize, hiddenSize, { kind: 'gru' }, options);
  }

  protected runStep(x: tf.Tensor2D, carry: HiddenCarry): HiddenCarry {
    return gruStep({ x, h: carry.h, ...this.weights() });
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
    return { kernel: this.kernel, recurrentKernel: this.recurrentKernel, bias: this.bias as tf.Tensor2D };
  }
}
