/**
 * The cell interface: what `Recurrence` (and the legacy `Recur`) needs from a cell. Built-in and
 * user-written cells implement it alike; a cell holds weights and never state, so the carry always
 * travels explicitly through `step`.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** A carry: named tensors whose first axis is the batch. RNN and GRU use `{ h }`, LSTM `{ h, c }`. */
export type Carry = { readonly [key: string]: tf.Tensor };
export type HiddenCarry = { h: tf.Tensor2D };
export type LSTMCarry = { h: tf.Tensor2D; c: tf.Tensor2D };
/**
 * A carry given as an argument: the carry's names, any tensors. Ranks and shapes are checked at
 * run time (RnnShapeError), as for `x`, so a carry computed with rank-erased ops is accepted;
 * returned carries keep the precise type.
 */
export type CarryInput<TCarry extends Carry> = { readonly [K in keyof TCarry]: tf.Tensor };

export type StepResult<TCarry extends Carry> = {
  /** [batch, outputSize] (hidden size for the built-in cells, where it is `carry.h`). */
  output: tf.Tensor2D;
  carry: TCarry;
};

/** Options for a whole-sequence call; `x` is [batch, time, in], or [time, batch, in] when timeMajor. */
export interface SequenceCallOptions {
  /** [batch, time] float32 of 0/1, always batch-major; a 0 step outputs zeros and keeps the carry. */
  mask?: tf.Tensor2D;
  timeMajor?: boolean;
  /** Process from the last step to the first; outputs stay aligned with their inputs. */
  reverse?: boolean;
}

export type SequenceResult<TCarry extends Carry> = {
  /** The layout of `x` with the feature axis = hidden size. */
  output: tf.Tensor3D;
  /** Each row's carry after its last valid step. */
  carry: TCarry;
};

export interface RecurrentCell<TCarry extends Carry = Carry> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Zeros, one row per batch element. */
  initialCarry(batchSize: number): TCarry;
  /** One timestep: x [batch, inputSize]. */
  step(x: tf.Tensor2D, carry: TCarry): StepResult<TCarry>;
  getWeights(): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
  trainableVariables(): tf.Variable[];
  dispose(): void;
  /**
   * Optional fused whole-sequence implementation. `Recurrence` uses it when present (the built-in
   * cells run their sequence kernel here) and otherwise loops over `step`.
   */
  sequence?(x: tf.Tensor3D, carry: TCarry, options?: SequenceCallOptions): SequenceResult<TCarry>;
}

/** The carry type of a cell class, e.g. `CarryOf<LSTMCell>` is `{ h, c }`. */
export type CarryOf<TCell> = TCell extends RecurrentCell<infer TCarry> ? TCarry : never;
