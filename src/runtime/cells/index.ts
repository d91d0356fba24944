export type {
  Carry,
  CarryOf,
  CarryInput,
  HiddenCarry,
  LSTMCarry,
  RecurrentCell,
  SequenceCallOptions,
  SequenceResult,
  StepResult,
} from './cell.js';
export { BuiltinCell, type CellOptions } from './builtin_cell.js';
export { RNNCell, type RNNCellOptions, type RnnActivation } from './rnn_cell.js';
export { LSTMCell, type LSTMCellOptions } from './lstm_cell.js';
export type { GateActivation, GatedCellOptions } from './gated_options.js';
export { GRUCell, type GRUCellOptions } from './gru_cell.js';
