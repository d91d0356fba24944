/**
 * The fused webgl and webgpu kernels (src/runtime/kernels/webgl, webgpu) against the cpu backend:
 * outputs, final carries and every gradient ≤ 1e-4, for LSTM, GRU and RNN with masks, reverse and
 * time-major input; the step kernels through cell.step; and proof that the fused kernel (not the
 * composite fallback) is what ran.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/runtime/kernels/gpu/register.js';
import { GPU_BACKENDS, expectClose, onBackend, read, seeded } from './backends.js';
import { type LayerCase, buildLayer, carryOf, forwardAndGradients, label } from './cases.js';

const cases: LayerCase[] = [
  { kind: 'lstm', batch: 3, time: 5, inputSize: 4, hidden: 6 },
  { kind: 'gru', batch: 3, time: 5, inputSize: 4, hidden: 6 },
  { kind: 'rnn', batch: 3, time: 5, inputSize: 4, hidden: 6 },
  { kind: 'lstm', batch: 4, time: 6, inputSize: 3, hidden: 5, masked: true },
  { kind: 'lstm', batch: 3, time: 4, inputSize: 3, hidden: 5, masked: true, reverse: true },
  { kind: 'lstm', batch: 2, time: 3, inputSize: 3, hidden: 4, timeMajor: true, reverse: true },
  { kind: 'gru', batch: 4, time: 6, inputSize: 3, hidden: 5, masked: true, reverse: true },
  { kind: 'gru', batch: 2, time: 4, inputSize: 3, hidden: 5, masked: true, timeMajor: true },
  { kind: 'rnn', batch: 3, time: 4, inputSize: 3, hidden: 5, masked: true, reverse: true, activation: 'relu' },
  { kind: 'rnn', batch: 3, time: 4, inputSize: 3, hidden: 5, masked: true, activation: 'linear' },
  // Wider than one 64-thread workgroup per shader, and odd sizes.
  { kind: 'lstm', batch: 5, time: 7, inputSize: 9, hidden: 33, masked: true },
  { kind: 'gru', batch: 5, time: 7, inputSize: 9, hidden: 33, reverse: true },
  { kind: 'lstm', batch: 3, time: 5, inputSize: 4, hidden: 6, masked: true, reverse: true, recurrentActivation: 'hardSigmoid' },
  { kind: 'lstm', batch: 2, time: 4, inputSize: 3, hidden: 8, timeMajor: true, recurrentActivation: 'hardSigmoid' },
  { kind: 'lstm', batch: 3, time: 5, inputSize: 4, hidden: 6, masked: true, activation: 'relu', recurrentActivation: 'hardSigmoid' },
  { kind: 'lstm', batch: 2, time: 4, inputSize: 3, hidden: 5, reverse: true, timeMajor: true, activation: 'linear' },
  { kind: 'gru', batch: 3, time: 5, inputSize: 4, hidden: 6, masked: true, reverse: true, recurrentActivation: 'hardSigmoid' },
  { kind: 'gru', batch: 2, time: 4, inputSize: 3, hidden: 5, timeMajor: true, activation: 'relu', recurrentActivation: 'hardSigmoid' },
  { kind: 'gru', batch: 3, time: 4, inputSize: 3, hidden: 7, masked: true, activation: 'linear' },
];

/** The kinds and variants that must run fused (each test gives the sizes). */
type KindAndVariant = Pick<LayerCase, 'kind' | 'activation' | 'recurrentActivation' | 'resetAfter'>;
const RUN_CASES: KindAndVariant[] = [
  ...(['lstm', 'gru', 'rnn'] as const).map((kind) => ({ kind })),
  { kind: 'lstm', activation: 'relu', recurrentActivation: 'hardSigmoid' },
  { kind: 'gru', activation: 'linear', recurrentActivation: 'hardSigmoid' },
  { kind: 'gru', resetAfter: false },
];
const variantLabel = (c: KindAndVariant) =>
  [c.kind, c.activation, c.recurrentActivation, c.resetAfter === false && 'reset before'].filter(Boolean).join(' ');

const FUSED_SEQUENCE = { lstm: 'RnnMigrateLstmSequence', gru: 'RnnMigrateGruSequence', rnn: 'RnnMigrateRnnSequence' };

