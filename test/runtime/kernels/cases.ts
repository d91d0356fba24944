/**
 * Random inputs and losses shared by the kernel tests: each cell's sequence and step op, fused
 * (through ops.ts and the registry) or composite (the tfjs-op implementation called directly).
 */
import { tf } from '../../helpers/backends.js';
import * as ops from '../../../src/runtime/kernels/ops.js';
import { gruSequenceComposite, gruStepComposite } from '../../../src/runtime/kernels/composite/gru.js';
import { lstmSequenceComposite, lstmStepComposite } from '../../../src/runtime/kernels/composite/lstm.js';
import { rnnSequenceComposite, rnnStepComposite } from '../../../src/runtime/kernels/composite/rnn.js';
import { CELL_KINDS, CELLS, weightShapes, type CellKind, type RecurrentActivation, type RnnActivation } from '../../../src/runtime/kernels/cell_table.js';

export type CellName = CellKind;
export const cellNames: CellName[] = CELL_KINDS;
export type Implementation = 'fused' | 'composite';

export interface SequenceCase {
  cell: CellName;
  batch: number;
  time: number;
  inputSize: number;
  hidden: number;
  timeMajor: boolean;
  reverse: boolean;
  masked: boolean;
  activation: RnnActivation;
  /** LSTM / GRU gates; absent: the default (sigmoid). */
  recurrentActivation?: RecurrentActivation;
  /** GRU; absent: the default (true, bias [2, 3H]). */
  resetAfter?: boolean;
  seed: number;
}

/** The differentiable inputs of a case, in a fixed order (c0 for LSTM only). */
export function differentiableNames(cell: CellName): string[] {
  return ['x', 'kernel', 'recurrentKernel', 'bias', ...CELLS[cell].carries.map((carry) => `${carry}0`)];
}

let seedCounter = 0;
const normal = (shape: number[], seed: number, scale = 0.5) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + seedCounter++), scale);

export function makeSequenceInputs(c: SequenceCase): { tensors: Record<string, tf.Tensor>; mask?: tf.Tensor2D } {
  seedCounter = 0;
  const shapes = weightShapes(c.cell, c.inputSize, c.hidden, { resetAfter: c.resetAfter });
  const xShape = c.timeMajor ? [c.time, c.batch, c.inputSize] : [c.batch, c.time, c.inputSize];
  const tensors: Record<string, tf.Tensor> = {
    x: normal(xShape, c.seed, 1),
    kernel: normal(shapes.kernel, c.seed),
    recurrentKernel: normal(shapes.recurrentKernel, c.seed),
    bias: normal(shapes.bias, c.seed),
    h0: normal([c.batch, c.hidden], c.seed),
  };
  if (c.cell === 'lstm') tensors.c0 = normal([c.batch, c.hidden], c.seed);
  let mask: tf.Tensor2D | undefined;
  if (c.masked) {
    // Random 0/1 with each row's first processed step valid and some rows ending early.
    const values = Array.from({ length: c.batch * c.time }, (_, i) => ((i * 7 + c.seed) % 5 === 0 ? 0 : 1));
    mask = tf.tensor2d(values, [c.batch, c.time]);
  }
  return { tensors, mask };
}

type Outputs = { output: tf.Tensor; h: tf.Tensor; c?: tf.Tensor };

export function runSequence(implementation: Implementation, c: SequenceCase, t: Record<string, tf.Tensor>, mask?: tf.Tensor2D): Outputs {
  const common = {
    x: t.x as tf.Tensor3D,
    kernel: t.kernel as tf.Tensor2D,
    recurrentKernel: t.recurrentKernel as tf.Tensor2D,
    h0: t.h0 as tf.Tensor2D,
    mask,
    timeMajor: c.timeMajor,
    reverse: c.reverse,
  };
  const fused = implementation === 'fused';
  switch (c.cell) {
    case 'lstm': {
      const a = { ...common, bias: t.bias as tf.Tensor1D, c0: t.c0 as tf.Tensor2D, activation: c.activation, recurrentActivation: c.recurrentActivation };
      return fused ? ops.lstmSequence(a) : lstmSequenceComposite(a);
    }
    case 'gru': {
      const a = { ...common, bias: t.bias as tf.Tensor2D, activation: c.activation, recurrentActivation: c.recurrentActivation, resetAfter: c.resetAfter };
      return fused ? ops.gruSequence(a) : gruSequenceComposite(a);
    }
    case 'rnn': {
      const a = { ...common, bias: t.bias as tf.Tensor1D, activation: c.activation };
      return fused ? ops.rnnSequence(a) : rnnSequenceComposite(a);
    }
  }
}

/** One step: x [batch, in] and the carry h (and c) named like the sequence's x, h0, c0. */
export function runStep(implementation: Implementation, c: SequenceCase, t: Record<string, tf.Tensor>): { h: tf.Tensor; c?: tf.Tensor } {
  const common = { x: t.x as tf.Tensor2D, kernel: t.kernel as tf.Tensor2D, recurrentKernel: t.recurrentKernel as tf.Tensor2D, h: t.h0 as tf.Tensor2D };
  const fused = implementation === 'fused';
  switch (c.cell) {
    case 'lstm': {
      const a = { ...common, bias: t.bias as tf.Tensor1D, c: t.c0 as tf.Tensor2D, activation: c.activation, recurrentActivation: c.recurrentActivation };
      return fused ? ops.lstmStep(a) : lstmStepComposite(a);
    }
    case 'gru': {
      const a = { ...common, bias: t.bias as tf.Tensor2D, activation: c.activation, recurrentActivation: c.recurrentActivation, resetAfter: c.resetAfter };
      return fused ? ops.gruStep(a) : gruStepComposite(a);
    }
    case 'rnn': {
      const a = { ...common, bias: t.bias as tf.Tensor1D, activation: c.activation };
      return fused ? ops.rnnStep(a) : rnnStepComposite(a);
    }
  }
}

/**
 * A scalar that weighs every visible output with fixed random weights, so every upstream
 * gradient (output, h, c) is non-zero and distinct.
 */
export function weightedSum(outputs: Record<string, tf.Tensor | undefined>, seed: number): tf.Scalar {
  let total: tf.Scalar = tf.scalar(0);
  let i = 0;
  for (const name of Object.keys(outputs).sort()) {
    const value = outputs[name];
    if (!value) continue;
    const weights = tf.randomUniform(value.shape, -1, 1, 'float32', seed * 31 + i++);
    total = tf.add(total, tf.sum(tf.mul(value, weights)));
  }
  return total;
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** c = op(a)[m×k]·op(b)[k×n] in float64 as a plain triple loop: the reference of every HostMath. */
export function referenceMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transposeA = false, transposeB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = sum;
    }
  }
  return c;
}
