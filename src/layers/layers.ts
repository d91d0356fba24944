/**
 * Drop-in tf.layers recurrent layers on rnn-migrate's runtime: subclasses of tf.layers' own LSTM,
 * GRU and SimpleRNN, so construction arguments, defaults (hard-sigmoid gates, reset-before GRU),
 * weights (names, shapes, initialisers), getConfig / fromConfig, states and resetStates are
 * theirs; only `call` differs: the whole sequence runs through the runtime's sequence op
 * (fused_call.ts) instead of a per-step loop, and the default orthogonal recurrent initialiser
 * computes the same matrices on the host (host_orthogonal.ts) instead of through tf.linalg.qr.
 * Their class names stay 'LSTM', 'GRU', 'SimpleRNN', so a saved model loads as tf.layers' layers
 * anywhere, and as these after register().
 */
import type * as tf from '@tensorflow/tfjs-core';
import { activationsFromLayersConfig } from '../runtime/importers/layers.js';
import { fusedCall, type LayerKind, type RecurrentLayerState, type Variant } from './fused_call.js';
import { useHostOrthogonal } from './host_orthogonal.js';
import {
  LayersGRU,
  LayersGRUCell,
  LayersLSTM,
  LayersSimpleRNN,
  type GRULayerArgs,
  type Initializer,
  type Kwargs,
  type LSTMLayerArgs,
  type SimpleRNNLayerArgs,
} from './tfjs_layers_classes.js';

type Shape = Array<number | null>;

interface LayerCell {
  recurrentInitializer: Initializer;
  activation: { getClassName(): string };
  recurrentActivation?: { getClassName(): string };
  resetAfter?: boolean;
}

/** The variant the cell's activations (and a GRU cell's form) make; an error when ours has none. */
function variantOf(kind: LayerKind, cell: LayerCell): Variant {
  const activations = activationsFromLayersConfig(
    kind,
    { activation: cell.activation.getClassName(), recurrentActivation: cell.recurrentActivation?.getClassName() },
    `rnn-migrate/layers ${kind}`,
  );
  return kind === 'GRU' ? { ...activations, resetAfter: Boolean(cell.resetAfter) } : activations;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern's constructor type
type RecurrentLayerClass = new (...args: any[]) => { readonly cell: unknown; call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] };

/**
 * tf.layers' layer class `Base` whose `call` runs the sequence through fusedCall; the variant is
 * checked at construction (refused when ours has none) and read from the cell at each call.
 */
function fusedLayer<Base extends RecurrentLayerClass>(Base: Base, kind: LayerKind) {
  return class extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern's constructor type
    constructor(...args: any[]) {
      super(...args);
      variantOf(kind, this.cell as LayerCell);
      useHostOrthogonal(this.cell as LayerCell);
    }

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
      return fusedCall(this as unknown as RecurrentLayerState, kind, variantOf(kind, this.cell as LayerCell), inputs, kwargs);
    }
  };
}

export class FusedLSTM extends fusedLayer(LayersLSTM, 'LSTM') {
  constructor(args: LSTMLayerArgs) {
    super({ ...args });
  }
}

export interface FusedGRULayerArgs extends GRULayerArgs {
  /** false (default, as tf.layers): reset before the recurrent matmul, bias [3H]; true: Keras reset_after=True, bias [2, 3H]. */
  resetAfter?: boolean;
}

/** tf.layers' GRUCell, plus the reset-after form's [2, 3H] bias and config (tf.layers' refuses it). */
class FusedGRUCell extends LayersGRUCell {
  readonly resetAfter: boolean;

  constructor(args: FusedGRULayerArgs) {
    super({ ...args, resetAfter: false });
    this.resetAfter = Boolean(args.resetAfter);
  }

  override build(inputShape: Shape | Shape[]): void {
    if (!this.resetAfter) return super.build(inputShape);
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const width = 3 * this.units;
    this.kernel = this.addWeight('kernel', [shape[shape.length - 1]!, width], undefined, this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, width], undefined, this.recurrentInitializer, this.recurrentRegularizer, true, this.recurrentConstraint);
    // Keras' layout: row 0 the input bias, row 1 the recurrent bias.
    if (this.useBias) this.bias = this.addWeight('bias', [2, width], undefined, this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), resetAfter: this.resetAfter };
  }
}

export class FusedGRU extends fusedLayer(LayersGRU, 'GRU') {
  constructor(args: FusedGRULayerArgs) {
    super({ ...args, resetAfter: false } as GRULayerArgs);
    // tf.layers' GRU built a reset-before cell; ours replaces it before anything is built.
    const cell = new FusedGRUCell(args);
    useHostOrthogonal(cell);
    (this as { cell: unknown }).cell = cell;
  }
}

export class FusedSimpleRNN extends fusedLayer(LayersSimpleRNN, 'SimpleRNN') {
  constructor(args: SimpleRNNLayerArgs) {
    super({ ...args });
  }
}

/** tf.layers.lstm's arguments and defaults, on the fused kernels. */
export function lstm(args: LSTMLayerArgs): FusedLSTM {
  return new FusedLSTM(args);
}

/** tf.layers.gru's arguments and defaults (resetAfter false), plus resetAfter: true. */
export function gru(args: FusedGRULayerArgs): FusedGRU {
  return new FusedGRU(args);
}

/** tf.layers.simpleRNN's arguments and defaults, on the fused kernels. */
export function simpleRNN(args: SimpleRNNLayerArgs): FusedSimpleRNN {
  return new FusedSimpleRNN(args);
}
