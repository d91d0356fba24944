/** Shared by the legacy tests: deterministic random tensors and a checker that records warnings. */
import { readFileSync } from 'node:fs';
import { configureChecker, type CheckerMode, type CheckerWarning } from '../../src/legacy/index.js';
import { tf } from '../helpers/backends.js';

export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

/** Puts the checker in `mode` and returns the list every warning lands in. */
export function recordWarnings(mode: CheckerMode = 'warn'): CheckerWarning[] {
  const warnings: CheckerWarning[] = [];
  configureChecker({ mode, onWarning: (warning) => warnings.push(warning) });
  return warnings;
}

/** The 1-based line of `file` that contains `marker` (so tests need no hard-coded line numbers). */
export function lineOf(file: string, marker: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(marker));
  if (index < 0) throw new Error(`marker '${marker}' not found in ${file}`);
  return index + 1;
}

export function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/**
 * max |a - b| / max(1, max |b|): an absolute difference for values of order one and a relative
 * one for larger values (float32 sums in a different order differ in their last bits).
 */
export function scaledMaxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const difference = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    const magnitude = tf.max(tf.abs(b)).dataSync()[0]!;
    return difference / Math.max(1, magnitude);
  });
}
