/**
 * The legacy mutable recurrent wrapper: call `step` once per timestep, it remembers `state`.
 * Kept working on the runtime's cells (so the numerics are the blocked layers' own) while code
 * migrates, with the stale-state checker watching the patterns that make its gradients wrong.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  GRUCell,
  LSTMCell,
  RNNCell,
  Recurrence,
  RnnShapeError,
  formatShape,
  type ApplyOptions,
  type Carry,
  type CarryInput,
  type CarryOf,
  type RecurrenceResult,
  type RNNCellOptions,
  type RecurrentCell,
} from '../runtime/index.js';
import { isRecordingGradient, sharedHandle } from '../runtime/kernels/tfjs_internals.js';
import { checkerMode, reportProblem } from './checker.js';
import {
  currentGradientScope,
  flushPendingReleases,
  isCarryDisposed,
  recordStepProvenance,
  releaseCarry,
  startsFromStaleState,
  stepProvenance,
} from './state_lifetime.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any cell, whatever its carry
type AnyCell = RecurrentCell<any>;

/**
 * The stored state of a Recur over `TCell`: the cell's carry entries, `[batch, hidden]` each, or
 * `[hidden]` after unbatched steps (a hand-set state may be either).
 */
export type RecurState<TCell extends AnyCell> = { [K in keyof CarryOf<TCell>]: tf.Tensor };

function isRecurrentCell(value: unknown): value is AnyCell {
  const cell = value as AnyCell | null;
  return (
    typeof cell === 'object' &&
    cell !== null &&
    typeof cell.step === 'function' &&
    typeof cell.initialCarry === 'function'
  );
}

/** Duck-typed like the runtime's check, so a tensor from another copy of tfjs-core still counts. */
export function isTensor(value: unknown): value is tf.Tensor {
  return typeof value === 'object' && value !== null && 'dataId' in value && 'shape' in value && 'dtype' in value;
}

function isCarry(value: unknown): value is Carry {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isTensor(value)) return false;
  const entries = Object.values(value);
  return entries.length > 0 && entries.every(isTensor);
}

/**
 * A cell made stateful: `step(x)` runs one timestep from the stored `state` and replaces it.
 *
 * The stored state is owned by the Recur: it survives tf.tidy and optimizer.minimize scopes, and
 * is released when replaced (by a step, an assignment or `reset()`), once no pending gradient can
 * need it. The tensors a step returns belong to the caller, as with any tfjs op. A state assigned
 * by the user (`recur.state = { h }`) stays the user's: the Recur reads it but never disposes it.
 *
 * @deprecated Stateful per-timestep recurrence truncates backprop silently and leaks state across
 * batches. Use the blocked layers of 'rnn-migrate': `new LSTM(inputSize, hiddenSize).apply(x, carry)`
 * on a whole `[batch, time, features]` sequence (or `cell.step(x, carry)` for one timestep), with the
 * carry passed explicitly. `npx rnn-migrate <files>` rewrites step loops for you.
 */
export class Recur<TCell extends AnyCell = AnyCell> {
  readonly cell: TCell;
  #state: RecurState<TCell> | null = null;
  /** The blocked layer over the same cell, built on the first `apply`. */
  #blocked: Recurrence<TCell> | undefined;

  constructor(cell: TCell) {
    if (!isRecurrentCell(cell)) {
      throw new TypeError(
        'new Recur(cell): expected a recurrent cell (an RNNCell, LSTMCell, GRUCell or an object ' +
          `with step(x, carry) and initialCarry(batchSize)), got ${describe(cell)}.`,
      );
    }
    this.cell = cell;
  }

  /** The stored carry (`{ h }`, or `{ h, c }` for an LSTM), or null: the next step starts from zeros. */
  get state(): RecurState<TCell> | null {
    return this.#state;
  }

