/**
 * The reset-before GRU (resetAfter: false, tf.layers' GRU) on the fused webgl and webgpu kernels
 * (src/runtime/kernels/gpu/gru_reset_before_driver.ts): outputs, final carry and every gradient
 * against cpu (masks, reverse, time-major, batch 1, odd and wide sizes, each activation and gate
 * activation), outputs and weight gradients against tf.layers.gru on the same weights, the fused
 * kernels are what ran (not the composite), a NaN at a masked step reaches nothing, every shader
 * fits a default WebGPU device, and no tensor or backend buffer is left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import '../../src/runtime/kernels/gpu/register.js';
import { GRU } from '../../src/index.js';
import type { SequenceGeometry } from '../../src/runtime/kernels/gpu/shaders.js';
import {
  resetBeforeCandidateGradShader,
  resetBeforeCarryGradShader,
  resetBeforeGateShader,
  resetBeforeStateShader,
  resetHiddenShader,
} from '../../src/runtime/kernels/gpu/gru_reset_before_shaders.js';
import { DEFAULT_STORAGE_BUFFERS, webgpuProgram } from '../../src/runtime/kernels/webgpu/index.js';
import { GPU_BACKENDS, expectClose, onBackend, read, seeded } from './backends.js';
import { type LayerCase, buildLayer, forwardAndGradients, label, maskOf } from './cases.js';

const resetBefore = (c: Omit<LayerCase, 'kind' | 'resetAfter'>): LayerCase => ({ kind: 'gru', resetAfter: false, ...c });

const cases: LayerCase[] = [
  resetBefore({ batch: 3, time: 5, inputSize: 4, hidden: 6 }),
  resetBefore({ batch: 4, time: 6, inputSize: 3, hidden: 5, masked: true, reverse: true }),
  resetBefore({ batch: 2, time: 4, inputSize: 3, hidden: 5, masked: true, timeMajor: true }),
  resetBefore({ batch: 1, time: 5, inputSize: 3, hidden: 7 }),
  resetBefore({ batch: 1, time: 4, inputSize: 2, hidden: 3, masked: true, reverse: true, timeMajor: true }),
  // Wider than one 64-thread workgroup per shader, and odd sizes.
  resetBefore({ batch: 5, time: 7, inputSize: 9, hidden: 33, masked: true, reverse: true }),
  resetBefore({ batch: 3, time: 5, inputSize: 4, hidden: 6, masked: true, recurrentActivation: 'hardSigmoid' }),
  resetBefore({ batch: 2, time: 4, inputSize: 3, hidden: 5, timeMajor: true, reverse: true, activation: 'relu', recurrentActivation: 'hardSigmoid' }),
  resetBefore({ batch: 3, time: 4, inputSize: 3, hidden: 7, masked: true, activation: 'linear' }),
  // A sequence of one step: x·K computed inside the step's shaders, with a mask.
  resetBefore({ batch: 3, time: 1, inputSize: 4, hidden: 6, masked: true }),
];

const [B, T, IN, H] = [3, 6, 4, 5];

/**
 * tf.layers.gru (reset before; its defaults: hard-sigmoid gates, tanh): output sequence, final h,
 * Σ output·w + Σ h and that loss's weight gradients.
 */
async function tfLayersGru(weights: tf.Tensor[], goBackwards: boolean): Promise<Float32Array[]> {
  // Its weights are set below; the default orthogonal initializer would need tfjs' chained ops.
  const layer = tfl.layers.gru({ units: H, returnSequences: true, returnState: true, goBackwards, recurrentInitializer: 'zeros' });
  const x = tf.tensor3d(seeded(B * T * IN, 41), [B, T, IN]);
  const outputWeights = tf.tensor3d(seeded(B * T * H, 42), [B, T, H]);
  tf.dispose(layer.apply(x) as tf.Tensor[]); // builds it
  layer.setWeights(weights);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = () => {
    const [output, h] = layer.apply(x) as tf.Tensor[];
    // goBackwards lists outputs in processing order; ours (reverse) keeps x's order.
    return [goBackwards ? tf.reverse(output, 1) : output, h];
  };
  const outputs = tf.tidy(forward);
  const { value, grads } = tf.variableGrads(() => {
    const [output, h] = forward();
    return tf.add(tf.sum(tf.mul(output, outputWeights)), tf.sum(h)) as tf.Scalar;
  }, variables);
  const result = await read(...outputs, value, ...variables.map((v) => grads[v.name]));
  tf.dispose([x, outputWeights]);
  layer.dispose();
  return result;
}

