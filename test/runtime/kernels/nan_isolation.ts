/**
 * The NaN-isolation scenario every backend runs (issue 16 item 1): calls that see a NaN (in the
 * input, in a weight, in the upstream gradient; forward, tf.variableGrads and cell.step; the
 * blocked layers and the legacy Recur) must leave nothing behind, so that fresh layers on clean
 * data afterwards compute exactly what they computed before any NaN was seen.
 *
 * Plain tfjs-core and the public API only: the node suite (cpu, wasm) and the browser suite (webgl,
 * webgpu) both import it. The kernels keep reused buffers (GEMM output scratch, the SIMD arena, the
 * wasm heap arena, prepared weights); a buffer a kernel multiplies by zero instead of overwriting
 * carries a NaN into every later call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRU, LSTM, RNN, type Carry, type RecurrentCell } from 'rnn-migrate';
import { GRU as LegacyGRU, LSTM as LegacyLSTM, RNN as LegacyRNN } from 'rnn-migrate/legacy';

export const CELL_KINDS = ['lstm', 'gru', 'rnn'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * Hidden sizes: a multiple of 4 takes the SIMD gate path on the host backends (its arena and the
 * fused [K; R] product), 6 the JavaScript path (the GEMM's 4-column remainder strips).
 */
export const HIDDEN_SIZES = [8, 6] as const;

const BATCH = 5; // four GEMM rows in a tile and one in the remainder loop
const TIME = 4;
const INPUT = 3;

const layerClass = { lstm: LSTM, gru: GRU, rnn: RNN };
const legacyFactory = { lstm: LegacyLSTM, gru: LegacyGRU, rnn: LegacyRNN };

/** Deterministic values in (-scale, scale), the same on every backend. */
function values(length: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * scale);
}

/** `clean` with one entry replaced by NaN. */
function withNaN(clean: Float32Array, at = 1): Float32Array {
  const poisoned = clean.slice();
  poisoned[at] = Number.NaN;
  return poisoned;
}

/** Where a scenario run puts a NaN (nowhere: a clean run). */
export interface Poison {
  input?: boolean;
  weight?: boolean;
  upstream?: boolean;
}

/** Named results of one run, read back as plain arrays. */
export type Results = Map<string, Float32Array>;

/**
 * One pass over every entry point of cell `kind` on the active backend, on fresh layers (seeded:
 * the same weights every time); with `poison`, a NaN goes where it says. Every result is read
 * back and every tensor disposed.
 */
