/**
 * Input validation of the runtime. The kernels trust their inputs, so every public entry point
 * checks here first, before allocating anything: a rejected call leaks no tensor.
 * Shape problems throw `RnnShapeError`; a value that is not a float32 tensor throws `TypeError`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RnnShapeError, formatShape } from './errors.js';

/** The expected shape of each carry entry without its batch axis, e.g. `{ h: [16], c: [16] }`. */
export type CarryTemplate = { readonly [key: string]: readonly number[] };

/** Duck-typed, so a tensor from another copy of tfjs-core is still recognised as one. */
export function isTensor(value: unknown): value is tf.Tensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dataId' in value &&
    'shape' in value &&
    'dtype' in value
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'Object'})` : typeof value;
}

function describeTensor(t: tf.Tensor): string {
  return `shape ${formatShape(t.shape)} (rank ${t.rank})`;
}

/** A live float32 tensor, or a TypeError / RnnShapeError that says what came instead. */
export function assertFloatTensor(
  value: unknown,
  context: string,
  what: string,
): asserts value is tf.Tensor {
  if (!isTensor(value)) {
    throw new TypeError(`${context}: ${what} must be a tf.Tensor, got ${describeValue(value)}.`);
  }
  if (value.isDisposed) {
    throw new RnnShapeError(
      context,
      `${what} to be a live tensor`,
      'a disposed tensor',
      'Was it created inside a tf.tidy() that has ended, or passed to tf.dispose()?',
    );
  }
  if (value.dtype !== 'float32') {
    throw new TypeError(
      `${context}: ${what} must have dtype float32, got ${value.dtype}. ` +
        `Convert it with tf.cast(${what}, 'float32').`,
    );
  }
}

function isLiveFloatTensor(value: unknown): value is tf.Tensor {
  return isTensor(value) && !value.isDisposed && value.dtype === 'float32';
}

function sequenceLayout(timeMajor: boolean): string {
  return timeMajor ? '[time, batch, features]' : '[batch, time, features]';
}

/** x of a sequence layer: rank 3, the cell's feature size, at least one step. */
export function checkSequenceInput(
  x: unknown,
  inputSize: number,
  timeMajor: boolean,
  context: string,
): { batch: number; time: number } {
  assertFloatTensor(x, context, 'x');
  const layout = sequenceLayout(timeMajor);
  if (x.rank !== 3) {
    throw new RnnShapeError(
      context,
      `x of shape ${layout} (rank 3${timeMajor ? ', timeMajor' : ''})`,
      describeTensor(x),
      x.rank === 2
        ? 'A single timestep [batch, features] goes through cell.step(x, carry); one unbatched sequence [time, features] needs a batch axis: x.expandDims(0).'
        : undefined,
    );
  }
  const time = x.shape[timeMajor ? 0 : 1] as number;
  const batch = x.shape[timeMajor ? 1 : 0] as number;
  const expected = timeMajor ? `[time, batch, ${inputSize}]` : `[batch, time, ${inputSize}]`;
  if (x.shape[2] !== inputSize) {
    throw new RnnShapeError(
      context,
      `x of shape ${expected} (the cell's inputSize is ${inputSize})`,
      `shape ${formatShape(x.shape)}`,
    );
  }
  if (time === 0) {
    throw new RnnShapeError(context, `x with at least one timestep, ${layout}`, `shape ${formatShape(x.shape)}`);
  }
  return { batch, time };
}

/** x of a single step: [batch, inputSize]. */
export function checkStepInput(x: unknown, inputSize: number, context: string): number {
  assertFloatTensor(x, context, 'x');
  if (x.rank !== 2 || x.shape[1] !== inputSize) {
    const hint =
      x.rank === 1
        ? 'Add a batch axis: x.expandDims(0).'
        : x.rank === 3
          ? 'A whole sequence goes through a sequence layer (Recurrence, LSTM, GRU, RNN).'
          : undefined;
    throw new RnnShapeError(context, `x of shape [batch, ${inputSize}]`, describeTensor(x), hint);
  }
  return x.shape[0];
}

/** What a carry entry should be, formatted only for an error: a step checks its carry on every call. */
function expectedCarry(key: string, batch: number, tail: readonly number[]): string {
  return `carry.${key} of shape ${formatShape([batch, ...tail])}`;
}

function formatKeys(keys: readonly string[]): string {
  return `{ ${keys.join(', ')} }`;
}

