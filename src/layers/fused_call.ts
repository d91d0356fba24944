/**
 * What the drop-in layers run instead of tf.layers' per-step loop: the whole sequence through the
 * runtime's sequence op (one recorded kernel with the fused BPTT gradient for the default cells),
 * with tf.layers' semantics around it (RNN.call in tfjs-layers' recurrent.ts):
 * - the initial state: kwargs.initialState, else the stored state (stateful), else zeros; a
 *   stateful layer stores its final state after the call (RNN.resetStates(states, training));
 * - goBackwards: the input (and mask) reversed, outputs in processing order;
 * - masks: a masked step keeps the carry and (unlike our runtime, which outputs zeros) repeats
 *   the previous output, h0 before the first valid step;
 * - returnSequences / returnState: [output, ...states], LSTM states [h, c];
 * - dropout (training only): one [batch, features] mask on the input for every step, as tf.layers
 *   applies it (tf.layers uses the first of its per-gate masks for every gate). recurrentDropout
 *   in training is refused: it would need the mask inside the recurrence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GateActivation, RnnActivation } from '../runtime/index.js';
import { gruSequence, lstmSequence, rnnSequence } from '../runtime/kernels/ops.js';
import type { Kwargs, LayerVariable } from './tfjs_layers_classes.js';

export type LayerKind = 'LSTM' | 'GRU' | 'SimpleRNN';

export interface Variant {
  activation: RnnActivation;
  recurrentActivation?: GateActivation;
  resetAfter?: boolean;
}

/** The parts of a tf.layers RNN layer and its cell that the call reads. */
export interface RecurrentLayerState {
  readonly name: string;
  readonly cell: {
    kernel: LayerVariable;
    recurrentKernel: LayerVariable;
    bias: LayerVariable | null;
    units: number;
    dropout: number;
    recurrentDropout: number;
    dropoutFunc?: (ones: tf.Tensor, rate: number) => tf.Tensor;
  };
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  resetStates(states?: tf.Tensor | tf.Tensor[], training?: boolean): void;
}

const GATES: Record<LayerKind, number> = { LSTM: 4, GRU: 3, SimpleRNN: 1 };

function only(inputs: tf.Tensor | tf.Tensor[], name: string): tf.Tensor3D {
  if (!Array.isArray(inputs)) return inputs as tf.Tensor3D;
  if (inputs.length !== 1) throw new Error(`${name}: expected one input tensor, got ${inputs.length}.`);
  return inputs[0] as tf.Tensor3D;
}

function checkDropout(layer: RecurrentLayerState, kind: LayerKind, training: boolean): void {
  if (training && layer.cell.recurrentDropout > 0) {
    throw new Error(
      `${layer.name}: recurrentDropout ${layer.cell.recurrentDropout} is not supported in training by rnn-migrate/layers ` +
        `(the fused ${kind} kernels have no per-step recurrent mask); use recurrentDropout: 0, or tf.layers.${kind === 'SimpleRNN' ? 'simpleRNN' : kind.toLowerCase()} for this layer.`,
    );
  }
}

/** x ⊙ one dropout mask [batch, features] for every step, drawn as tf.layers draws it. */
function dropInput(layer: RecurrentLayerState, x: tf.Tensor3D): tf.Tensor3D {
  const rate = layer.cell.dropout;
  const ones = tf.ones([x.shape[0], x.shape[2]]);
  const mask = layer.cell.dropoutFunc ? layer.cell.dropoutFunc(ones, rate) : tf.dropout(ones, rate);
  return tf.mul(x, tf.expandDims(mask, 1));
}

/**
 * tf.layers' masked outputs from ours: at each step the output of the last valid step so far
 * (h0 when none), selected by a one-hot over [h0, output_0 … output_{T−1}].
 */