export async function runScenario(kind: CellKind, hidden: number, poison: Poison = {}): Promise<Results> {
  const layer = new layerClass[kind](INPUT, hidden, { seed: 7 });
  if (poison.weight) {
    const [kernel, ...rest] = layer.cell.getWeights();
    const poisoned = tf.tensor(withNaN(kernel.dataSync() as Float32Array), kernel.shape);
    layer.cell.setWeights([poisoned, ...rest]);
    poisoned.dispose();
  }
  const cell = layer.cell as RecurrentCell<Carry>; // one type for the three cells
  const recur = legacyFactory[kind](INPUT, hidden);
  recur.cell.setWeights(layer.cell.getWeights());

  const xValues = values(BATCH * TIME * INPUT, 1);
  const x = tf.tensor3d(poison.input ? withNaN(xValues) : xValues, [BATCH, TIME, INPUT]);
  const weighting = tf.tensor3d(poison.upstream ? withNaN(values(BATCH * TIME * hidden, 2)) : values(BATCH * TIME * hidden, 2), [BATCH, TIME, hidden]);
  const stepWeighting = tf.tensor2d(poison.upstream ? withNaN(values(BATCH * hidden, 3)) : values(BATCH * hidden, 3), [BATCH, hidden]);
  // Masked rows take the JavaScript path on the host backends whatever the hidden size.
  const mask = tf.tensor2d(Float32Array.from({ length: BATCH * TIME }, (_, i) => (i % 3 === 2 ? 0 : 1)), [BATCH, TIME]);
  const variables = layer.trainableVariables();
  const results: Results = new Map();
  const keep = async (name: string, tensor: tf.Tensor) => {
    results.set(name, (await tensor.data()) as Float32Array);
    tensor.dispose();
  };

  const sequenceLoss = (input: tf.Tensor3D, options = {}) => {
    const { output, carry } = layer.apply(input, undefined, options);
    return tf.add(tf.sum(tf.mul(output, weighting)), tf.sum(carry.h)) as tf.Scalar;
  };
  const forward = tf.tidy(() => {
    const { output, carry } = layer.apply(x);
    return [output, ...Object.values(carry)];
  });
  for (const [i, t] of forward.entries()) await keep(`forward ${i}`, t);
  await keep('masked forward', tf.tidy(() => layer.apply(x, undefined, { mask }).output));

  for (const [name, options] of [['gradient', {}], ['masked gradient', { mask }]] as const) {
    const { value, grads } = tf.variableGrads(() => sequenceLoss(x, options), variables);
    await keep(`${name} loss`, value);
    for (const [i, v] of variables.entries()) await keep(`${name} d(weight ${i})`, grads[v.name]);
  }
  await keep('input gradient', tf.tidy(() => tf.grad((input: tf.Tensor) => sequenceLoss(input as tf.Tensor3D))(x)));

  // cell.step twice from zeros, and its gradient.
  const steps = tf.unstack(x, 1) as tf.Tensor2D[];
  const stepped = tf.tidy(() => {
    const first = cell.step(steps[0], cell.initialCarry(BATCH));
    const second = cell.step(steps[1], first.carry);
    // Clones: a step's output is its h carry, the same tensor.
    return [first.output, second.output, ...Object.values(second.carry)].map((t) => t.clone());
  });
  for (const [i, t] of stepped.entries()) await keep(`step ${i}`, t);
  const stepGrads = tf.variableGrads(() => {
    const { output } = cell.step(steps[0], cell.initialCarry(BATCH));
    return tf.sum(tf.mul(output, stepWeighting)) as tf.Scalar;
  }, variables);
  for (const [i, v] of variables.entries()) await keep(`step d(weight ${i})`, stepGrads.grads[v.name]);
  stepGrads.value.dispose();

  // The legacy Recur loop over the same steps.
  recur.reset();
  for (let t = 0; t < TIME; t++) await keep(`legacy step ${t}`, tf.tidy(() => recur.step(steps[t]).clone())); // the Recur keeps its output as state
  recur.reset();

  tf.dispose([x, weighting, stepWeighting, mask, ...steps]);
  recur.cell.dispose();
  layer.dispose();
  return results;
}

export function hasNaN(values: Float32Array): boolean {
  return values.some(Number.isNaN);
}

/** The names of the results that differ from `expected` (any bit) or are not finite. */
export function differences(got: Results, expected: Results): string[] {
  const wrong: string[] = [];
  for (const [name, want] of expected) {
    const value = got.get(name);
    const same = value !== undefined && value.length === want.length && value.every((v, i) => Object.is(v, want[i]));
    if (!same || !value.every(Number.isFinite)) wrong.push(name);
  }
  return wrong;
}

/** Every way a NaN is fed in, one scenario each. */
export const POISONS: Array<[string, Poison]> = [
  ['NaN in the input', { input: true }],
  ['NaN in a weight', { weight: true }],
  ['NaN in the upstream gradient', { upstream: true }],
];

/**
 * A sequence whose only NaN is in x at a masked step (row 0, step 1): output, carries and the
 * gradients of the recurrent kernel and bias, which a masked step must not reach (dKernel is
 * xᵀ·dz, NaN·0 there on every implementation, tf.layers included). Compare with `value` = 0.
 */
export async function maskedStepResults(kind: CellKind, hidden: number, value: number): Promise<Float32Array[]> {
  const layer = new layerClass[kind](INPUT, hidden, { seed: 9 });
  const xValues = values(BATCH * TIME * INPUT, 4);
  xValues.fill(value, INPUT, 2 * INPUT); // row 0, step 1
  const x = tf.tensor3d(xValues, [BATCH, TIME, INPUT]);
  const mask = tf.tensor2d(Float32Array.from({ length: BATCH * TIME }, (_, i) => (i === 1 ? 0 : 1)), [BATCH, TIME]);
  const [, recurrentKernel, bias] = layer.cell.trainableVariables();
  const { value: loss, grads } = tf.variableGrads(() => {
    const { output, carry } = layer.apply(x, undefined, { mask });
    return tf.add(tf.sum(tf.square(output)), tf.sum(Object.values(carry)[Object.values(carry).length - 1])) as tf.Scalar;
  }, [recurrentKernel, bias]);
  const forward = tf.tidy(() => {
    const { output, carry } = layer.apply(x, undefined, { mask });
    return [output, ...Object.values(carry)];
  });
  const tensors = [loss, ...forward, grads[recurrentKernel.name], grads[bias.name]];
  const results = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([...tensors, x, mask]);
  layer.dispose();
  return results;
}