  set state(value: RecurState<TCell> | null) {
    if (value === this.#state) return;
    if (value !== null && !isCarry(value)) {
      throw new TypeError(
        'Recur.state: expected null or a carry object of tensors such as { h } or { h, c }, ' +
          `got ${describe(value)}.`,
      );
    }
    flushPendingReleases();
    this.#replaceState(value);
  }

  /** Forgets the stored state: the next step starts from zeros. */
  reset(): void {
    this.state = null;
  }

  /**
   * One timestep: `x` is `[in]` (one unbatched example) or `[batch, in]`. Returns the output,
   * `[hidden]` or `[batch, hidden]`, and stores the new state in the same layout.
   */
  step(x: tf.Tensor): tf.Tensor {
    flushPendingReleases();
    const unbatched = checkStepInput(x);
    let state = this.#state;
    if (state !== null && isCarryDisposed(state)) {
      reportProblem('disposed-state'); // throws in error mode
      this.#state = state = null;
    }
    const scope = currentGradientScope();
    if (state !== null && scope !== null && checkerMode() !== 'off' && startsFromStaleState(state, scope)) {
      reportProblem('stale-state');
    }
    const batch = unbatched ? 1 : x.shape[0]!;
    if (state !== null) checkStateBatch(state, batch, unbatched, x);

    const { output, nextState } = !unbatched && state !== null && allocatesOnlyItsCarry(this.cell) && isBatched(state)
      ? this.#builtinStep(x as tf.Tensor2D, state)
      : this.#anyStep(x, state, unbatched, batch);
    for (const key in nextState) tf.keep(nextState[key]!);
    // Frozen: an entry swapped in by mutation (`recur.state.h = t`) would be disposed as the Recur's own.
    const next = Object.freeze(nextState) as RecurState<TCell>;
    recordStepProvenance(next, this, scope);
    this.#replaceState(next);
    return output;
  }

  /**
   * A built-in cell's step from a batched state: no tidy scope, as its step allocates nothing but
   * the new carry, whose `h` it also returns as the output (the caller owns the output, so the
   * stored h is a second handle on it: a clone on the tape while a gradient is recorded, else a
   * handle on the same data with no kernel call). What the step adds over `cell.step` is this handle.
   */
  #builtinStep(x: tf.Tensor2D, state: Carry): { output: tf.Tensor; nextState: Record<string, tf.Tensor> } {
    const result = this.cell.step(x, state);
    const stored: Record<string, tf.Tensor> = {};
    for (const key in result.carry) {
      const tensor = result.carry[key] as tf.Tensor;
      stored[key] = tensor !== result.output ? tensor : isRecordingGradient() ? tf.clone(tensor) : sharedHandle(tensor);
    }
    return { output: result.output, nextState: stored };
  }

  /** Any cell, any state layout: in a tidy scope, which frees what a user-written cell allocates. */
  #anyStep(x: tf.Tensor, state: Carry | null, unbatched: boolean, batch: number): { output: tf.Tensor; nextState: Record<string, tf.Tensor> } {
    return tf.tidy(() => {
      const x2d = (unbatched ? tf.expandDims(x, 0) : x) as tf.Tensor2D;
      const carry: Carry = state === null ? this.cell.initialCarry(batch) : toBatched(state);
      const result = this.cell.step(x2d, carry);
      // Tensors the Recur must not take ownership of as they are: the caller's output (the
      // built-in cells return carry.h itself) and anything a cell passed through unchanged.
      const foreign = new Set<tf.Tensor>([result.output, x2d, ...Object.values(carry)]);
      const stored: Record<string, tf.Tensor> = {};
      for (const key in result.carry) {
        const tensor = result.carry[key] as tf.Tensor;
        // A clone is a second handle on the same buffer, with its own lifetime.
        stored[key] = unbatched ? tf.squeeze(tensor, [0]) : foreign.has(tensor) ? tf.clone(tensor) : tensor;
      }
      return { output: unbatched ? tf.squeeze(result.output, [0]) : result.output, nextState: stored };
    });
  }

  /**
   * The blocked call on this Recur's cell: `x` is `[batch, time, features]`, `carry` defaults to
   * zeros, `options.mask` as for `Recurrence.apply`. Stateless: `recur.state` is neither read nor
   * changed.
   */
  apply(x: tf.Tensor, carry?: CarryInput<CarryOf<TCell>>, options?: ApplyOptions): RecurrenceResult<CarryOf<TCell>> {
    this.#blocked ??= new Recurrence(this.cell);
    return this.#blocked.apply(x, carry, options) as RecurrenceResult<CarryOf<TCell>>;
  }

  toString(): string {
    return `Recur(${String(this.cell)})`;
  }

  #replaceState(next: RecurState<TCell> | null): void {
    const previous = this.#state;
    this.#state = next;
    if (previous !== null && stepProvenance(previous)?.owner === this) releaseCarry(previous);
  }
}

