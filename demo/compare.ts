/**
 * The demo's measurement: a legacy Recur loop and the blocked call on the same weights and input,
 * their agreement (max |Δ| of the output sequences) and their median times, per sequence length.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRU, LSTM, RNN } from 'rnn-migrate';
import { GRU as LegacyGRU, LSTM as LegacyLSTM, RNN as LegacyRNN } from 'rnn-migrate/legacy';

export type CellKind = 'lstm' | 'gru' | 'rnn';

export interface CompareOptions {
  kind: CellKind;
  batch: number;
  inputSize: number;
  hidden: number;
  repeats: number;
}

export interface CompareRow {
  time: number;
  legacyMs: number;
  blockedMs: number;
  maxDiff: number;
}

const legacyFactory = { lstm: LegacyLSTM, gru: LegacyGRU, rnn: LegacyRNN };
const blockedClass = { lstm: LSTM, gru: GRU, rnn: RNN };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function readAndDispose(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  return values;
}

/**
 * Median milliseconds of `run` until its results are read back, after one warm-up run (which
 * compiles the shaders); also the values of the last run. Shared with bench/browser.
 */
export async function medianTime(run: () => tf.Tensor[], repeats: number): Promise<{ ms: number; values: Float32Array[] }> {
  let values = await readAndDispose(run());
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    values = await readAndDispose(run());
    times.push(performance.now() - start);
  }
  return { ms: median(times), values };
}

export async function compareAt(options: CompareOptions, time: number): Promise<CompareRow> {
  const { kind, batch, inputSize, hidden, repeats } = options;
  const recur = legacyFactory[kind](inputSize, hidden);
  const blocked = new blockedClass[kind](inputSize, hidden);
  blocked.cell.setWeights(recur.cell.getWeights()); // getWeights hands out the variables themselves
  const x = tf.randomUniform([batch, time, inputSize], -1, 1) as tf.Tensor3D;
  const steps = tf.unstack(x, 1) as tf.Tensor2D[];
  try {
    const legacy = await medianTime(
      () => [
        tf.tidy(() => {
          recur.reset();
          return tf.stack(steps.map((xt) => recur.step(xt)), 1);
        }),
      ],
      repeats,
    );
    const fused = await medianTime(() => [blocked.apply(x).output], repeats);
    const [fusedValues] = fused.values;
    const [legacyValues] = legacy.values;
    let maxDiff = 0;
    for (let i = 0; i < fusedValues.length; i++) {
      const d = Math.abs(fusedValues[i] - legacyValues[i]);
      if (!(d <= maxDiff)) maxDiff = d;
    }
    return { time, legacyMs: legacy.ms, blockedMs: fused.ms, maxDiff };
  } finally {
    recur.reset();
    tf.dispose([x, ...steps]);
    recur.cell.dispose();
    blocked.dispose();
  }
}