function repeatLastValidOutput(output: tf.Tensor3D, mask: tf.Tensor2D, h0: tf.Tensor2D): tf.Tensor3D {
  const time = output.shape[1];
  const stepNumbers = tf.mul(mask, tf.range(1, time + 1)); // [batch, time]: t + 1 where valid, else 0
  const upToT = tf.linalg.bandPart(tf.ones([time, time]), -1, 0); // [t, s]: 1 where s ≤ t
  const lastValid = tf.max(tf.mul(tf.expandDims(stepNumbers, 1), upToT), 2); // [batch, time]
  const select = tf.oneHot(tf.cast(lastValid, 'int32'), time + 1); // [batch, time, time + 1]
  return tf.matMul(select, tf.concat([tf.expandDims(h0, 1), output], 1));
}

function runSequence(kind: LayerKind, variant: Variant, x: tf.Tensor3D, states: tf.Tensor2D[], weights: Weights, mask?: tf.Tensor2D) {
  if (kind === 'LSTM') {
    const { output, h, c } = lstmSequence({ x, h0: states[0], c0: states[1], ...weights, bias: weights.bias as tf.Tensor1D, mask, ...variant });
    return { output, states: [h, c] };
  }
  if (kind === 'GRU') {
    const { output, h } = gruSequence({ x, h0: states[0], ...weights, mask, ...variant });
    return { output, states: [h] };
  }
  const { output, h } = rnnSequence({ x, h0: states[0], ...weights, bias: weights.bias as tf.Tensor1D, mask, activation: variant.activation });
  return { output, states: [h] };
}

interface Weights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor;
}

function readWeights(layer: RecurrentLayerState, kind: LayerKind, variant: Variant): Weights {
  const { kernel, recurrentKernel, bias, units } = layer.cell;
  const width = GATES[kind] * units;
  return {
    kernel: kernel.read() as tf.Tensor2D,
    recurrentKernel: recurrentKernel.read() as tf.Tensor2D,
    // useBias: false computes with a zero bias of the shape the kernels take.
    bias: bias ? bias.read() : tf.zeros(variant.resetAfter ? [2, width] : [width]),
  };
}

/** RNN.call of tfjs-layers, on the runtime's sequence ops. */
export function fusedCall(
  layer: RecurrentLayerState,
  kind: LayerKind,
  variant: Variant,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Kwargs,
): tf.Tensor | tf.Tensor[] {
  return tf.tidy(() => {
    const training = Boolean(kwargs?.training);
    checkDropout(layer, kind, training);
    let x = only(inputs, layer.name);
    const given = kwargs?.initialState as tf.Tensor[] | undefined;
    const stored = layer.stateful ? (layer as unknown as { states_: tf.Tensor[] | null }).states_ : null;
    // Zeros of their own rather than tf.layers' getInitialState(x), which derives them from x and so
    // puts x on the gradient path (the backward would then compute dx for nothing).
    const zeros = () => Array.from({ length: kind === 'LSTM' ? 2 : 1 }, () => tf.zeros([x.shape[0], layer.cell.units]));
    const initial = (given ?? stored ?? zeros()) as tf.Tensor2D[];
    const numStates = kind === 'LSTM' ? 2 : 1;
    if (initial.length !== numStates) {
      throw new Error(`${layer.name}: RNN Layer has ${numStates} state(s) but was passed ${initial.length} initial state(s).`);
    }
    const rawMask = kwargs?.mask as tf.Tensor | undefined;
    let mask = rawMask == null ? undefined : (tf.cast(tf.cast(rawMask, 'bool'), 'float32') as tf.Tensor2D);
    if (layer.goBackwards) {
      x = tf.reverse(x, 1);
      if (mask) mask = tf.reverse(mask, 1);
    }
    if (training && layer.cell.dropout > 0) x = dropInput(layer, x);
    const { output, states } = runSequence(kind, variant, x, initial, readWeights(layer, kind, variant), mask);
    if (layer.stateful) layer.resetStates(states, training);
    let result: tf.Tensor = states[0];
    if (layer.returnSequences) result = mask ? repeatLastValidOutput(output, mask, initial[0]) : output;
    return layer.returnState ? [result, ...states] : result;
  });
}
