/**
 * The composite time loop (src/runtime/kernels/composite/loop.ts) at masked steps: a NaN or ∞ in
 * the input there must reach neither the outputs, the carries nor the gradients of the recurrent
 * weights, the bias and the initial carries. Reference: each batch row run alone without a mask
 * over its valid prefix (row 0's masked steps trail, so its valid steps are a prefix).
 */
import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../../helpers/backends.js';
import { gruSequenceComposite } from '../../../../src/runtime/kernels/composite/gru.js';
import { lstmSequenceComposite } from '../../../../src/runtime/kernels/composite/lstm.js';
import { rnnSequenceComposite } from '../../../../src/runtime/kernels/composite/rnn.js';

const [BATCH, TIME, INPUT, H] = [2, 4, 3, 5];
const VALID_STEPS_ROW_0 = 2;

/** A composite sequence op with its weights bound: the outputs and the final carries (h first). */
type Run = (x: tf.Tensor3D, carries: tf.Tensor2D[], mask?: tf.Tensor2D) => tf.Tensor[];

interface Case {
  name: string;
  gates: number;
  carries: number;
  biasShape: number[];
  run(weights: tf.Tensor[]): Run;
}

const CASES: Case[] = [
  {
    name: 'lstm', gates: 4, carries: 2, biasShape: [4 * H],
    run: ([kernel, recurrentKernel, bias]) => (x, [h0, c0], mask) => {
      const r = lstmSequenceComposite({ x, h0, c0, mask, kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: bias as tf.Tensor1D });
      return [r.output, r.h, r.c];
    },
  },
  ...[false, true].map((resetAfter): Case => ({
    name: `gru resetAfter ${resetAfter}`, gates: 3, carries: 1, biasShape: resetAfter ? [2, 3 * H] : [3 * H],
    run: ([kernel, recurrentKernel, bias]) => (x, [h0], mask) => {
      const r = gruSequenceComposite({ x, h0, mask, kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias, resetAfter });
      return [r.output, r.h];
    },
  })),
  {
    name: 'rnn', gates: 1, carries: 1, biasShape: [H],
    run: ([kernel, recurrentKernel, bias]) => (x, [h0], mask) => {
      const r = rnnSequenceComposite({ x, h0, mask, activation: 'tanh', kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: bias as tf.Tensor1D });
      return [r.output, r.h];
    },
  },
];

/** Deterministic values in (-scale, scale). */
function values(length: number, seed: number, scale = 0.5): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * scale);
}

/** The loss: Σ output² + Σ carry², additive over batch rows (masked outputs are 0). */
const lossOf = (results: tf.Tensor[]) => tf.addN(results.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;

/** [outputs, carries…, then the gradients of recurrentKernel, bias and each initial carry], as arrays. */
function resultsOf(c: Case, weights: tf.Tensor[], x: tf.Tensor3D, carries: tf.Tensor2D[], mask?: tf.Tensor2D): Float32Array[] {
  return tf.tidy(() => {
    const [kernel] = weights;
    const forward = c.run(weights)(x, carries, mask);
    const gradients = tf.grads((recurrentKernel: tf.Tensor, bias: tf.Tensor, ...initial: tf.Tensor[]) =>
      lossOf(c.run([kernel, recurrentKernel, bias])(x, initial as tf.Tensor2D[], mask)))([weights[1], weights[2], ...carries]);
    return [...forward, ...gradients].map((t) => t.dataSync() as Float32Array);
  });
}

/** Rows [from, to) of a [BATCH, …] array of `width` floats per row. */
const rowsOf = (a: Float32Array, from: number, to: number, width: number) => a.subarray(from * width, to * width);

function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `${what} [${i}]: ${v} vs ${want[i]}`).toBeLessThan(1e-5));
}

describeBackends('composite loop, a NaN or ∞ at a masked step', () => {
  for (const c of CASES) {
    it(`${c.name}: outputs, carries and gradients equal each row's unmasked run of its valid prefix`, () => {
      const G = c.gates * H;
      const weights = [tf.tensor2d(values(INPUT * G, 1), [INPUT, G]), tf.tensor2d(values(H * G, 2), [H, G]), tf.tensor(values(c.biasShape.reduce((a, b) => a * b), 3), c.biasShape)];
      const xValues = values(BATCH * TIME * INPUT, 4, 1);
      xValues[VALID_STEPS_ROW_0 * INPUT] = Number.NaN; // row 0, its first masked step
      xValues[(TIME - 1) * INPUT + 1] = Number.POSITIVE_INFINITY; // row 0, its last step (masked)
      const x = tf.tensor3d(xValues, [BATCH, TIME, INPUT]);
      const mask = tf.tensor2d(Float32Array.from({ length: BATCH * TIME }, (_, i) => (i < TIME && i >= VALID_STEPS_ROW_0 ? 0 : 1)), [BATCH, TIME]);
      const carries = Array.from({ length: c.carries }, (_, i) => tf.tensor2d(values(BATCH * H, 5 + i), [BATCH, H]));
      const tensorsBefore = tf.memory().numTensors;

      const got = resultsOf(c, weights, x, carries, mask);
      const row = (b: number, steps: number) => resultsOf(c, weights, tf.slice(x, [b, 0, 0], [1, steps, INPUT]), carries.map((h) => tf.slice(h, [b, 0], [1, H])));
      const [row0, row1] = tf.tidy(() => [row(0, VALID_STEPS_ROW_0), row(1, TIME)]);
      expect(tf.memory().numTensors).toBe(tensorsBefore);

      expect(got.every((a) => a.every(Number.isFinite)), 'all finite').toBe(true);
      const [output, ...rest] = got;
      expectClose(output.subarray(0, VALID_STEPS_ROW_0 * H), row0[0], 'row 0 outputs at its valid steps');
      expect(Array.from(output.subarray(VALID_STEPS_ROW_0 * H, TIME * H)), 'row 0 outputs at its masked steps').toEqual(new Array((TIME - VALID_STEPS_ROW_0) * H).fill(0));
      expectClose(rowsOf(output, 1, 2, TIME * H), row1[0], 'row 1 outputs');
      for (let i = 0; i < c.carries; i++) {
        expectClose(rowsOf(rest[i], 0, 1, H), row0[1 + i], `row 0 final carry ${i}`);
        expectClose(rowsOf(rest[i], 1, 2, H), row1[1 + i], `row 1 final carry ${i}`);
        const dInitial = rest[c.carries + 2 + i];
        expectClose(rowsOf(dInitial, 0, 1, H), row0[1 + c.carries + 2 + i], `row 0 gradient of initial carry ${i}`);
        expectClose(rowsOf(dInitial, 1, 2, H), row1[1 + c.carries + 2 + i], `row 1 gradient of initial carry ${i}`);
      }
      // The loss adds over rows, so the weight gradients are the rows' sums.
      for (const [k, what] of [[0, 'recurrentKernel'], [1, 'bias']] as const) {
        const sum = row0[1 + c.carries + k].map((v, i) => v + row1[1 + c.carries + k][i]);
        expectClose(rest[c.carries + k], sum, `gradient of ${what}`);
      }
      tf.dispose([...weights, x, mask, ...carries]);
    });
  }
});
