/** The runtime barrel: what src/index.ts publishes, plus helpers other areas share (formatShape). */
export * from './cells/index.js';
export { RnnShapeError, formatShape } from './errors.js';
export {
  GRU,
  LSTM,
  RNN,
  Recurrence,
  type ApplyOptions,
  type GRUOptions,
  type LSTMOptions,
  type RNNOptions,
  type RecurrenceOptions,
  type RecurrenceResult,
} from './recurrence.js';
export { Bidirectional, type BidirectionalCarry, type BidirectionalOptions, type MergeMode } from './bidirectional.js';
export { scan, type ScanOptions } from './scan.js';
export * from './importers/index.js';
