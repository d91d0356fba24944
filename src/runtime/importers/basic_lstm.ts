/**
 * Weights of tfjs-core's `tf.basicLSTMCell` (the TF1 `BasicLSTMCell` / `LSTMCell` of Magenta and
 * ml5 checkpoints) into the canonical layout. tfjs-core computes
 *   z = [x, h]·K + b,  split into i, j, f, o;  c' = σ(i)⊙tanh(j) + c⊙σ(f + forgetBias),  h' = tanh(c')⊙σ(o)
 * with K [in + H, 4H]. The canonical cell computes z = x·kernel + h·recurrentKernel + bias with
 * gate blocks i, f, g, o, so:
 *   kernel = K[0:in, P],  recurrentKernel = K[in:, P],  bias = [b_i, b_f + forgetBias, b_j, b_o]
 * where P reorders the column blocks (i, j, f, o) → (i, f, j, o). The result agrees with
 * tf.basicLSTMCell to float32 rounding (one matmul becomes two, the forget bias is pre-added).
 *
 * Folding forgetBias into b_f is exact for a constant. A tf.Variable forgetBias is refused: once
 * folded it would stop being its own (shared, scalar) parameter, so training would change.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LSTMCell } from '../cells/lstm_cell.js';
import { RnnShapeError, formatShape } from '../errors.js';
import { LSTM, type LSTMOptions } from '../recurrence.js';
import { assertFloatTensor, isTensor } from '../validation.js';
import { permuteColumnBlocks } from './gate_blocks.js';
import { type BuildFromWeights, type CanonicalWeights, withWeights } from './torch.js';

/** What tf.basicLSTMCell accepts as forgetBias and can be folded: a number or a constant scalar tensor. */
export type BasicLSTMForgetBias = number | tf.Tensor;

/**
 * An LSTMCell computing `tf.basicLSTMCell(forgetBias, kernel, bias, x, c, h)`.
 * kernel [in + H, 4H] (rows: input then hidden; column blocks i, j, f, o), bias [4H].
 * The caller keeps its tensors (nothing passed in is disposed); the cell holds copies.
 */
export function cellFromBasicLSTMCell(kernel: tf.Tensor, bias: tf.Tensor, forgetBias: BasicLSTMForgetBias = 1): LSTMCell {
  return basicLSTMCell('cellFromBasicLSTMCell', forgetBias, (folded, context) => canonicalWeightsFromBasicLSTMCell(kernel, bias, folded, context));
}

/**
 * The same, for code that keeps the two halves of the kernel apart (sketch_rnn: an input-to-hidden
 * matrix [in, 4H] and a hidden-to-hidden one [H, 4H], concatenated before each tf.basicLSTMCell):
 * equivalent to `cellFromBasicLSTMCell(tf.concat([inputKernel, recurrentKernel], 0), bias, forgetBias)`.
 */
export function cellFromBasicLSTMCellSplit(inputKernel: tf.Tensor, recurrentKernel: tf.Tensor, bias: tf.Tensor, forgetBias: BasicLSTMForgetBias = 1): LSTMCell {
  return basicLSTMCell('cellFromBasicLSTMCellSplit', forgetBias, (folded, context) => canonicalWeightsFromHalves(inputKernel, recurrentKernel, bias, folded, context));
}

/** An LSTMCell on the canonical weights `read` makes with forgetBias checked and folded. */
function basicLSTMCell(context: string, forgetBias: BasicLSTMForgetBias, read: (folded: number, context: string) => CanonicalWeights): LSTMCell {
  return withWeights(read(foldableForgetBias(forgetBias, context), context), (i, h, initial) => new LSTMCell(i, h, initial({})));
}

/** Names → tensors, as a TF1 checkpoint loader yields them (Magenta's `loadCheckpoint`, ml5's CharRNN). */
export type CheckpointVariables = { readonly [name: string]: tf.Tensor };

