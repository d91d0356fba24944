/**
 * What a mask value means (issue 16 item 9): every nonzero value is a valid step (0.5, −1 and NaN
 * included), on every backend and on every path (fused kernels, the step loop of a user cell), as
 * tf.layers reads a mask on its cpu backend (it casts the mask to bool; checked here on tf.layers).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { GRU, LSTM, RNN, Recurrence, type Carry, type RecurrentCell } from 'rnn-migrate';
import { activateBackend, describeBackends, tf } from '../helpers/backends.js';

const [B, T, D, H] = [2, 4, 3, 8];
/** Row 0: 1, 0.5, NaN, 0; row 1: −1, 0, 2, 1. */
const oddMask = () => tf.tensor2d([1, 0.5, Number.NaN, 0, -1, 0, 2, 1], [B, T]);
const binaryMask = () => tf.tensor2d([1, 1, 1, 0, 1, 0, 1, 1], [B, T]);
const x = () => tf.tensor3d(Float32Array.from({ length: B * T * D }, (_, i) => Math.sin(i * 0.7)), [B, T, D]);

/** Output, carries and the input gradient of a layer call with the given mask. */
function run(apply: (x: tf.Tensor3D, mask: tf.Tensor2D) => { output: tf.Tensor; carry: Carry }, mask: tf.Tensor2D): Float32Array[] {
  return tf.tidy(() => {
    const input = x();
    const { output, carry } = apply(input, mask);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.square(apply(v as tf.Tensor3D, mask).output)))(input);
    return [output, ...Object.values(carry), dx].map((t) => t.dataSync() as Float32Array);
  });
}

describeBackends('mask values', () => {
  for (const [name, Layer] of [['LSTM', LSTM], ['GRU', GRU], ['RNN', RNN]] as const) {
    it(`${name}: a float mask of 0.5, −1, 2 or NaN means valid, exactly as 1 (fused kernels)`, () => {
      const layer = new Layer(D, H, { seed: 3 });
      const apply = (input: tf.Tensor3D, mask: tf.Tensor2D) => layer.apply(input, undefined, { mask });
      const [odd, binary] = [oddMask(), binaryMask()];
      const got = run(apply, odd);
      expect(got.every((v) => v.every(Number.isFinite))).toBe(true);
      expect(got).toEqual(run(apply, binary));
      tf.dispose([odd, binary]);
      layer.dispose();
    });
  }

  it('the step loop of a user cell reads the mask the same way', () => {
    const fused = new LSTM(D, H, { seed: 4 });
    // A cell without `sequence`: Recurrence loops over step with tfjs ops.
    const cell = fused.cell as RecurrentCell<Carry>;
    const looped = new Recurrence({
      inputSize: cell.inputSize, hiddenSize: cell.hiddenSize, initialCarry: (b: number) => cell.initialCarry(b),
      step: (input: tf.Tensor2D, carry: Carry) => cell.step(input, carry), getWeights: () => cell.getWeights(),
      setWeights: (w: tf.Tensor[]) => cell.setWeights(w), trainableVariables: () => cell.trainableVariables(), dispose: () => cell.dispose(),
    });
    const [odd, binary] = [oddMask(), binaryMask()];
    const got = run((input, mask) => looped.apply(input, undefined, { mask }), odd);
    const want = run((input, mask) => fused.apply(input, undefined, { mask }), binary);
    got.forEach((v, i) => v.forEach((value, j) => expect(Math.abs(value - want[i][j])).toBeLessThan(1e-5)));
    tf.dispose([odd, binary]);
    fused.dispose();
  });
});

// On cpu. tf.layers on wasm casts float → bool by truncating to a byte (0.5 → 0, −1 → 255, 2 → 2),
// then blends with those values: garbage for such masks (4.22), not a reading to follow.
it('tf.layers (cpu) reads a mask the same way: 0.5, −1, 2 and NaN are valid steps there too', async () => {
  await activateBackend('cpu');
  const layer = tfl.layers.lstm({ units: H, returnSequences: true, returnState: true });
  const call = (mask: tf.Tensor2D) => tf.tidy(() =>
    (layer.apply(x(), { mask }) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
  const [odd, binary] = [oddMask(), binaryMask()];
  const got = call(odd);
  expect(got.flat().every(Number.isFinite)).toBe(true);
  expect(got).toEqual(call(binary));
  tf.dispose([odd, binary]);
  layer.dispose();
});
