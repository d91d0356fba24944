/**
 * Weights of a tf.layers recurrent layer (tf.layers.lstm, tf.layers.simpleRNN, or a layer loaded
 * from a Keras model) into a cell or sequence layer of ours. The canonical layout *is* the
 * tf.layers layout, so the weights move unchanged; what is checked is that the layer computes
 * the same equations:
 * - LSTM: activation 'tanh' and recurrentActivation 'sigmoid'. tf.layers defaults to
 *   'hardSigmoid', a different function, which our cells never use (Keras in Python and PyTorch
 *   use the logistic sigmoid): build the layer with `recurrentActivation: 'sigmoid'`.
 * - SimpleRNN: activation 'tanh', 'relu' or 'linear'.
 * - GRU: tf.layers only implements `resetAfter: false` (the reset gate multiplies h before the
 *   recurrent matmul), a different equation from ours (reset after, the PyTorch / cuDNN / Keras 2+
 *   default) that no weight mapping turns into the other; it is refused with that explanation.
 *   A Keras GRU saved with reset_after=True has weights [kernel, recurrent_kernel, bias [2, 3H]]
 *   in exactly our layout: `new GRUCell(in, H).setWeights(weights)`.
 * Dropout and statefulness are training/runtime settings, not weights: they are not carried over.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LSTMCell } from '../cells/lstm_cell.js';
import { RNNCell } from '../cells/rnn_cell.js';
import { RNN_ACTIVATIONS, type RnnActivation } from '../kernels/cell_table.js';
import { LSTM, RNN } from '../recurrence.js';

/** The part of a tf.layers RNN layer that is read (structural, so tfjs-layers stays optional). */
export interface LayersRecurrentLayer {
  getClassName(): string;
  getConfig(): { [key: string]: unknown };
  getWeights(): tf.Tensor[];
}

type Imported =
  | { kind: 'lstm'; units: number; inputSize: number; config: { [key: string]: unknown }; weights: tf.Tensor[] }
  | {
      kind: 'rnn';
      units: number;
      inputSize: number;
      activation: RnnActivation;
      config: { [key: string]: unknown };
      weights: tf.Tensor[];
    };

const CONTEXT = 'fromLayersLayer';

function isRnnActivation(name: string): name is RnnActivation {
  return (RNN_ACTIVATIONS as readonly string[]).includes(name);
}

function readLayer(layer: LayersRecurrentLayer): Imported {
  if (typeof layer?.getClassName !== 'function' || typeof layer.getConfig !== 'function') {
    throw new TypeError(`${CONTEXT}: expected a tf.layers layer (tf.layers.lstm / simpleRNN), got ${String(layer)}.`);
  }
  const className = layer.getClassName();
  const config = layer.getConfig();
  const units = config.units as number;
  const activation = String(config.activation);
  if (className === 'GRU' || className === 'GRUCell') {
    throw new TypeError(
      `${CONTEXT}: a tf.layers GRU computes resetAfter: false (reset gate before the recurrent matmul), ` +
        'which GRUCell (reset after, as PyTorch and Keras 2+) cannot represent. Import the weights of a ' +
        'reset_after=True Keras GRU with new GRUCell(inputSize, hiddenSize).setWeights([kernel, recurrentKernel, bias]).',
    );
  }
  if (className !== 'LSTM' && className !== 'SimpleRNN') {
    throw new TypeError(`${CONTEXT}: expected an LSTM or SimpleRNN layer, got ${className}.`);
  }
  const weights = layer.getWeights();
  if (weights.length === 0) {
    throw new TypeError(`${CONTEXT}: the ${className} layer has no weights yet: build it first (apply it once, or model.build).`);
  }
  const inputSize = weights[0].shape[0];
  if (className === 'LSTM') {
    if (activation !== 'tanh' || config.recurrentActivation !== 'sigmoid') {
      throw new TypeError(
        `${CONTEXT}: LSTMCell computes activation 'tanh' and recurrentActivation 'sigmoid', the layer has ` +
          `activation '${activation}' and recurrentActivation '${String(config.recurrentActivation)}'. ` +
          "(tf.layers defaults to 'hardSigmoid': create the layer with recurrentActivation: 'sigmoid'.)",
      );
    }
    return { kind: 'lstm', units, inputSize, config, weights };
  }
  if (!isRnnActivation(activation)) {
    throw new TypeError(`${CONTEXT}: RNNCell supports activation ${RNN_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, the layer has '${activation}'.`);
  }
  return { kind: 'rnn', units, inputSize, activation, config, weights };
}

/**
 * Moves the layer's [kernel, recurrentKernel, bias] into the cell (a zero bias for useBias: false).
 * setWeights shares the layer's data, reference counted: no copy, and either side may be disposed.
 * A failure disposes `owner` (the new cell or layer), so nothing leaks.
 */
function moveWeights(imported: Imported, cell: LSTMCell | RNNCell, owner: { dispose(): void }): void {
  const zeroBias = imported.weights.length === 2 ? tf.zerosLike(cell.bias) : null;
  try {
    cell.setWeights(zeroBias ? [...imported.weights, zeroBias] : imported.weights);
  } catch (error) {
    owner.dispose();
    throw error;
  } finally {
    zeroBias?.dispose();
  }
}

/** A cell (LSTMCell or RNNCell) with the weights of a tf.layers LSTM or SimpleRNN layer. */
export function cellFromLayersLayer(layer: LayersRecurrentLayer): LSTMCell | RNNCell {
  const imported = readLayer(layer);
  const cell =
    imported.kind === 'lstm'
      ? new LSTMCell(imported.inputSize, imported.units)
      : new RNNCell(imported.inputSize, imported.units, { activation: imported.activation });
  moveWeights(imported, cell, cell);
  return cell;
}

/**
 * A sequence layer (LSTM or RNN) equivalent to a tf.layers LSTM / SimpleRNN layer: its weights,
 * returnSequences, and goBackwards as `reverse`. Note the output order: Keras' goBackwards returns
 * the outputs in processing order (reversed), ours keep output[t] aligned with x[t]
 * (`tf.reverse(ours, 1)` gives Keras').
 */
export function fromLayersLayer(layer: LayersRecurrentLayer): LSTM | RNN {
  const imported = readLayer(layer);
  const options = {
    returnSequences: Boolean(imported.config.returnSequences),
    reverse: Boolean(imported.config.goBackwards),
  };
  const sequenceLayer =
    imported.kind === 'lstm'
      ? new LSTM(imported.inputSize, imported.units, options)
      : new RNN(imported.inputSize, imported.units, { ...options, activation: imported.activation });
  moveWeights(imported, sequenceLayer.cell, sequenceLayer);
  return sequenceLayer;
}
