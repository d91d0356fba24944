/**
 * tf.layers recurrent layers (tf.layers.lstm / gru / simpleRNN, tf.layers.bidirectional over them,
 * or layers loaded from a Keras model) into cells and sequence layers of ours. The canonical
 * layout *is* the tf.layers layout, so the weights move unchanged; the configuration maps onto
 * the cell options (DESIGN.md "Variants"):
 * - activation 'tanh' | 'relu' | 'linear', recurrentActivation 'sigmoid' | 'hardSigmoid' (the
 *   tf.layers default), GRU resetAfter (tf.layers: always false, bias [3H]; a Keras
 *   reset_after=True GRU: bias [2, 3H]); useBias: false becomes a zero bias.
 * - returnSequences carries over; goBackwards becomes `reverse` (ours keep output[t] aligned with
 *   x[t]; Keras lists them in processing order: `tf.reverse(ours, 1)` gives Keras').
 * - Initializers (unitForgetBias included) only shaped the weights, which are copied.
 * - stateful / returnState: our layers are stateless and always return the carry.
 * - dropout / recurrentDropout > 0: tf.layers applies them only in training, and our layers have
 *   none, so the imported layer computes the layer's inference numbers. That is refused unless
 *   asked for with `{ ignoreDropout: true }`, so that nobody trains without the dropout unaware.
 * Anything else (another activation, a Bidirectional without a merge mode) is refused naming it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bidirectional, type MergeMode } from '../bidirectional.js';
import type { GateActivation } from '../cells/gated_options.js';
import { GRUCell } from '../cells/gru_cell.js';
import { type AddInitialWeights, withInitialWeights } from '../cells/initial_weights.js';
import { LSTMCell } from '../cells/lstm_cell.js';
import { RNNCell, type RnnActivation } from '../cells/rnn_cell.js';
import { weightShapes } from '../kernels/cell_table.js';
import { GRU, LSTM, RNN, type RecurrenceOptions } from '../recurrence.js';

/** The part of a tf.layers RNN layer that is read (structural, so tfjs-layers stays optional). */
export interface LayersRecurrentLayer {
  getClassName(): string;
  getConfig(): { [key: string]: unknown };
  getWeights(): tf.Tensor[];
}

/**
 * The part of a tf.layers Bidirectional layer that is typed: its public mergeMode. Its
 * forwardLayer and backwardLayer are read too (private in tfjs-layers' typings, public in fact).
 */
export interface LayersBidirectionalLayer extends LayersRecurrentLayer {
  mergeMode: string | null | undefined;
}

interface BidirectionalInternals {
  forwardLayer: LayersRecurrentLayer;
  backwardLayer: LayersRecurrentLayer;
}

export interface FromLayersOptions {
  /** Import a layer with dropout / recurrentDropout > 0 as its inference-time computation. */
  ignoreDropout?: boolean;
}

type Kind = 'lstm' | 'gru' | 'rnn';
interface Imported {
  kind: Kind;
  className: string;
  units: number;
  inputSize: number;
  cellOptions: { activation: RnnActivation; recurrentActivation?: GateActivation; resetAfter?: boolean };
  config: { [key: string]: unknown };
  weights: tf.Tensor[];
}

const CONTEXT = 'fromLayersLayer';
const KINDS: Record<string, Kind> = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'rnn' };
/** tf.layers cells (tf.layers.lstmCell / gruCell / simpleRNNCell): the same config and weights as their layers. */
const CELL_KINDS: Record<string, Kind> = { LSTMCell: 'lstm', GRUCell: 'gru', SimpleRNNCell: 'rnn' };
const LAYER_CLASS: Record<Kind, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'SimpleRNN' };
const ACTIVATIONS: Record<string, RnnActivation> = { tanh: 'tanh', relu: 'relu', linear: 'linear' };
// Keras JSON may carry the Python spelling.
const GATE_ACTIVATIONS: Record<string, GateActivation> = {
  sigmoid: 'sigmoid',
  hardSigmoid: 'hardSigmoid',
  hard_sigmoid: 'hardSigmoid',
};