describe.each(GPU_BACKENDS)('fused %s kernels match cpu', (backend) => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const want = await onBackend('cpu', () => forwardAndGradients(c));
    const got = await onBackend(backend, () => forwardAndGradients(c));
    expectClose(got.forward, want.forward, 1e-4, `${backend} forward`);
    expectClose(got.grads, want.grads, 1e-4, `${backend} gradients`);
  });

  it.each(RUN_CASES.map((c) => [variantLabel(c), c] as const))('runs the fused sequence kernel, not the composite: %s', async (_name, variant) => {
    await onBackend(backend, async () => {
      const c: LayerCase = { ...variant, batch: 2, time: 3, inputSize: 2, hidden: 3 };
      const { kind } = c;
      const layer = buildLayer(c);
      const x = tf.tensor3d(seeded(12, 1), [2, 3, 2]);
      const profile = await tf.profile(() => layer.apply(x).output);
      expect(profile.kernelNames).toContain(FUSED_SEQUENCE[kind]);
      expect(profile.kernelNames).not.toContain('Sigmoid');
      tf.dispose([x, profile.result as tf.Tensor]);
      layer.dispose();
    });
  });

  it.each(RUN_CASES.map((c) => [variantLabel(c), c] as const))('cell.step and its gradient match cpu: %s', async (_name, variant) => {
    const c: LayerCase = { ...variant, batch: 3, time: 1, inputSize: 4, hidden: 5 };
    const stepOn = (name: string) =>
      onBackend(name, async () => {
        const layer = buildLayer(c);
        const x = tf.tensor2d(seeded(12, 8), [3, 4]);
        const carry = carryOf(c);
        const keys = Object.keys(carry);
        const loss = (xIn: tf.Tensor, ...carryIn: tf.Tensor[]) => {
          const { output, carry: next } = layer.cell.step(xIn as tf.Tensor2D, Object.fromEntries(keys.map((k, i) => [k, carryIn[i]])));
          return keys.reduce((acc: tf.Tensor, k, i) => tf.add(acc, tf.mul(tf.sum(next[k]), i + 2)), tf.sum(tf.square(output))) as tf.Scalar;
        };
        const forward = tf.tidy(() => {
          const { output, carry: next } = layer.cell.step(x, carry);
          return [output, ...keys.map((k) => next[k])];
        });
        const grads = tf.grads(loss)([x, ...keys.map((k) => carry[k])]);
        const { grads: weightGrads } = tf.variableGrads(() => loss(x, ...keys.map((k) => carry[k])), layer.trainableVariables());
        const out = {
          forward: await read(...forward),
          grads: await read(...grads, ...Object.values(weightGrads)),
        };
        tf.dispose([x, ...Object.values(carry)]);
        layer.dispose();
        return out;
      });
    const want = await stepOn('cpu');
    const got = await stepOn(backend);
    expectClose(got.forward, want.forward, 1e-4, `${backend} step forward`);
    expectClose(got.grads, want.grads, 1e-4, `${backend} step gradients`);
  });

  it.each(RUN_CASES.map((c) => [variantLabel(c), c] as const))('a weight assigned between steps is what the next step reads: %s', async (_name, variant) => {
    // The assigned values are a backend op's result: packed on webgl, where the step keeps an
    // unpacked form per weight tensor; two assignments, so that a kept form is replaced too.
    const c: LayerCase = { ...variant, batch: 2, time: 1, inputSize: 3, hidden: 4 };
    const stepsOn = (name: string) =>
      onBackend(name, async () => {
        const layer = buildLayer(c);
        const x = tf.tensor2d(seeded(6, 3), [2, 3]);
        const carry = carryOf(c);
        const step = () =>
          tf.tidy(() => {
            const { output, carry: next } = layer.cell.step(x, carry);
            return [output, ...Object.values(next)];
          });
        const outputs = step();
        for (const scale of [-0.5, 1.5]) {
          for (const v of layer.trainableVariables()) v.assign(tf.tidy(() => tf.add(tf.mul(v, scale), 0.1)));
          outputs.push(...step());
        }
        const values = await read(...outputs);
        tf.dispose([x, ...Object.values(carry), ...outputs]);
        layer.dispose();
        return values;
      });
    const want = await stepsOn('cpu');
    expectClose(await stepsOn(backend), want, 1e-4, `${backend} steps around assignments`);
  });
});