export interface BasicLSTMCheckpointOptions {
  /** The forgetBias the code passes to tf.basicLSTMCell (Magenta and ml5: 1, the default). */
  forgetBias?: BasicLSTMForgetBias;
  /** How many cells the stack must have; by default every index found under the prefix (0, 1, … with no gap). */
  layers?: number;
  /** Variable names after the prefix. Default 'kernel' and 'bias' (TF ≥ 1.0 names). */
  kernelName?: string;
  biasName?: string;
}

/**
 * The cells of a `tf.multiRNNCell` stack, in order, from checkpoint names. `prefix` holds `%d` where
 * the layer index goes, e.g. 'rnn/multi_rnn_cell/cell_%d/basic_lstm_cell/' (music_rnn),
 * 'multi_rnn_cell/cell_%d/lstm_cell/' (piano_genie), or one direction of a bidirectional encoder
 * 'encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_%d/lstm_cell/' (call again with /bw/).
 * A prefix without `%d` names a single cell. Missing names are listed in one error.
 * Stepping the returned cells one after the other, each fed the previous one's new h, is
 * tf.multiRNNCell; carries are `{ h, c }` per cell (tf.multiRNNCell returns [c[], h[]]).
 */
export function basicLSTMCellsFromCheckpoint(
  variables: CheckpointVariables,
  prefix: string,
  options: BasicLSTMCheckpointOptions = {},
): LSTMCell[] {
  return importStack('basicLSTMCellsFromCheckpoint', variables, prefix, options, (i, h, initial) => new LSTMCell(i, h, initial({})));
}

/**
 * The same stack as blocked sequence layers: applying them one after the other, each to the
 * previous one's output sequence, is a loop of tf.multiRNNCell over the time axis. `layerOptions`
 * go to every `new LSTM` (e.g. `reverse: true` for the backward direction of a bidirectional encoder).
 */
export function basicLSTMLayersFromCheckpoint(
  variables: CheckpointVariables,
  prefix: string,
  options: BasicLSTMCheckpointOptions & { layerOptions?: LSTMOptions } = {},
): LSTM[] {
  return importStack('basicLSTMLayersFromCheckpoint', variables, prefix, options, (i, h, initial) => new LSTM(i, h, initial({ ...options.layerOptions })));
}

function importStack<T extends { dispose(): void }>(
  context: string,
  variables: CheckpointVariables,
  prefix: string,
  options: BasicLSTMCheckpointOptions,
  build: BuildFromWeights<T>,
): T[] {
  if (typeof variables !== 'object' || variables === null) {
    throw new TypeError(`${context}: variables must be an object of named tensors, got ${String(variables)}.`);
  }
  if (typeof prefix !== 'string') throw new TypeError(`${context}: prefix must be a string, got ${typeof prefix}.`);
  const { kernelName = 'kernel', biasName = 'bias' } = options;
  const folded = foldableForgetBias(options.forgetBias ?? 1, context);
  const names = stackNames(context, variables, prefix, options.layers, kernelName, biasName);
  const built: T[] = [];
  try {
    let previousHidden: number | undefined;
    for (const [layer, { kernel, bias }] of names.entries()) {
      const weights = canonicalWeightsFromBasicLSTMCell(variables[kernel], variables[bias], folded, `${context} (${kernel})`);
      if (previousHidden !== undefined && weights.inputSize !== previousHidden) {
        tf.dispose(weights.weights);
        throw new RnnShapeError(
          context,
          `cell ${layer} to take cell ${layer - 1}'s output (input size ${previousHidden}), as tf.multiRNNCell feeds it`,
          `${kernel} of shape ${formatShape(variables[kernel].shape)} (input size ${weights.inputSize})`,
        );
      }
      previousHidden = weights.hiddenSize;
      built.push(withWeights(weights, build));
    }
    return built;
  } catch (error) {
    built.forEach((b) => b.dispose());
    throw error;
  }
}

