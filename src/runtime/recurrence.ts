/**
 * Recurrence: a cell run over a whole sequence, the carry in and out explicitly. Built-in cells
 * (anything with a `sequence` method) run their fused sequence kernel, one recorded kernel per
 * call; any other cell runs a loop of `cell.step` built from tf ops. RNN, LSTM and GRU are
 * Recurrence over the built-in cells.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BuiltinCell } from './cells/builtin_cell.js';
import type { Carry, CarryInput, CarryOf, RecurrentCell } from './cells/cell.js';
import { GRUCell, type GRUCellOptions } from './cells/gru_cell.js';
import { LSTMCell, type LSTMCellOptions } from './cells/lstm_cell.js';
import { RNNCell, type RNNCellOptions } from './cells/rnn_cell.js';
import { tidyResult } from './tidy.js';
import {
  type CarryTemplate,
  checkCarry,
  checkMask,
  checkSequenceInput,
  checkSize,
  floatMask,
} from './validation.js';

export interface RecurrenceOptions {
  /** true (default): output every step, [batch, time, hidden]; false: the last step, [batch, hidden]. */
  returnSequences?: boolean;
  /** x and output are [time, batch, features] instead of [batch, time, features]. */
  timeMajor?: boolean;
  /** Run from the last step to the first; output[t] stays aligned with x[t]. */
  reverse?: boolean;
  /** Learn the initial carry: one trainable row per carry entry, tiled to the batch. */
  trainableInitialState?: boolean;
}

export interface ApplyOptions {
  /** [batch, time] (batch-major even with timeMajor), 1 = valid. float32, bool or int32. */
  mask?: tf.Tensor2D;
}

export type RecurrenceResult<TCarry extends Carry> = {
  /**
   * With returnSequences: [batch, time, hidden] ([time, batch, hidden] when timeMajor), zeros at
   * masked steps. Without: each row's last valid output, [batch, hidden] (zeros for a row with
   * no valid step); for the built-in cells that is the final `carry.h`.
   */
  output: tf.Tensor;
  /** Each row's carry after its last valid step. */
  carry: TCarry;
};

