/**
 * The fused gradients against central finite differences of the fused forward: independent of
 * the composite implementation and of tfjs autodiff.
 */
import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../helpers/backends.js';
import { cellNames, differentiableNames, makeSequenceInputs, runSequence, runStep, weightedSum, type SequenceCase } from './cases.js';

// float32 forward: a step of 1e-2 keeps the rounding error of the difference quotient near
// 1e-5 while the truncation error (∝ step²) stays below 1e-4 for these O(1) functions.
const STEP = 1e-2;
const TOLERANCE = 2e-3;

function lossOf(c: SequenceCase, mask: tf.Tensor2D | undefined, single: boolean) {
  return (inputs: Record<string, tf.Tensor>): tf.Scalar => {
    const out: { output?: tf.Tensor; h: tf.Tensor; c?: tf.Tensor } = single ? runStep('fused', c, inputs) : runSequence('fused', c, inputs, mask);
    return weightedSum({ output: out.output, h: out.h, c: out.c }, c.seed);
  };
}

function checkAgainstFiniteDifferences(c: SequenceCase, single: boolean): void {
  tf.tidy(() => {
    const { tensors, mask } = makeSequenceInputs(c);
    if (single) tensors.x = tf.squeeze(tensors.x, [1]);
    const names = differentiableNames(c.cell);
    const loss = lossOf(c, mask, single);
    const analytic = tf.grads((...xs: tf.Tensor[]) => loss(Object.fromEntries(names.map((n, i) => [n, xs[i]]))))(names.map((n) => tensors[n]));
    names.forEach((name, which) => {
      const base = tensors[name].dataSync();
      const gradient = analytic[which].dataSync();
      for (let e = 0; e < base.length; e++) {
        const at = (delta: number) =>
          tf.tidy(() => {
            const values = Float32Array.from(base);
            values[e] += delta;
            return loss({ ...tensors, [name]: tf.tensor(values, tensors[name].shape) }).dataSync()[0];
          });
        const numeric = (at(STEP) - at(-STEP)) / (2 * STEP);
        expect(Math.abs(gradient[e] - numeric), `d${name}[${e}]: analytic ${gradient[e]} vs numeric ${numeric}`).toBeLessThanOrEqual(
          TOLERANCE * Math.max(1, Math.abs(numeric)),
        );
      }
    });
  });
}

describeBackends('fused gradients match central finite differences', () => {
  const layouts = [
    { timeMajor: false, reverse: false, masked: false },
    { timeMajor: true, reverse: true, masked: true },
  ];
  for (const cell of cellNames) {
    for (const layout of layouts) {
      const c: SequenceCase = { cell, batch: 2, time: 3, inputSize: 2, hidden: 2, activation: 'tanh', seed: 7, ...layout };
      it(`${cell} sequence${layout.timeMajor ? ' timeMajor reverse masked' : ''}`, () => checkAgainstFiniteDifferences(c, false));
    }
    it(`${cell} step`, () =>
      checkAgainstFiniteDifferences({ cell, batch: 2, time: 1, inputSize: 3, hidden: 2, activation: 'tanh', seed: 9, timeMajor: false, reverse: false, masked: false }, true));
  }
});