/** Whether `x` is unbatched (rank 1); anything but rank 1 or 2 throws RnnShapeError. */
function checkStepInput(x: unknown): x is tf.Tensor1D {
  if (!isTensor(x)) {
    throw new TypeError(`Recur.step: x must be a tf.Tensor of shape [in] or [batch, in], got ${describe(x)}.`);
  }
  if (x.rank !== 1 && x.rank !== 2) {
    throw new RnnShapeError(
      'Recur.step',
      'x of shape [in] or [batch, in] (one timestep)',
      `shape ${formatShape(x.shape)} (rank ${x.rank})`,
      x.rank === 3 ? 'A whole [batch, time, features] sequence goes through recur.apply(x).' : undefined,
    );
  }
  return x.rank === 1;
}

/** A state never meets a batch of another size: nothing is broadcast silently. */
function checkStateBatch(state: Carry, batch: number, unbatched: boolean, x: tf.Tensor): void {
  for (const key in state) {
    const tensor = state[key]!;
    const stateBatch = tensor.rank === 1 ? 1 : tensor.shape[0]!;
    if (stateBatch !== batch) {
      throw new RnnShapeError(
        'Recur.step',
        `x with batch ${stateBatch}, the batch of the stored state (state.${key} has shape ` +
          `${formatShape(tensor.shape)})`,
        `x of shape ${formatShape(x.shape)}${unbatched ? ' (unbatched: batch 1)' : ''}`,
        'The stored state is never broadcast to another batch size: call reset() (or assign ' +
          'recur.state) when the batch size changes.',
      );
    }
  }
}

/**
 * Whether a cell's step allocates nothing but its returned carry (the built-in cells, not
 * subclasses, which may override step): such a step needs no tidy scope around it.
 */
function allocatesOnlyItsCarry(cell: AnyCell): boolean {
  const type = cell.constructor;
  return type === LSTMCell || type === GRUCell || type === RNNCell;
}

function isBatched(state: Carry): boolean {
  for (const key in state) if (state[key]!.rank !== 2) return false;
  return true;
}

/** A rank-1 state (stored by unbatched steps or hand-set) gets its batch axis back. */
function toBatched<TCarry extends Carry>(state: TCarry): TCarry {
  const batched: Record<string, tf.Tensor> = {};
  for (const key in state) {
    const tensor = state[key]!;
    batched[key] = tensor.rank === 1 ? tf.expandDims(tensor, 0) : tensor;
  }
  return batched as unknown as TCarry;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (isTensor(value)) return `a tensor of shape ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'Object'})` : typeof value;
}

/**
 * A stateful vanilla RNN: `RNN(inputSize, hiddenSize, { activation })` is
 * `new Recur(new RNNCell(inputSize, hiddenSize, { activation }))`.
 *
 * @deprecated Use `new RNN(inputSize, hiddenSize, opts)` from 'rnn-migrate' on whole sequences,
 * with the carry passed explicitly (`npx rnn-migrate <files>` migrates step loops).
 */
export function RNN(inputSize: number, hiddenSize: number, options?: RNNCellOptions): Recur<RNNCell> {
  return new Recur(new RNNCell(inputSize, hiddenSize, options));
}

/**
 * A stateful LSTM: `new Recur(new LSTMCell(inputSize, hiddenSize))`.
 *
 * @deprecated Use `new LSTM(inputSize, hiddenSize)` from 'rnn-migrate' on whole sequences, with the
 * carry `{ h, c }` passed explicitly (`npx rnn-migrate <files>` migrates step loops).
 */
export function LSTM(inputSize: number, hiddenSize: number): Recur<LSTMCell> {
  return new Recur(new LSTMCell(inputSize, hiddenSize));
}

/**
 * A stateful GRU: `new Recur(new GRUCell(inputSize, hiddenSize))`.
 *
 * @deprecated Use `new GRU(inputSize, hiddenSize)` from 'rnn-migrate' on whole sequences, with the
 * carry passed explicitly (`npx rnn-migrate <files>` migrates step loops).
 */
export function GRU(inputSize: number, hiddenSize: number): Recur<GRUCell> {
  return new Recur(new GRUCell(inputSize, hiddenSize));
}
