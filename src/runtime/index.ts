/** The runtime barrel: what src/index.ts publishes, plus helpers other areas share (formatShape). */
// The fused cpu/wasm kernels and their gradients: whoever reaches the cells (the main entry, the
// legacy entry) gets them registered. Without it the ops fall back to the composite kernels.
import './kernels/register.js';

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
