/**
 * No NaN poisoning on webgl and webgpu (issue 16 item 1), the scenario of the node suite
 * (test/runtime/kernels/nan_isolation.ts): after calls that see a NaN in the input, a weight or the
 * upstream gradient, fresh layers on clean data compute bit for bit what they computed before, and
 * a NaN at a masked step reaches nothing it must not (the shaders choose, never blend, at masks);
 * a mask of 0.5 or NaN means valid, as 1 does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/runtime/kernels/gpu/register.js';
import { LSTM } from '../../src/index.js';
import { CELL_KINDS, POISONS, differences, hasNaN, maskedStepResults, runScenario, type Results } from '../runtime/kernels/nan_isolation.js';
import { GPU_BACKENDS, onBackend, read } from './backends.js';

const HIDDEN = 6;
const clean = new Map<string, Results>();

beforeAll(async () => {
  for (const backend of GPU_BACKENDS) {
    for (const kind of CELL_KINDS) clean.set(`${backend} ${kind}`, await onBackend(backend, () => runScenario(kind, HIDDEN)));
  }
});

describe.each(GPU_BACKENDS)('NaN isolation [%s]', (backend) => {
  it.each(CELL_KINDS)('%s: forward, gradients, steps and legacy steps after NaN calls equal those before, and are finite', async (kind) => {
    const before = clean.get(`${backend} ${kind}`)!;
    expect(differences(before, before), 'the clean run itself is finite').toEqual([]);
    for (const [what, poison] of POISONS) {
      const poisoned = await onBackend(backend, () => runScenario(kind, HIDDEN, poison));
      const reached = poison.upstream ? 'gradient d(weight 0)' : 'forward 0';
      expect(hasNaN(poisoned.get(reached)!), `${what} reaches '${reached}'`).toBe(true);
      const after = await onBackend(backend, () => runScenario(kind, HIDDEN));
      expect(differences(after, before), `after ${what}`).toEqual([]);
    }
  });

  it.each(CELL_KINDS)('%s: a NaN at a masked step reaches neither the output, the carries nor the recurrent-weight gradients', async (kind) => {
    const got = await onBackend(backend, () => maskedStepResults(kind, HIDDEN, Number.NaN));
    expect(got).toEqual(await onBackend(backend, () => maskedStepResults(kind, HIDDEN, 0)));
    expect(got.every((v) => v.every(Number.isFinite))).toBe(true);
  });

  it('a mask of 0.5, −1 or NaN means valid, exactly as 1', async () => {
    const [odd, binary] = await onBackend(backend, async () => {
      const layer = new LSTM(3, HIDDEN, { seed: 5 });
      const x = tf.tensor3d(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), [2, 4, 3]);
      const call = (maskValues: number[]) => {
        const mask = tf.tensor2d(maskValues, [2, 4]);
        const { output, carry } = layer.apply(x, undefined, { mask });
        mask.dispose();
        return read(output, carry.h, carry.c);
      };
      const results = [await call([1, 0.5, Number.NaN, 0, -1, 0, 1, 1]), await call([1, 1, 1, 0, 1, 0, 1, 1])];
      x.dispose();
      layer.dispose();
      return results;
    });
    expect(odd).toEqual(binary);
  });
});
