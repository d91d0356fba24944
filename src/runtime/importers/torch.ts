/**
 * Weights trained in PyTorch (`nn.LSTM`, `nn.GRU`, `nn.RNN`, and the `*Cell` modules) into the
 * canonical layout. A state dict is read key by key, as `module.state_dict()` names them:
 *   weight_ih_l{k}[_reverse] [G·H, in], weight_hh_l{k}[_reverse] [G·H, H],
 *   bias_ih_l{k}[_reverse] [G·H], bias_hh_l{k}[_reverse] [G·H]   (cells: weight_ih, … without suffix)
 * Values may be tensors or nested arrays (e.g. `{k: v.tolist() for k, v in sd.items()}` as JSON).
 *
 * Mapping: our kernels are PyTorch's transposed. LSTM gates i, f, g, o are in the same order, and
 * LSTM and RNN add the two biases (the sum is all the equations see). GRU gates come as r, z, n
 * and are re-ordered to z, r, n; its two biases stay apart (bias rows 0 and 1), because the
 * recurrent one sits inside r⊙(hRn + b1n).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellOptions } from '../cells/builtin_cell.js';
import { GRUCell } from '../cells/gru_cell.js';
import { type AddInitialWeights, withInitialWeights } from '../cells/initial_weights.js';
import { LSTMCell } from '../cells/lstm_cell.js';
import { RNNCell } from '../cells/rnn_cell.js';
import { RnnShapeError, formatShape } from '../errors.js';
import { CELLS, type CellKind } from '../kernels/cell_table.js';
import { assertFloatTensor, isTensor } from '../validation.js';

export type TorchTensorLike = tf.Tensor | number | number[] | number[][];
export type TorchStateDict = { readonly [key: string]: TorchTensorLike };

export interface TorchImportOptions {
  /** Which layer of a stacked module (`num_layers > 1`): the `_l{layer}` suffix. Default 0. */
  layer?: number;
  /** The reverse direction of a bidirectional module: the `_reverse` suffix. */
  reverse?: boolean;
  /** A prefix before the parameter names, e.g. 'encoder.rnn.' for a submodule of a model. */
  prefix?: string;
}

/** The PyTorch module family: nn.LSTM / LSTMCell, nn.GRU / GRUCell, nn.RNN / RNNCell. */
export type TorchKind = CellKind;

export interface CanonicalWeights {
  inputSize: number;
  hiddenSize: number;
  /** [kernel, recurrentKernel, bias], new tensors owned by the caller. */
  weights: [tf.Tensor2D, tf.Tensor2D, tf.Tensor];
}

/**
 * The canonical weights of one layer and direction of a PyTorch recurrent module.
 * Throws RnnShapeError naming the key when a parameter is missing or has the wrong shape.
 */
export function canonicalWeightsFromTorch(
  kind: TorchKind,
  stateDict: TorchStateDict,
  options: TorchImportOptions = {},
): CanonicalWeights {
  const context = `canonicalWeightsFromTorch('${kind}')`;
  if (typeof stateDict !== 'object' || stateDict === null) {
    throw new TypeError(`${context}: stateDict must be an object of named parameters, got ${String(stateDict)}.`);
  }
  const find = (name: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr'): string | undefined => {
    const { layer = 0, reverse = false, prefix = '' } = options;
    const candidates = [`${prefix}${name}_l${layer}${reverse ? '_reverse' : ''}`];
    // nn.LSTMCell / GRUCell / RNNCell: the same parameters without the layer suffix.
    if (layer === 0 && !reverse) candidates.push(`${prefix}${name}`);
    return candidates.find((key) => key in stateDict);
  };
  const wihKey = find('weight_ih');
  const whhKey = find('weight_hh');
  if (wihKey === undefined || whhKey === undefined) {
    const { layer = 0, reverse = false, prefix = '' } = options;
    throw new RnnShapeError(
      context,
      `parameters ${prefix}weight_ih_l${layer}${reverse ? '_reverse' : ''} and ${prefix}weight_hh_l${layer}${reverse ? '_reverse' : ''}`,
      `keys ${JSON.stringify(Object.keys(stateDict))}`,
    );
  }
  if (find('weight_hr') !== undefined) {
    throw new RnnShapeError(context, 'an LSTM without projections (proj_size = 0)', `a ${find('weight_hr')} parameter`);
  }
  const { gates, biasRows } = CELLS[kind];
  return tidyWeights(() => {
    const wih = toMatrix(stateDict[wihKey], wihKey, context);
    const whh = toMatrix(stateDict[whhKey], whhKey, context);
    const hiddenSize = whh.shape[1];
    const inputSize = wih.shape[1];
    expectShape(wih, [gates * hiddenSize, inputSize], wihKey, context);
    expectShape(whh, [gates * hiddenSize, hiddenSize], whhKey, context);
    const readBias = (name: 'bias_ih' | 'bias_hh'): tf.Tensor1D => {
      const key = find(name);
      // bias=False in PyTorch: no parameter, the equations see zeros.
      if (key === undefined) return tf.zeros([gates * hiddenSize]);
      const bias = toTensor(stateDict[key], key, context);
      expectShape(bias, [gates * hiddenSize], key, context);
      return bias as tf.Tensor1D;
    };
    const bih = readBias('bias_ih');
    const bhh = readBias('bias_hh');
    // PyTorch's GRU gates r, z, n → ours z, r, n, along the gate axis (axis 0 of the torch layout).
    const reorder = <T extends tf.Tensor>(t: T): T => {
      if (kind !== 'gru') return t;
      const [r, z, n] = tf.split(t, 3, 0);
      return tf.concat([z, r, n], 0) as T;
    };
    if (biasRows === 1) {
      return { inputSize, hiddenSize, weights: [tf.transpose(reorder(wih)), tf.transpose(reorder(whh)), tf.add(reorder(bih), reorder(bhh))] };
    }
    return {
      inputSize,
      hiddenSize,
      weights: [tf.transpose(reorder(wih)), tf.transpose(reorder(whh)), tf.stack([reorder(bih), reorder(bhh)])],
    };
  });
}


