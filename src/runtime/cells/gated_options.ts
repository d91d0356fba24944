/** The options LSTMCell and GRUCell share (DESIGN.md "Variants"), validated in one place. */
import {
  GATE_ACTIVATIONS,
  RNN_ACTIVATIONS,
  type GateActivation,
  type RnnActivation,
} from '../kernels/composite/activations.js';
import { checkChoice } from '../validation.js';
import type { CellOptions } from './builtin_cell.js';

export type { GateActivation };

export interface GatedCellOptions extends CellOptions {
  /** The candidate and cell-output activation: 'tanh' (default), 'relu' or 'linear'. */
  activation?: RnnActivation;
  /** The gates' activation: 'sigmoid' (default, logistic) or 'hardSigmoid' (tf.layers' default). */
  recurrentActivation?: GateActivation;
}

export function checkGatedOptions(
  options: GatedCellOptions,
  context: string,
): { activation: RnnActivation; recurrentActivation: GateActivation } {
  return {
    activation: checkChoice(options.activation, RNN_ACTIVATIONS, 'tanh', context, 'activation'),
    recurrentActivation: checkChoice(options.recurrentActivation, GATE_ACTIVATIONS, 'sigmoid', context, 'recurrentActivation'),
  };
}
