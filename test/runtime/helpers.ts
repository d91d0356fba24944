/**
 * Test helpers of the runtime tests: seeded data, closeness with a clear failure message, and
 * central finite differences (the independent check of every gradient).
 */
import { expect } from 'vitest';
import { tf } from '../helpers/backends.js';

let nextSeed = 1000;
/** Seeded N(0, scale²) data: the same values on every backend (tfjs draws them in JavaScript). */
export function randn(shape: number[], scale = 1, seed = nextSeed++): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
}

/** max |a − b| ≤ tol · max(1, max |b|), reporting where and by how much it failed. */
export function expectClose(actual: tf.Tensor | number[], expected: tf.Tensor | number[], tol = 1e-5): void {
  const a = Array.isArray(actual) ? actual : Array.from(actual.dataSync());
  const b = Array.isArray(expected) ? expected : Array.from(expected.dataSync());
  if (!Array.isArray(actual) && !Array.isArray(expected)) expect(actual.shape).toEqual(expected.shape);
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...b.map(Math.abs));
  let worst = 0;
  let at = -1;
  a.forEach((v, i) => {
    const d = Math.abs(v - b[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  });
  if (!(worst <= tol * scale)) {
    expect.fail(`max |difference| ${worst} at flat index ${at} (${a[at]} vs ${b[at]}) exceeds ${tol * scale}`);
  }
}

/**
 * Central finite differences of a scalar loss with respect to one variable, every entry:
 * (L(v + ε) − L(v − ε)) / 2ε, evaluated in float32. The variable is restored afterwards.
 */
export function finiteDifferences(loss: () => tf.Scalar, variable: tf.Variable, epsilon = 1e-2): number[] {
  const original = variable.clone();
  const base = Float32Array.from(original.dataSync());
  const gradient: number[] = [];
  const evaluate = (values: Float32Array) => {
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    return tf.tidy(() => loss().dataSync()[0]);
  };
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    plus[i] += epsilon;
    const minus = base.slice();
    minus[i] -= epsilon;
    gradient.push((evaluate(plus) - evaluate(minus)) / (2 * epsilon));
  }
  variable.assign(original);
  original.dispose();
  return gradient;
}

/** A variable holding `value`, which is released (the variable keeps the data). */
export function variableOf(value: tf.Tensor): tf.Variable {
  const variable = tf.variable(value);
  value.dispose();
  return variable;
}
