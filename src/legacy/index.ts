/**
 * `rnn-migrate/legacy`: the mutable, per-timestep Recur API kept working on the blocked runtime's
 * cells, plus the stale-state checker. New code should use 'rnn-migrate' directly.
 */
export { RNNCell, LSTMCell, GRUCell, RnnShapeError } from '../runtime/index.js';
export type { Carry, CarryOf, RecurrentCell } from '../runtime/index.js';
export { Recur, RNN, LSTM, GRU, type RecurState } from './recur.js';
export { reset } from './reset.js';
export {
  configureChecker,
  StaleStateError,
  CHECKER_MESSAGES,
  type CheckerCode,
  type CheckerMode,
  type CheckerOptions,
  type CheckerWarning,
} from './checker.js';