/** The kernel / bias names of each layer, 0 … n−1, or one error naming every missing one. */
function stackNames(
  context: string,
  variables: CheckpointVariables,
  prefix: string,
  layers: number | undefined,
  kernelName: string,
  biasName: string,
): Array<{ kernel: string; bias: string }> {
  const placeholders = prefix.split('%d').length - 1;
  if (placeholders > 1) {
    throw new TypeError(`${context}: prefix may hold one %d (the layer index), got '${prefix}'.`);
  }
  if (layers !== undefined && (!Number.isInteger(layers) || layers < 1 || (placeholders === 0 && layers !== 1))) {
    throw new RangeError(
      `${context}: layers must be a positive integer (1 for a prefix without %d), got ${String(layers)}.`,
    );
  }
  const at = (layer: number) => prefix.replace('%d', String(layer));
  let count = layers ?? 1;
  if (layers === undefined && placeholders === 1) {
    const [before, after] = prefix.split('%d');
    const pattern = new RegExp(`^${escapeRegExp(before)}(\\d+)${escapeRegExp(after)}(?:${escapeRegExp(kernelName)}|${escapeRegExp(biasName)})$`);
    const indices = Object.keys(variables).flatMap((key) => {
      const match = pattern.exec(key);
      return match ? [Number(match[1])] : [];
    });
    count = indices.length === 0 ? 1 : Math.max(...indices) + 1;
  }
  const names = Array.from({ length: count }, (_, layer) => ({
    kernel: `${at(layer)}${kernelName}`,
    bias: `${at(layer)}${biasName}`,
  }));
  const missing = names.flatMap(({ kernel, bias }) => [kernel, bias]).filter((name) => !(name in variables));
  if (missing.length > 0) {
    const known = Object.keys(variables);
    throw new RnnShapeError(
      context,
      `variables ${missing.map((name) => `'${name}'`).join(', ')}`,
      `none of that name among ${known.length} variables${known.length > 0 ? ` (${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''})` : ''}`,
    );
  }
  return names;
}

/**
 * The canonical [kernel, recurrentKernel, bias] of a fused tf.basicLSTMCell kernel [in + H, 4H]
 * and bias [4H], new tensors owned by the caller. `forgetBias` is already a number (see
 * foldableForgetBias).
 */
function canonicalWeightsFromBasicLSTMCell(
  kernel: unknown,
  bias: unknown,
  forgetBias: number,
  context: string,
): CanonicalWeights {
  assertMatrix(kernel, 'kernel', context);
  const hiddenSize = gateWidth(kernel, 'kernel', context);
  const rows = kernel.shape[0];
  if (rows <= hiddenSize) {
    throw new RnnShapeError(
      context,
      `kernel [in + H, 4H] with in ≥ 1 (H = ${hiddenSize} from its ${4 * hiddenSize} columns, so more than ${hiddenSize} rows)`,
      `shape ${formatShape(kernel.shape)}`,
    );
  }
  expectShape(bias, [4 * hiddenSize], 'bias [4H]', context);
  const inputSize = rows - hiddenSize;
  const weights = tf.tidy(() => [
    permuteColumnBlocks(kernel, CANONICAL_FROM_BASIC, 0, inputSize),
    permuteColumnBlocks(kernel, CANONICAL_FROM_BASIC, inputSize),
    canonicalBias(bias, forgetBias),
  ] as CanonicalWeights['weights']);
  return { inputSize, hiddenSize, weights };
}

/** The canonical weights of a split kernel: inputKernel [in, 4H], recurrentKernel [H, 4H], bias [4H]. */
function canonicalWeightsFromHalves(
  inputKernel: unknown,
  recurrentKernel: unknown,
  bias: unknown,
  forgetBias: number,
  context: string,
): CanonicalWeights {
  const hiddenSize = gateWidth(recurrentKernel, 'recurrentKernel', context);
  expectShape(recurrentKernel, [hiddenSize, 4 * hiddenSize], 'recurrentKernel [H, 4H]', context);
  assertMatrix(inputKernel, 'inputKernel', context);
  expectShape(inputKernel, [inputKernel.shape[0], 4 * hiddenSize], 'inputKernel [in, 4H]', context);
  expectShape(bias, [4 * hiddenSize], 'bias [4H]', context);
  const weights = tf.tidy(() => [
    permuteColumnBlocks(inputKernel, CANONICAL_FROM_BASIC),
    permuteColumnBlocks(recurrentKernel as tf.Tensor2D, CANONICAL_FROM_BASIC),
    canonicalBias(bias, forgetBias),
  ] as CanonicalWeights['weights']);
  return { inputSize: inputKernel.shape[0], hiddenSize, weights };
}