function mapActivation<T>(table: Record<string, T>, value: unknown, className: string, option: string, context: string): T {
  const name = String(value);
  if (!Object.hasOwn(table, name)) {
    const allowed = [...new Set(Object.values(table))].map((a) => `'${String(a)}'`).join(', ');
    throw new TypeError(`${context}: the ${className} layer's ${option} '${name}' has no rnn-migrate equivalent (supported: ${allowed}).`);
  }
  return table[name];
}

/**
 * The cell options of a tf.layers / Keras LSTM, GRU or SimpleRNN configuration's activations
 * (tf.layers' names, or Keras' Python spelling), refused naming the option when ours have none.
 */
export function activationsFromLayersConfig(
  className: string,
  config: { activation?: unknown; recurrentActivation?: unknown },
  context: string,
): { activation: RnnActivation; recurrentActivation?: GateActivation } {
  const activation = mapActivation(ACTIVATIONS, config.activation, className, 'activation', context);
  if (className === 'SimpleRNN') return { activation };
  return { activation, recurrentActivation: mapActivation(GATE_ACTIVATIONS, config.recurrentActivation, className, 'recurrentActivation', context) };
}

function assertLayer(layer: unknown): asserts layer is LayersRecurrentLayer {
  const candidate = layer as Partial<LayersRecurrentLayer> | null;
  if (typeof candidate?.getClassName !== 'function' || typeof candidate.getConfig !== 'function') {
    throw new TypeError(`${CONTEXT}: expected a tf.layers layer (lstm, gru, simpleRNN or bidirectional), got ${String(layer)}.`);
  }
}

function readLayer(layer: LayersRecurrentLayer, options: FromLayersOptions, acceptCells = false): Imported {
  assertLayer(layer);
  const className = layer.getClassName();
  const kind = KINDS[className] ?? (acceptCells ? CELL_KINDS[className] : undefined);
  if (!kind) {
    const expected = acceptCells ? 'an LSTM, GRU or SimpleRNN layer or cell' : 'an LSTM, GRU, SimpleRNN or Bidirectional layer';
    throw new TypeError(`${CONTEXT}: expected ${expected}, got ${className}.`);
  }
  const config = layer.getConfig();
  for (const option of ['dropout', 'recurrentDropout'] as const) {
    if (Number(config[option] ?? 0) > 0 && !options.ignoreDropout) {
      throw new TypeError(
        `${CONTEXT}: the ${className} layer has ${option} ${String(config[option])}, which rnn-migrate layers do not apply. ` +
          'Pass { ignoreDropout: true } to import what the layer computes at inference (tf.layers applies dropout only in training).',
      );
    }
  }
  const weights = layer.getWeights();
  if (weights.length === 0) {
    throw new TypeError(`${CONTEXT}: the ${className} layer has no weights yet: build it first (apply it once, or model.build).`);
  }
  const cellOptions: Imported['cellOptions'] = activationsFromLayersConfig(LAYER_CLASS[kind], config, CONTEXT);
  // A reset-after GRU has the [2, 3H] bias; without a bias, the config says which it is.
  if (kind === 'gru') cellOptions.resetAfter = weights.length === 3 ? weights[2].rank === 2 : Boolean(config.resetAfter);
  return { kind, className, units: config.units as number, inputSize: weights[0].shape[0], cellOptions, config, weights };
}

/**
 * Builds a cell or sequence layer on the layer's [kernel, recurrentKernel, bias] (a zero bias for
 * useBias: false), with no initialiser run. The cell's variables share the layer's data,
 * reference counted: no copy, and either side may be disposed (or the layer trained: an assign
 * gives the layer's variable new data, the imported cell keeps the old).
 */
function buildOnWeights<T>(imported: Imported, build: (initialWeights: AddInitialWeights) => T): T {
  const { kind, inputSize, units, cellOptions, weights } = imported;
  const zeroBias = weights.length === 2 ? tf.zeros(weightShapes(kind, inputSize, units, cellOptions).bias) : null;
  try {
    return build((options) => withInitialWeights(options, zeroBias ? [...weights, zeroBias] : weights));
  } finally {
    zeroBias?.dispose();
  }
}

/**
 * A cell (LSTMCell, GRUCell or RNNCell) with the weights and activations of a tf.layers LSTM, GRU
 * or SimpleRNN layer, or of a built tf.layers cell (lstmCell, gruCell, simpleRNNCell) stepped by hand.
 */