/** An LSTMCell holding the weights of a PyTorch `nn.LSTM` (one layer, one direction) or `nn.LSTMCell`. */
export function lstmCellFromTorch(stateDict: TorchStateDict, options: TorchImportOptions = {}): LSTMCell {
  return withWeights(canonicalWeightsFromTorch('lstm', stateDict, options), (i, h, initial) => new LSTMCell(i, h, initial({})));
}

/** A GRUCell holding the weights of a PyTorch `nn.GRU` (one layer, one direction) or `nn.GRUCell`. */
export function gruCellFromTorch(stateDict: TorchStateDict, options: TorchImportOptions = {}): GRUCell {
  return withWeights(canonicalWeightsFromTorch('gru', stateDict, options), (i, h, initial) => new GRUCell(i, h, initial({})));
}

/**
 * An RNNCell holding the weights of a PyTorch `nn.RNN` or `nn.RNNCell`. PyTorch does not store
 * the nonlinearity in the state dict: pass the module's (default 'tanh', as PyTorch).
 */
export function rnnCellFromTorch(
  stateDict: TorchStateDict,
  options: TorchImportOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
): RNNCell {
  const activation = options.nonlinearity ?? 'tanh';
  return withWeights(
    canonicalWeightsFromTorch('rnn', stateDict, options),
    (i, h, initial) => new RNNCell(i, h, initial({ activation })),
  );
}

/** Builds a cell or layer of these sizes, passing its cell options through `initialWeights`. */
export type BuildFromWeights<TCell> = (
  inputSize: number,
  hiddenSize: number,
  initialWeights: AddInitialWeights,
) => TCell;

/**
 * Builds the cell (or layer) from the imported weights, no initialiser run, and releases the
 * caller's references to them: the cell's variables then own their data. `build` passes
 * `initialWeights` as its cell's options (initial_weights.ts).
 */
export function withWeights<TCell>(imported: CanonicalWeights, build: BuildFromWeights<TCell>): TCell {
  try {
    return build(imported.inputSize, imported.hiddenSize, (options) => withInitialWeights(options, imported.weights));
  } finally {
    tf.dispose(imported.weights);
  }
}

function tidyWeights(fn: () => CanonicalWeights): CanonicalWeights {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as CanonicalWeights;
}

function toTensor(value: TorchTensorLike | undefined, key: string, context: string): tf.Tensor {
  if (isTensor(value)) {
    assertFloatTensor(value, context, key);
    return value;
  }
  if (typeof value === 'number' || Array.isArray(value)) return tf.tensor(value, undefined, 'float32');
  throw new TypeError(`${context}: ${key} must be a tf.Tensor or a nested array of numbers, got ${typeof value}.`);
}

function toMatrix(value: TorchTensorLike | undefined, key: string, context: string): tf.Tensor2D {
  const tensor = toTensor(value, key, context);
  if (tensor.rank !== 2) throw new RnnShapeError(context, `${key} of rank 2`, `shape ${formatShape(tensor.shape)}`);
  return tensor as tf.Tensor2D;
}

function expectShape(tensor: tf.Tensor, shape: number[], key: string, context: string): void {
  if (!tf.util.arraysEqual(tensor.shape, shape)) {
    throw new RnnShapeError(context, `${key} of shape ${formatShape(shape)}`, `shape ${formatShape(tensor.shape)}`);
  }
}
