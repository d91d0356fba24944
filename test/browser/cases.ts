/**
 * The layer cases shared by the browser tests: one per cell kind, with weights and inputs built
 * from seeded arrays so that every backend computes on identical numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRU, LSTM, RNN, type Recurrence } from '../../src/index.js';
import { CELL_KINDS, type CellKind, type RecurrentActivation } from '../../src/runtime/kernels/cell_table.js';
import { seeded } from './backends.js';

export { CELL_KINDS, type CellKind };

export interface LayerCase {
  kind: CellKind;
  batch: number;
  time: number;
  inputSize: number;
  hidden: number;
  timeMajor?: boolean;
  reverse?: boolean;
  /** Rows' valid lengths (right padding) and one hole, or none. */
  masked?: boolean;
  activation?: 'tanh' | 'relu' | 'linear';
  /** LSTM / GRU gates (default sigmoid). */
  recurrentActivation?: RecurrentActivation;
  /** GRU: false for the reset-before GRU (bias [3H]). */
  resetAfter?: boolean;
}

export function label(c: LayerCase): string {
  const flags = [c.timeMajor && 'timeMajor', c.reverse && 'reverse', c.masked && 'mask', c.activation, c.recurrentActivation, c.resetAfter === false && 'resetBefore']
    .filter(Boolean)
    .join('+');
  return `${c.kind} b${c.batch} t${c.time} in${c.inputSize} h${c.hidden}${flags ? ` ${flags}` : ''}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLayer = Recurrence<any>;

/** A layer of the case's kind with deterministic weights. */
export function buildLayer(c: LayerCase): AnyLayer {
  const opts = { timeMajor: c.timeMajor ?? false, reverse: c.reverse ?? false };
  const layer: AnyLayer =
    c.kind === 'lstm'
      ? new LSTM(c.inputSize, c.hidden, { ...opts, activation: c.activation, recurrentActivation: c.recurrentActivation })
      : c.kind === 'gru'
        ? new GRU(c.inputSize, c.hidden, { ...opts, activation: c.activation, recurrentActivation: c.recurrentActivation, resetAfter: c.resetAfter })
        : new RNN(c.inputSize, c.hidden, { ...opts, activation: c.activation ?? 'tanh' });
  // getWeights hands out the variables themselves: read their shapes, do not dispose them.
  const shapes = layer.cell.getWeights().map((w: tf.Tensor) => w.shape);
  const weights = shapes.map((shape: number[], i: number) =>
    tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), 17 + i, 0.5), shape),
  );
  layer.cell.setWeights(weights);
  tf.dispose(weights);
  return layer;
}

export function inputOf(c: LayerCase): tf.Tensor3D {
  const shape: [number, number, number] = c.timeMajor
    ? [c.time, c.batch, c.inputSize]
    : [c.batch, c.time, c.inputSize];
  return tf.tensor3d(seeded(c.batch * c.time * c.inputSize, 5, 1), shape);
}

/** [batch, time] 0/1: row b is valid for its first time − b steps, and row 0 has a hole at t = 1. */
export function maskOf(c: LayerCase): tf.Tensor2D | undefined {
  if (!c.masked) return undefined;
  const values = new Float32Array(c.batch * c.time);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < c.time; t++) values[b * c.time + t] = t < c.time - b ? 1 : 0;
  }
  if (c.time > 2) values[1] = 0;
  return tf.tensor2d(values, [c.batch, c.time]);
}

/** A fixed non-zero initial carry, so that dh0/dc0 are exercised. */
export function carryOf(c: LayerCase): Record<string, tf.Tensor2D> {
  const h = tf.tensor2d(seeded(c.batch * c.hidden, 99, 0.3), [c.batch, c.hidden]);
  if (c.kind !== 'lstm') return { h };
  return { h, c: tf.tensor2d(seeded(c.batch * c.hidden, 77, 0.3), [c.batch, c.hidden]) };
}

/**
 * Forward and backward of one case on the active backend: the outputs, the final carry, and
 * the gradients of a weighted sum of them with respect to x, the initial carry and every weight.
 */
export async function forwardAndGradients(c: LayerCase): Promise<{ forward: Float32Array[]; grads: Float32Array[] }> {
  const layer = buildLayer(c);
  const x = inputOf(c);
  const mask = maskOf(c);
  const carry = carryOf(c);
  const carryKeys = Object.keys(carry);
  const forward = tf.tidy(() => {
    const { output, carry: out } = layer.apply(x, carry, mask ? { mask } : {});
    return [output, ...carryKeys.map((k) => out[k])];
  });
  const outputWeights = tf.tensor(seeded(forward[0].size, 3, 1), forward[0].shape);
  const variables = layer.trainableVariables();
  const lossOf = (xIn: tf.Tensor, ...carryIn: tf.Tensor[]) => {
    const given = Object.fromEntries(carryKeys.map((k, i) => [k, carryIn[i]]));
    const { output, carry: out } = layer.apply(xIn as tf.Tensor3D, given, mask ? { mask } : {});
    let loss = tf.sum(tf.mul(output, outputWeights));
    carryKeys.forEach((k, i) => {
      loss = tf.add(loss, tf.mul(tf.sum(out[k]), 0.5 + i));
    });
    return loss as tf.Scalar;
  };
  const inputGrads = tf.grads(lossOf)([x, ...carryKeys.map((k) => carry[k])]);
  const { grads: weightGrads } = tf.variableGrads(() => lossOf(x, ...carryKeys.map((k) => carry[k])), variables);
  const grads = [...inputGrads, ...variables.map((v: tf.Variable) => weightGrads[v.name])];
  const result = { forward: await readAll(forward), grads: await readAll(grads) };
  tf.dispose([x, mask, outputWeights, ...Object.values(carry), ...Object.values(weightGrads)].filter(Boolean) as tf.Tensor[]);
  layer.dispose();
  return result;
}

async function readAll(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  return values;
}