/** A carry with exactly the template's keys, each [batch, ...tail]: never broadcast. */
export function checkCarry(
  carry: unknown,
  template: CarryTemplate,
  batch: number,
  context: string,
): void {
  const expectedKeys = Object.keys(template);
  if (typeof carry !== 'object' || carry === null || Array.isArray(carry) || isTensor(carry)) {
    throw new RnnShapeError(
      context,
      `a carry object ${formatKeys(expectedKeys)}`,
      describeValue(carry),
    );
  }
  const gotKeys = Object.keys(carry);
  if (!sameKeys(gotKeys, expectedKeys)) {
    throw new RnnShapeError(
      context,
      `a carry with keys ${formatKeys(expectedKeys)}`,
      `keys ${formatKeys(gotKeys)}`,
    );
  }
  // Loops, not closures: a step checks its carry on every call.
  for (let k = 0; k < expectedKeys.length; k++) {
    const key = expectedKeys[k];
    const value = (carry as Record<string, unknown>)[key];
    // The error's wording is built only for an error.
    if (!isLiveFloatTensor(value)) assertFloatTensor(value, context, `carry.${key}`);
    const tail = template[key];
    if (value.rank !== tail.length + 1) {
      throw new RnnShapeError(context, expectedCarry(key, batch, tail), describeTensor(value));
    }
    if (value.shape[0] !== batch) {
      throw new RnnShapeError(
        context,
        `${expectedCarry(key, batch, tail)} (batch ${batch}, as x)`,
        `shape ${formatShape(value.shape)}`,
        `A carry is never broadcast: build one for this batch, e.g. layer.initialCarry(${batch}).`,
      );
    }
    for (let axis = 1; axis < value.rank; axis++) {
      if (value.shape[axis] !== tail[axis - 1]) {
        throw new RnnShapeError(context, expectedCarry(key, batch, tail), `shape ${formatShape(value.shape)}`);
      }
    }
  }
}

/** Whether two key lists hold the same keys (each list without repeats). */
function sameKeys(got: readonly string[], expected: readonly string[]): boolean {
  if (got.length !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (!got.includes(expected[k])) return false;
  return true;
}

/** A mask [batch, time] (always batch-major, nonzero = valid) of dtype float32, bool or int32. */
export function checkMask(mask: unknown, batch: number, time: number, context: string): asserts mask is tf.Tensor2D {
  if (!isTensor(mask)) {
    throw new TypeError(`${context}: mask must be a tf.Tensor, got ${describeValue(mask)}.`);
  }
  if (mask.isDisposed) {
    throw new RnnShapeError(context, 'mask to be a live tensor', 'a disposed tensor');
  }
  if (mask.dtype === 'string' || mask.dtype === 'complex64') {
    throw new TypeError(`${context}: mask must have dtype float32, bool or int32, got ${mask.dtype}.`);
  }
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time) {
    throw new RnnShapeError(
      context,
      `mask of shape [batch, time] = ${formatShape([batch, time])} (batch-major even with timeMajor)`,
      describeTensor(mask),
    );
  }
}

/**
 * The float32 0/1 mask the kernels take, a new tensor (call inside tf.tidy): every nonzero value is
 * valid, 0.5, −1 and NaN included, as tf.layers and Keras read a mask (they cast it to bool).
 * Binarized here, never checked value by value: a check would read the mask back (a GPU sync per
 * call), and tf.layers accepts these masks. Binarizing also makes every backend agree (a raw 0.5
 * would be a blend in some kernels and valid in others).
 */
export function floatMask(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.notEqual(mask, 0), 'float32') as tf.Tensor2D;
}

/** Weights for setWeights: the right count, each a live float32 tensor of the expected shape. */
export function checkWeights(
  weights: unknown,
  expected: ReadonlyArray<{ name: string; shape: readonly number[] }>,
  context: string,
): asserts weights is tf.Tensor[] {
  const names = expected.map((w) => `${w.name} ${formatShape(w.shape)}`).join(', ');
  if (!Array.isArray(weights) || weights.length !== expected.length) {
    throw new RnnShapeError(
      context,
      `${expected.length} weights [${names}]`,
      Array.isArray(weights) ? `${weights.length} weights` : describeValue(weights),
    );
  }
  expected.forEach(({ name, shape }, i) => {
    const weight: unknown = weights[i];
    assertFloatTensor(weight, context, name);
    if (weight.rank !== shape.length || weight.shape.some((size, axis) => size !== shape[axis])) {
      throw new RnnShapeError(context, `${name} of shape ${formatShape(shape)}`, describeTensor(weight));
    }
  });
}

/** Positive integer sizes for constructors. */
export function checkSize(value: unknown, context: string, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${context}: ${what} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

/** An option that must be one of `allowed` (undefined: `fallback`), for constructors. */
export function checkChoice<T extends string | boolean>(
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  context: string,
  option: string,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));
    throw new TypeError(`${context}: ${option} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}.`);
  }
  return value as T;
}
