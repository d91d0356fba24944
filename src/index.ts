/**
 * `rnn-migrate`: the blocked, stateless runtime. Cells hold weights and no state; sequence layers
 * take a whole [batch, time, features] sequence and return the carry explicitly.
 * See DESIGN.md ("Pinned: rnn-migrate") for the contract.
 */
// Side effect: registers the fused kernels (cpu, wasm) and their fused BPTT gradients.
import './runtime/kernels/register.js';

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
  // Importers: weights trained in PyTorch or tf.layers, or held for tf.basicLSTMCell.
  basicLSTMCellsFromCheckpoint,
  basicLSTMLayersFromCheckpoint,
  canonicalWeightsFromTorch,
  cellFromBasicLSTMCell,
  cellFromBasicLSTMCellSplit,
  cellFromLayersLayer,
  fromLayersLayer,
  gruCellFromTorch,
  lstmCellFromTorch,
  rnnCellFromTorch,
} from './runtime/index.js';
export type {
  ApplyOptions,
  BasicLSTMCheckpointOptions,
  BasicLSTMForgetBias,
  CheckpointVariables,
  CanonicalWeights,
  LayersRecurrentLayer,
  TorchImportOptions,
  TorchKind,
  TorchStateDict,
  TorchTensorLike,
  BidirectionalCarry,
  BidirectionalOptions,
  Carry,
  CarryInput,
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