type AnyCell = RecurrentCell<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class Recurrence<TCell extends AnyCell> {
  readonly cell: TCell;
  readonly returnSequences: boolean;
  readonly timeMajor: boolean;
  readonly reverse: boolean;
  readonly trainableInitialState: boolean;
  /** The learned initial carry, [1, ...] per entry, when trainableInitialState. */
  readonly initialState: { readonly [key: string]: tf.Variable } | null;
  /** Each carry entry's shape without the batch axis, read once from `cell.initialCarry(1)`. */
  private readonly carryTemplate: CarryTemplate;

  constructor(cell: TCell, options: RecurrenceOptions = {}) {
    this.cell = cell;
    this.returnSequences = options.returnSequences ?? true;
    this.timeMajor = options.timeMajor ?? false;
    this.reverse = options.reverse ?? false;
    this.trainableInitialState = options.trainableInitialState ?? false;
    // Inside a tidy: the probe carry is freed, and a carry tensor the cell keeps is left alone.
    const template: Record<string, number[]> = {};
    this.initialState = tidyResult(() => {
      const probe: Carry = cell.initialCarry(1);
      for (const [key, value] of Object.entries(probe)) template[key] = value.shape.slice(1);
      if (!this.trainableInitialState) return null;
      // Learning starts from the cell's own initial carry (zeros for the built-in cells).
      // tf.variable shares the probe's data, reference counted, so the tidy does not free it.
      return Object.fromEntries(Object.entries(probe).map(([key, value]) => [key, tf.variable(value)]));
    });
    this.carryTemplate = template;
  }

  /** The carry a call starts from when none is given: zeros, or the learned one tiled to the batch. */
  initialCarry(batchSize: number): CarryOf<TCell> {
    if (this.initialState === null) return this.cell.initialCarry(batchSize) as CarryOf<TCell>;
    checkSize(batchSize, `${this.constructor.name}.initialCarry`, 'batchSize');
    return tidyResult(() =>
      Object.fromEntries(
        Object.entries(this.initialState!).map(([key, row]) => [
          key,
          // Explicit tile: the learned row is copied once per batch element, nothing is broadcast.
          tf.tile(row, [batchSize, ...row.shape.slice(1).map(() => 1)]),
        ]),
      ),
    ) as CarryOf<TCell>;
  }

  /**
   * Runs the whole sequence. `carry` omitted: `initialCarry(batch)`.
   * Validates everything before computing anything, so a rejected call allocates nothing.
   */
  apply(
    x: tf.Tensor,
    carry?: CarryInput<CarryOf<TCell>>,
    options: ApplyOptions = {},
  ): RecurrenceResult<CarryOf<TCell>> {
    const context = `${this.constructor.name}.apply`;
    const { batch, time } = checkSequenceInput(x, this.cell.inputSize, this.timeMajor, context);
    if (carry !== undefined) checkCarry(carry, this.carryTemplate, batch, context);
    if (options.mask !== undefined) checkMask(options.mask, batch, time, context);
    return tidyResult(() => {
      const mask = options.mask === undefined ? undefined : floatMask(options.mask);
      const start = (carry as CarryOf<TCell> | undefined) ?? this.initialCarry(batch); // checked above
      return this.cell.sequence
        ? this.applyFused(x as tf.Tensor3D, start, mask)
        : this.applyStepLoop(x as tf.Tensor3D, start, time, mask);
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.cell.trainableVariables(), ...Object.values(this.initialState ?? {})];
  }

  /** Disposes the cell's weights and the learned initial carry. */
  dispose(): void {
    this.cell.dispose();
    for (const variable of Object.values(this.initialState ?? {})) {
      if (!variable.isDisposed) variable.dispose();
    }
  }

  /** The cell's fused sequence kernel (the built-in cells, or a user cell with `sequence`). */
  private applyFused(x: tf.Tensor3D, start: CarryOf<TCell>, mask?: tf.Tensor2D): RecurrenceResult<CarryOf<TCell>> {
    const { output, carry } = this.cell.sequence!(x, start, {
      mask,
      timeMajor: this.timeMajor,
      reverse: this.reverse,
    });
    if (this.returnSequences) return { output, carry };
    if (this.cell instanceof BuiltinCell) {
      // A built-in cell's output is its h: the final h is each row's last valid output, except
      // for a row with no valid step at all, whose last output is by convention zeros.
      const h = (carry as Carry).h as tf.Tensor2D;
      if (!mask) return { output: h, carry };
      const anyValid = tf.greater(tf.max(mask, 1, true), 0);
      return { output: tf.where(anyValid, h, tf.zerosLike(h)), carry };
    }
    return { output: this.lastValidOutput(output, mask), carry };
  }

  /** Each row's output at its last processed valid step, read from the output sequence. */
  private lastValidOutput(output: tf.Tensor3D, mask?: tf.Tensor2D): tf.Tensor2D {
    const timeAxis = this.timeMajor ? 0 : 1;
    const time = output.shape[timeAxis];
    const lastProcessed = this.reverse ? 0 : time - 1;
    if (!mask) return tf.squeeze(tf.gather(output, [lastProcessed], timeAxis), [timeAxis]);
    // Masked steps output zeros, so weighting the steps by a one-hot of each row's last valid
    // step (all zeros for a row with none) selects that output.
    const [batch] = mask.shape;
    const order = this.reverse ? tf.range(time, 0, -1) : tf.range(1, time + 1);
    const lastIndex = tf.argMax(tf.mul(mask, order), 1); // first max: the last processed valid step
    const selector = tf.mul(tf.oneHot(lastIndex, time), tf.max(mask, 1, true)); // [batch, time]
    const weights = this.timeMajor ? tf.reshape(tf.transpose(selector), [time, batch, 1]) : tf.reshape(selector, [batch, time, 1]);
    return tf.sum(tf.mul(output, weights), timeAxis) as tf.Tensor2D;
  }

  /** Any cell: one `cell.step` per timestep, masks applied with tf.where. */
  private applyStepLoop(
    x: tf.Tensor3D,
    start: CarryOf<TCell>,
    time: number,
    mask?: tf.Tensor2D,
  ): RecurrenceResult<CarryOf<TCell>> {
    const timeAxis = this.timeMajor ? 0 : 1;
    const steps = tf.unstack(x, timeAxis) as tf.Tensor2D[];
    const validColumns = mask ? tf.unstack(tf.greater(mask, 0), 1) : null; // [batch] bool each
    const outputs: tf.Tensor2D[] = new Array(time);
    let carry: Carry = start;
    let last: tf.Tensor2D | null = null;
    for (let k = 0; k < time; k++) {
      const t = this.reverse ? time - 1 - k : k;
      const next = this.cell.step(steps[t], carry as CarryOf<TCell>);
      if (!validColumns) {
        carry = next.carry;
        outputs[t] = next.output;
        last = next.output;
        continue;
      }
      // tf.where broadcasts like numpy: give the [batch] condition trailing axes of size 1.
      const validFor = (rank: number) =>
        tf.reshape(validColumns[t], [validColumns[t].shape[0], ...new Array<number>(rank - 1).fill(1)]);
      const previous = carry;
      carry = Object.fromEntries(
        Object.entries(next.carry as Carry).map(([key, value]) => [
          key,
          tf.where(validFor(value.rank), value, previous[key]),
        ]),
      );
      const valid = validFor(next.output.rank);
      outputs[t] = tf.where(valid, next.output, tf.zerosLike(next.output));
      last = last === null ? outputs[t] : tf.where(valid, next.output, last);
    }
    const output = this.returnSequences ? tf.stack(outputs, timeAxis) : last!;
    return { output, carry: carry as CarryOf<TCell> };
  }
}

/** Options of RNN: the cell's (activation, seed) and the Recurrence's. */
export type RNNOptions = RNNCellOptions & RecurrenceOptions;
export type LSTMOptions = LSTMCellOptions & RecurrenceOptions;
export type GRUOptions = GRUCellOptions & RecurrenceOptions;

function splitOptions<T extends RecurrenceOptions>(options: T) {
  const { returnSequences, timeMajor, reverse, trainableInitialState, ...cellOptions } = options;
  return { cellOptions, recurrenceOptions: { returnSequences, timeMajor, reverse, trainableInitialState } };
}

/** Elman RNN over a whole sequence: Recurrence over an RNNCell. */
export class RNN extends Recurrence<RNNCell> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const { cellOptions, recurrenceOptions } = splitOptions(options);
    super(new RNNCell(inputSize, hiddenSize, cellOptions), recurrenceOptions);
  }
}

/** LSTM over a whole sequence: Recurrence over an LSTMCell. */
export class LSTM extends Recurrence<LSTMCell> {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    const { cellOptions, recurrenceOptions } = splitOptions(options);
    super(new LSTMCell(inputSize, hiddenSize, cellOptions), recurrenceOptions);
  }
}

/** GRU (reset after, PyTorch / cuDNN equations) over a whole sequence: Recurrence over a GRUCell. */
export class GRU extends Recurrence<GRUCell> {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    const { cellOptions, recurrenceOptions } = splitOptions(options);
    super(new GRUCell(inputSize, hiddenSize, cellOptions), recurrenceOptions);
  }
}
