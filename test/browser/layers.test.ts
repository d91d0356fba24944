/**
 * The public layers on each GPU backend: the composite implementation (tfjs ops, the fallback for
 * backends without fused kernels) matches cpu; the legacy Recur loop and the blocked call agree on
 * the same weights; and 50 training steps leave tf.memory() flat (no leaked tensors or bytes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../../src/index.js';
import { GRU as LegacyGRU, LSTM as LegacyLSTM, RNN as LegacyRNN, configureChecker } from '../../src/legacy/index.js';
import { gruSequenceComposite, lstmSequenceComposite, rnnSequenceComposite } from '../../src/runtime/kernels/composite/index.js';
import { GPU_BACKENDS, expectClose, onBackend, read, seeded } from './backends.js';
import { CELL_KINDS, type CellKind } from './cases.js';
import { CELLS } from '../../src/runtime/kernels/cell_table.js';

const B = 3;
const T = 5;
const IN = 4;
const H = 6;

/** Composite forward + gradients (masked, reverse) from seeded arrays, on the active backend. */
async function composite(kind: CellKind): Promise<Float32Array[]> {
  const G = CELLS[kind].gates;
  const x = tf.tensor3d(seeded(B * T * IN, 1), [B, T, IN]);
  const kernel = tf.tensor2d(seeded(IN * G * H, 2, 0.5), [IN, G * H]);
  const recurrentKernel = tf.tensor2d(seeded(H * G * H, 3, 0.5), [H, G * H]);
  const bias = kind === 'gru' ? tf.tensor2d(seeded(2 * G * H, 4, 0.2), [2, G * H]) : tf.tensor1d(seeded(G * H, 4, 0.2));
  const h0 = tf.tensor2d(seeded(B * H, 5, 0.3), [B, H]);
  const c0 = tf.tensor2d(seeded(B * H, 6, 0.3), [B, H]);
  const mask = tf.tensor2d([1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0], [B, T]);
  const options = { mask, reverse: true };
  const loss = (xIn: tf.Tensor, k: tf.Tensor, r: tf.Tensor) => {
    const common = { x: xIn as tf.Tensor3D, kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, h0, ...options };
    const { output, h } =
      kind === 'lstm'
        ? lstmSequenceComposite({ ...common, bias: bias as tf.Tensor1D, c0 })
        : kind === 'gru'
          ? gruSequenceComposite({ ...common, bias: bias as tf.Tensor2D })
          : rnnSequenceComposite({ ...common, bias: bias as tf.Tensor1D, activation: 'tanh' });
    return tf.add(tf.sum(tf.mul(output, output)), tf.sum(h)) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(loss)([x, kernel, recurrentKernel]);
  const out = await read(value, ...grads);
  tf.dispose([x, kernel, recurrentKernel, bias, h0, c0, mask]);
  return out;
}

const legacyFactory = { lstm: LegacyLSTM, gru: LegacyGRU, rnn: LegacyRNN };
const blockedClass = { lstm: LSTM, gru: GRU, rnn: RNN };

/** The legacy per-step loop and the blocked call on the same weights: [loop outputs, blocked output]. */
async function legacyAndBlocked(kind: CellKind): Promise<Float32Array[]> {
  const recur = legacyFactory[kind](IN, H);
  const blocked = new blockedClass[kind](IN, H);
  blocked.cell.setWeights(recur.cell.getWeights());
  const x = tf.tensor3d(seeded(B * T * IN, 11), [B, T, IN]);
  const loop = tf.tidy(() => {
    recur.reset();
    const steps = tf.unstack(x, 1).map((xt) => recur.step(xt as tf.Tensor2D));
    return tf.stack(steps, 1);
  });
  const { output } = blocked.apply(x);
  const values = await read(loop, output);
  recur.reset();
  tf.dispose(x);
  recur.cell.dispose();
  blocked.dispose();
  return values;
}

describe.each(GPU_BACKENDS)('layers on %s', (backend) => {
  it.each(CELL_KINDS)('composite %s (mask, reverse) matches cpu, outputs and gradients', async (kind) => {
    const want = await onBackend('cpu', () => composite(kind));
    const got = await onBackend(backend, () => composite(kind));
    expectClose(got, want, 1e-4, `${backend} composite ${kind}`);
  });

  it.each(CELL_KINDS)('legacy Recur %s loop agrees with the blocked call', async (kind) => {
    configureChecker({ mode: 'off' });
    const [loop, blocked] = await onBackend(backend, () => legacyAndBlocked(kind));
    expectClose([loop], [blocked], 1e-5, `${backend} legacy vs blocked ${kind}`);
  });

  it.each(CELL_KINDS)('50 training steps of a blocked %s keep tf.memory() flat', async (kind) => {
    await onBackend(backend, async () => {
      const layer = new blockedClass[kind](IN, H);
      const x = tf.tensor3d(seeded(B * T * IN, 21), [B, T, IN]);
      const target = tf.tensor3d(seeded(B * T * H, 22, 0.5), [B, T, H]);
      const mask = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0], [B, T]);
      const optimizer = tf.train.adam(0.01);
      const losses: number[] = [];
      // The loss is read (asynchronously: a GPU readback is slow) at the first and last steps.
      const trainStep = async (readLoss: boolean) => {
        const loss = optimizer.minimize(
          () => tf.losses.meanSquaredError(target, layer.apply(x, undefined, { mask }).output),
          true,
          layer.trainableVariables(),
        )!;
        if (readLoss) losses.push((await loss.data())[0]);
        loss.dispose();
      };
      await trainStep(true); // the optimizer creates its slots on the first step
      const before = tf.memory();
      for (let i = 1; i < 50; i++) await trainStep(i === 49);
      const after = tf.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[1]).toBeLessThan(losses[0]);
      optimizer.dispose();
      tf.dispose([x, target, mask]);
      layer.dispose();
    });
  });

  it('50 training steps through the legacy Recur keep tf.memory() flat', async () => {
    configureChecker({ mode: 'off' });
    await onBackend(backend, async () => {
      const recur = LegacyLSTM(IN, H);
      const xs = tf.unstack(tf.tensor3d(seeded(B * T * IN, 31), [B, T, IN]), 1) as tf.Tensor2D[];
      const target = tf.tensor2d(seeded(B * H, 32, 0.5), [B, H]);
      const optimizer = tf.train.sgd(0.05);
      const trainStep = () => {
        const loss = optimizer.minimize(
          () => {
            recur.reset();
            let h!: tf.Tensor;
            for (const xt of xs) h = recur.step(xt);
            return tf.losses.meanSquaredError(target, h);
          },
          true,
          recur.cell.trainableVariables(),
        )!;
        loss.dispose();
      };
      trainStep();
      recur.reset(); // releases the stored state, which is kept across steps by design
      const before = tf.memory();
      for (let i = 1; i < 50; i++) trainStep();
      recur.reset();
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      optimizer.dispose();
      recur.reset();
      tf.dispose([...xs, target]);
      recur.cell.dispose();
    });
  });
});