/** The same for our GRU with tf.layers' options. */
async function ourGru(weights: tf.Tensor[], reverse: boolean): Promise<Float32Array[]> {
  const layer = new GRU(IN, H, { resetAfter: false, recurrentActivation: 'hardSigmoid', reverse });
  layer.cell.setWeights(weights);
  const x = tf.tensor3d(seeded(B * T * IN, 41), [B, T, IN]);
  const outputWeights = tf.tensor3d(seeded(B * T * H, 42), [B, T, H]);
  const outputs = tf.tidy(() => {
    const { output, carry } = layer.apply(x);
    return [output, carry.h];
  });
  const variables = layer.trainableVariables();
  const { value, grads } = tf.variableGrads(() => {
    const { output, carry } = layer.apply(x);
    return tf.add(tf.sum(tf.mul(output, outputWeights)), tf.sum(carry.h)) as tf.Scalar;
  }, variables);
  const result = await read(...outputs, value, ...variables.map((v) => grads[v.name]));
  tf.dispose([x, outputWeights]);
  layer.dispose();
  return result;
}

/** Loss, output, final h and the gradients of R and b, with the input at row 0, step 1 set to `value` and masked out. */
async function maskedStepResults(value: number): Promise<Float32Array[]> {
  const layer = buildLayer(resetBefore({ batch: 2, time: 4, inputSize: 3, hidden: 5 }));
  const xValues = seeded(2 * 4 * 3, 4);
  xValues.fill(value, 3, 6);
  const x = tf.tensor3d(xValues, [2, 4, 3]);
  const mask = tf.tensor2d([1, 0, 1, 1, 1, 1, 1, 1], [2, 4]);
  const [, recurrentKernel, bias] = layer.cell.trainableVariables();
  const { value: loss, grads } = tf.variableGrads(() => {
    const { output, carry } = layer.apply(x, undefined, { mask });
    return tf.add(tf.sum(tf.square(output)), tf.sum(carry.h)) as tf.Scalar;
  }, [recurrentKernel, bias]);
  const forward = tf.tidy(() => {
    const { output, carry } = layer.apply(x, undefined, { mask });
    return [output, carry.h];
  });
  const result = await read(loss, ...forward, grads[recurrentKernel.name], grads[bias.name]);
  tf.dispose([x, mask]);
  layer.dispose();
  return result;
}

describe('reset-before GRU shaders', () => {
  it('each fits the 8 storage buffers of a default WebGPU device', () => {
    for (const [hasMask, carriesOnly] of [[false, false], [true, false], [true, true]]) {
      const g: SequenceGeometry = {
        kind: 'gru', batch: 2, time: 3, hidden: 4, activation: 'tanh', recurrentActivation: 'sigmoid', timeMajor: false, reverse: false, hasMask, carriesOnly,
      };
      // inputSize 3: a sequence of one step, x·K inside the shaders (x and K bound too).
      const specs = [
        resetBeforeGateShader(g),
        resetBeforeGateShader(g, 3),
        resetBeforeStateShader(g),
        resetBeforeStateShader(g, 3),
        resetBeforeCandidateGradShader(g, false),
        resetBeforeCandidateGradShader(g, true),
        resetBeforeCarryGradShader(g),
        resetHiddenShader(g),
      ];
      for (const spec of specs) {
        expect(spec.variableNames.length + 1, spec.key).toBeLessThanOrEqual(DEFAULT_STORAGE_BUFFERS);
        expect(() => webgpuProgram(spec)).not.toThrow();
      }
    }
  });
});

