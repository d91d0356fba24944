/**
 * `rnn-migrate`: the blocked, stateless runtime. Cells hold weights and no state; sequence layers
 * take a whole [batch, time, features] sequence and return the carry explicitly.
 * See DESIGN.md ("Pinned: rnn-migrate") for the contract.
 */
export {
  Bidirectional,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  RNNCell,
  Recurrence,
  RnnShapeError,
  scan,
} from './runtime/index.js';
export type {
  ApplyOptions,
  BidirectionalCarry,
  BidirectionalOptions,
  Carry,
  CarryOf,
  CellOptions,
  GRUCellOptions,
  GRUOptions,
  HiddenCarry,
  LSTMCarry,
  LSTMCellOptions,
  LSTMOptions,
  MergeMode,
  RNNCellOptions,
  RNNOptions,
  RecurrenceOptions,
  RecurrenceResult,
  RecurrentCell,
  RnnActivation,
  ScanOptions,
  SequenceCallOptions,
  SequenceResult,
  StepResult,
} from './runtime/index.js';