/** Gate block g of the canonical layout (i, f, g, o) is block CANONICAL_FROM_BASIC[g] of (i, j, f, o). */
const CANONICAL_FROM_BASIC = [0, 2, 1, 3];

/** Bias blocks (i, j, f, o) → (i, f, j, o), the forget bias added to b_f. Call inside a tidy. */
function canonicalBias(bias: tf.Tensor, forgetBias: number): tf.Tensor {
  const [bi, bj, bf, bo] = tf.split(bias, 4);
  return tf.concat([bi, tf.add(bf, forgetBias), bj, bo]);
}

/**
 * forgetBias as the number to fold: a finite number, or a constant scalar tensor (Magenta passes
 * `tf.scalar(1)`), read once. A tf.Variable is refused (see the file comment).
 */
function foldableForgetBias(forgetBias: unknown, context: string): number {
  if (isTensor(forgetBias)) {
    if ('trainable' in forgetBias && typeof (forgetBias as { assign?: unknown }).assign === 'function') {
      const trainable = (forgetBias as { trainable: boolean }).trainable;
      throw new TypeError(
        `${context}: forgetBias is a tf.Variable${trainable ? ' (trainable)' : ''}. Folding it into the forget-gate ` +
          'bias turns one shared scalar into a per-unit constant: its own gradient (the sum over units) and ' +
          'any later assign() would no longer reach the cell, so training would change. Pass a number (its ' +
          'current value) if it is never trained, or keep tf.basicLSTMCell for this cell.',
      );
    }
    assertFloatTensor(forgetBias, context, 'forgetBias');
    if (forgetBias.size !== 1) {
      throw new RnnShapeError(context, 'forgetBias to be a number or a scalar tensor', `shape ${formatShape(forgetBias.shape)}`);
    }
    return finiteForgetBias(forgetBias.dataSync()[0], context);
  }
  if (typeof forgetBias !== 'number') {
    throw new TypeError(`${context}: forgetBias must be a finite number (or a constant scalar tensor), got ${typeof forgetBias}.`);
  }
  return finiteForgetBias(forgetBias, context);
}

function finiteForgetBias(value: number, context: string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${context}: forgetBias must be a finite number, got ${value}.`);
  return value;
}

/** H from a [rows, 4H] matrix: its column count must be a positive multiple of 4 (gates i, j, f, o). */
function gateWidth(matrix: unknown, what: string, context: string): number {
  assertMatrix(matrix, what, context);
  const columns = matrix.shape[1];
  if (columns === 0 || columns % 4 !== 0) {
    throw new RnnShapeError(
      context,
      `${what} with 4H columns (gate blocks i, j, f, o), a positive multiple of 4`,
      `shape ${formatShape(matrix.shape)}`,
    );
  }
  return columns / 4;
}

function assertMatrix(value: unknown, what: string, context: string): asserts value is tf.Tensor2D {
  assertFloatTensor(value, context, what);
  if (value.rank !== 2) throw new RnnShapeError(context, `${what} of rank 2`, `shape ${formatShape(value.shape)}`);
}

function expectShape(value: unknown, shape: number[], what: string, context: string): asserts value is tf.Tensor {
  assertFloatTensor(value, context, what.split(' ')[0]);
  if (!tf.util.arraysEqual(value.shape, shape)) {
    throw new RnnShapeError(context, `${what} = ${formatShape(shape)}`, `shape ${formatShape(value.shape)}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