describe.each(GPU_BACKENDS)('reset-before GRU on fused %s kernels', (backend) => {
  it.each(cases.map((c) => [label(c), c] as const))('matches cpu: %s', async (_name, c) => {
    const want = await onBackend('cpu', () => forwardAndGradients(c));
    const got = await onBackend(backend, () => forwardAndGradients(c));
    expectClose(got.forward, want.forward, 1e-4, `${backend} forward`);
    expectClose(got.grads, want.grads, 1e-4, `${backend} gradients`);
  });

  it.each([false, true])('matches tf.layers.gru on cpu, same weights (outputs, h, weight gradients), reverse %s', async (reverse) => {
    const weights = [
      tf.tensor2d(seeded(IN * 3 * H, 51, 0.6), [IN, 3 * H]),
      tf.tensor2d(seeded(H * 3 * H, 52, 0.6), [H, 3 * H]),
      tf.tensor1d(seeded(3 * H, 53, 0.3)),
    ];
    const want = await onBackend('cpu', () => tfLayersGru(weights, reverse));
    const got = await onBackend(backend, () => ourGru(weights, reverse));
    tf.dispose(weights);
    expectClose(got, want, 1e-4, `${backend} vs tf.layers.gru`);
  });

  it('runs the fused sequence, step and gradient kernels, not the composite', async () => {
    await onBackend(backend, async () => {
      const c = resetBefore({ batch: 2, time: 3, inputSize: 2, hidden: 3, masked: true });
      const layer = buildLayer(c);
      const x = tf.tensor3d(seeded(12, 1), [2, 3, 2]);
      const mask = maskOf(c)!;
      const h = tf.zeros([2, 3]) as tf.Tensor2D;
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, undefined, { mask }).output) as tf.Scalar, layer.trainableVariables());
        const step = tf.variableGrads(() => tf.sum(layer.cell.step(tf.reshape(tf.slice(x, [0, 0, 0], [2, 1, 2]), [2, 2]) as tf.Tensor2D, { h }).carry.h) as tf.Scalar);
        tf.dispose([value, step.value, ...Object.values(grads), ...Object.values(step.grads)]);
        return tf.scalar(0);
      });
      for (const kernel of ['RnnMigrateGruSequence', 'RnnMigrateGruSequenceGrad', 'RnnMigrateGruStep', 'RnnMigrateGruStepGrad']) {
        expect(profile.kernelNames).toContain(kernel);
      }
      // The composite's gate ops (its sigmoid, tanh and per-step splits).
      for (const composite of ['Sigmoid', 'Tanh', 'SplitV']) expect(profile.kernelNames).not.toContain(composite);
      tf.dispose([x, mask, h, profile.result as tf.Tensor]);
      layer.dispose();
    });
  });

  it('a NaN at a masked step reaches neither the output, the carry nor the gradients of R and b', async () => {
    const got = await onBackend(backend, () => maskedStepResults(Number.NaN));
    expect(got).toEqual(await onBackend(backend, () => maskedStepResults(0)));
    expect(got.every((v) => v.every(Number.isFinite))).toBe(true);
  });

  it('forward, gradient and step leave no tensors or backend buffers behind', async () => {
    await onBackend(backend, async () => {
      const c = resetBefore({ batch: 3, time: 5, inputSize: 4, hidden: 6, masked: true, reverse: true });
      const layer = buildLayer(c);
      const x = tf.tensor3d(seeded(60, 7), [3, 5, 4]);
      const mask = maskOf(c)!;
      const h = tf.tensor2d(seeded(18, 8, 0.3), [3, 6]);
      const run = async () => {
        const { value, grads } = tf.variableGrads(() => {
          const { output, carry } = layer.apply(x, { h }, { mask });
          const stepped = layer.cell.step(tf.squeeze(tf.slice(x, [0, 0, 0], [3, 1, 4]), [1]) as tf.Tensor2D, carry);
          return tf.add(tf.sum(output), tf.sum(stepped.carry.h)) as tf.Scalar;
        }, layer.trainableVariables());
        const forward = tf.tidy(() => layer.apply(x, { h }, { mask }).output);
        await read(value, forward, ...Object.values(grads));
      };
      await run(); // compiles the programs
      const before = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
      await run();
      await run();
      const after = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(after.numDataBuffers).toBe(before.numDataBuffers);
      tf.dispose([x, mask, h]);
      layer.dispose();
    });
  });
});
