/**
 * The in-page half of `npm run bench:browser -- --dispatches`: GPU programs dispatched per step
 * and per sequence, ours (test/browser/dispatches.ts, the counter the browser tests use) beside
 * what a user would run instead: tf.multiRNNCell over tf.basicLSTMCell per step, tf.layers'
 * lstm / gru / simpleRNN per sequence. Counts, not times: they do not depend on the GPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { CellKind } from '../../src/runtime/kernels/cell_table.js';
import { type VariantOptions, countDispatches, sequenceDispatches, stackStepDispatches } from '../../test/browser/dispatches.js';

/** A cell kind, or 'gru-reset-before': the GRU variant tf.layers computes (resetAfter: false). */
export type BenchCell = CellKind | 'gru-reset-before';

/** The layer kind and constructor options of a bench cell. */
export function layerOf(cell: BenchCell): { kind: CellKind; variant: VariantOptions } {
  return cell === 'gru-reset-before' ? { kind: 'gru', variant: { resetAfter: false } } : { kind: cell, variant: {} };
}

export interface DispatchRow {
  backend: string;
  what: 'step' | 'fwd' | 'fwdbwd';
  cell: BenchCell;
  /** Stacked layers (step) or sequence length (fwd, fwdbwd). */
  size: number;
  ours: number;
  /** tf.multiRNNCell(basicLSTMCell) per step; tf.layers per sequence. */
  tfjs: number | null;
  oursByName: Record<string, number>;
}

const [INPUT, HIDDEN] = [8, 16];

/** One step of tf.multiRNNCell over `depth` tf.basicLSTMCell layers at batch 1, after a warm-up step. */
function multiRnnCellStep(depth: number): number {
  const layers = Array.from({ length: depth }, (_, i) => ({
    kernel: tf.randomUniform([(i === 0 ? INPUT : HIDDEN) + HIDDEN, 4 * HIDDEN], -0.1, 0.1) as tf.Tensor2D,
    bias: tf.zeros([4 * HIDDEN]) as tf.Tensor1D,
  }));
  const forgetBias = tf.scalar(1);
  const cells = layers.map(({ kernel, bias }) => (data: tf.Tensor2D, c: tf.Tensor2D, h: tf.Tensor2D) =>
    tf.basicLSTMCell(forgetBias, kernel, bias, data, c, h));
  const x = tf.randomUniform([1, INPUT], -1, 1) as tf.Tensor2D;
  let c = layers.map(() => tf.zeros([1, HIDDEN]) as tf.Tensor2D);
  let h = layers.map(() => tf.zeros([1, HIDDEN]) as tf.Tensor2D);
  const step = () => {
    const [nextC, nextH] = tf.multiRNNCell(cells, x, c, h);
    tf.dispose([...c, ...h]);
    [c, h] = [nextC, nextH];
  };
  step();
  const { programs } = countDispatches(step);
  tf.dispose([...c, ...h, x, forgetBias, ...layers.flatMap((l) => [l.kernel, l.bias])]);
  return programs;
}

/** One call of tf.layers' own layer on [1, T, INPUT]: apply, or variableGrads of the summed output. */
function layersSequence(kind: CellKind, mode: 'fwd' | 'fwdbwd', time: number): number {
  const config = { units: HIDDEN, returnSequences: true };
  const layer =
    kind === 'lstm'
      ? tfl.layers.lstm({ ...config, recurrentActivation: 'sigmoid' })
      : kind === 'gru'
        ? tfl.layers.gru({ ...config, recurrentActivation: 'sigmoid' })
        : tfl.layers.simpleRNN(config);
  const x = tf.randomUniform([1, time, INPUT], -1, 1) as tf.Tensor3D;
  tf.dispose(layer.apply(x) as tf.Tensor); // builds it (its weights exist from here)
  const variables = () => layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const call = () => {
    if (mode === 'fwd') return tf.dispose(layer.apply(x) as tf.Tensor);
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, variables());
    tf.dispose([value, ...Object.values(grads)]);
  };
  call();
  const { programs } = countDispatches(call);
  tf.dispose(x);
  layer.dispose();
  return programs;
}

export function dispatchRows(backend: string, cells: BenchCell[], lengths: number[]): DispatchRow[] {
  const rows: DispatchRow[] = [];
  for (const cell of cells) {
    const { kind, variant } = layerOf(cell);
    for (const depth of [1, 2, 3]) {
      const ours = stackStepDispatches(kind, depth, INPUT, HIDDEN, false, variant);
      const tfjs = cell === 'lstm' ? multiRnnCellStep(depth) : null;
      rows.push({ backend, what: 'step', cell, size: depth, ours: ours.programs, tfjs, oursByName: ours.byName });
    }
    for (const what of ['fwd', 'fwdbwd'] as const) {
      for (const time of lengths) {
        const ours = sequenceDispatches(kind, what, time, { inputSize: INPUT, hidden: HIDDEN, ...variant });
        rows.push({ backend, what, cell, size: time, ours: ours.programs, tfjs: layersSequence(kind, what, time), oursByName: ours.byName });
      }
    }
  }
  return rows;
}