export function cellFromLayersLayer(layer: LayersRecurrentLayer, options: FromLayersOptions = {}): LSTMCell | GRUCell | RNNCell {
  const imported = readLayer(layer, options, true);
  const { kind, inputSize, units, cellOptions } = imported;
  return buildOnWeights(imported, (initial) =>
    kind === 'lstm'
      ? new LSTMCell(inputSize, units, initial(cellOptions))
      : kind === 'gru'
        ? new GRUCell(inputSize, units, initial(cellOptions))
        : new RNNCell(inputSize, units, initial(cellOptions)),
  );
}

function sequenceFromLayer(layer: LayersRecurrentLayer, options: FromLayersOptions): LSTM | GRU | RNN {
  const imported = readLayer(layer, options);
  const { kind, inputSize, units, cellOptions, config } = imported;
  const layerOptions: RecurrenceOptions = { returnSequences: Boolean(config.returnSequences), reverse: Boolean(config.goBackwards) };
  return buildOnWeights(imported, (initial) =>
    kind === 'lstm'
      ? new LSTM(inputSize, units, initial({ ...cellOptions, ...layerOptions }))
      : kind === 'gru'
        ? new GRU(inputSize, units, initial({ ...cellOptions, ...layerOptions }))
        : new RNN(inputSize, units, initial({ ...cellOptions, ...layerOptions })),
  );
}

const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

/**
 * tf.layers Bidirectional: its forward and backward layers, merged the same way. tf.layers
 * re-reverses the backward outputs before merging, which is what our backward layer's `reverse`
 * does, so the merged outputs are identical.
 */
function bidirectionalFromLayer(layer: LayersBidirectionalLayer, options: FromLayersOptions) {
  const mergeMode = layer.mergeMode;
  if (!MERGE_MODES.includes(mergeMode as MergeMode)) {
    throw new TypeError(
      `${CONTEXT}: the Bidirectional layer has mergeMode ${JSON.stringify(mergeMode)}; rnn-migrate's Bidirectional merges with ` +
        `${MERGE_MODES.map((m) => `'${m}'`).join(', ')}. For mergeMode null (two separate outputs), import ` +
        'layer.forwardLayer and layer.backwardLayer with fromLayersLayer: the backward one keeps its outputs aligned with x, as tf.layers returns them.',
    );
  }
  const { forwardLayer, backwardLayer } = layer as unknown as BidirectionalInternals;
  assertLayer(forwardLayer);
  assertLayer(backwardLayer);
  if (forwardLayer.getConfig().goBackwards) {
    throw new TypeError(
      `${CONTEXT}: a Bidirectional over a layer with goBackwards: true (its "forward" layer runs backwards) is not supported; ` +
        'wrap the layer with goBackwards: false.',
    );
  }
  const forward = sequenceFromLayer(forwardLayer, options);
  try {
    const backward = sequenceFromLayer(backwardLayer, options);
    return new Bidirectional(forward as LSTM, backward as LSTM, { merge: mergeMode as MergeMode });
  } catch (error) {
    forward.dispose();
    throw error;
  }
}

function isBidirectional(layer: LayersRecurrentLayer): layer is LayersBidirectionalLayer {
  return layer.getClassName() === 'Bidirectional';
}

/**
 * The blocked layer computing what a built tf.layers LSTM / GRU / SimpleRNN layer computes (see
 * the file comment for the mapping), or a `Bidirectional` for a tf.layers Bidirectional over one.
 */
export function fromLayersLayer(layer: LayersBidirectionalLayer, options?: FromLayersOptions): Bidirectional<LSTMCell | GRUCell | RNNCell>;
export function fromLayersLayer(layer: LayersRecurrentLayer, options?: FromLayersOptions): LSTM | GRU | RNN;
export function fromLayersLayer(
  layer: LayersRecurrentLayer,
  options: FromLayersOptions = {},
): LSTM | GRU | RNN | Bidirectional<LSTMCell | GRUCell | RNNCell> {
  assertLayer(layer);
  return isBidirectional(layer) ? bidirectionalFromLayer(layer, options) : sequenceFromLayer(layer, options);
}
