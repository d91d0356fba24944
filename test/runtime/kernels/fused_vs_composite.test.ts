import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../helpers/backends.js';
import {
  cellNames,
  differentiableNames,
  makeSequenceInputs,
  maxAbsDiff,
  runSequence,
  runStep,
  weightedSum,
  type Implementation,
  type SequenceCase,
} from './cases.js';

const TOLERANCE = 1e-5;

// Random sizes (fixed seeds) crossed with every layout option.
const sequenceCases: SequenceCase[] = cellNames.flatMap((cell, cellIndex) =>
  [
    { timeMajor: false, reverse: false, masked: false },
    { timeMajor: true, reverse: false, masked: true },
    { timeMajor: false, reverse: true, masked: true },
    { timeMajor: true, reverse: true, masked: false },
  ].map((layout, i) => {
    const seed = 11 + cellIndex * 13 + i * 5;
    return {
      cell,
      batch: 1 + (seed % 4),
      time: 2 + (seed % 5),
      inputSize: 1 + ((seed * 3) % 5),
      hidden: 1 + ((seed * 7) % 6),
      activation: (['tanh', 'relu', 'linear'] as const)[i % 3],
      seed,
      ...layout,
    };
  }),
).concat(
  // LSTM and GRU variants (every activation with hard-sigmoid gates, relu with sigmoid gates) on
  // the JavaScript path (masked, odd hidden) and the SIMD path (hidden a multiple of 4, no mask).
  (['lstm', 'gru'] as const).flatMap((cell) =>
    ([['tanh', 'hardSigmoid'], ['relu', 'hardSigmoid'], ['linear', 'hardSigmoid'], ['relu', 'sigmoid']] as const).flatMap(([activation, recurrentActivation], v) =>
      [
        { timeMajor: false, reverse: true, masked: true, hidden: 5 },
        { timeMajor: true, reverse: false, masked: false, hidden: 8 },
      ].map((layout, i) => ({ cell, batch: 3, time: 4, inputSize: 3, activation, recurrentActivation, seed: 90 + 7 * v + i, ...layout })),
    ),
  ),
  // The reset-before GRU (tf.layers' default with hard-sigmoid gates, and others) over every
  // layout; hidden 8 unmasked is where the reset-after GRU takes the SIMD path.
  ([
    { timeMajor: false, reverse: false, masked: false, hidden: 8, activation: 'tanh', recurrentActivation: 'hardSigmoid' },
    { timeMajor: true, reverse: false, masked: true, hidden: 5, activation: 'tanh', recurrentActivation: 'hardSigmoid' },
    { timeMajor: false, reverse: true, masked: true, hidden: 3, activation: 'relu', recurrentActivation: 'sigmoid' },
    { timeMajor: true, reverse: true, masked: false, hidden: 4, activation: 'linear', recurrentActivation: 'hardSigmoid' },
  ] as const).map((layout, i) => ({ cell: 'gru' as const, batch: 3, time: 5, inputSize: 4, resetAfter: false, seed: 130 + i, ...layout })),
);

const label = (c: SequenceCase) =>
  `${c.cell} B${c.batch} T${c.time} I${c.inputSize} H${c.hidden}${c.timeMajor ? ' timeMajor' : ''}${c.reverse ? ' reverse' : ''}${c.masked ? ' masked' : ''}${c.cell === 'rnn' || c.activation !== 'tanh' ? ` ${c.activation}` : ''}${c.recurrentActivation ? ` ${c.recurrentActivation}` : ''}${c.resetAfter === false ? ' resetBefore' : ''}`;

function sequenceOutputsAndGradients(implementation: Implementation, c: SequenceCase) {
  const { tensors, mask } = makeSequenceInputs(c);
  const names = differentiableNames(c.cell);
  const outputs = runSequence(implementation, c, tensors, mask);
  const loss = (...xs: tf.Tensor[]) => {
    const inputs = Object.fromEntries(names.map((n, i) => [n, xs[i]]));
    const out = runSequence(implementation, c, inputs, mask);
    return weightedSum({ output: out.output, h: out.h, c: out.c }, c.seed);
  };
  const grads = tf.grads(loss)(names.map((n) => tensors[n]));
  return { outputs, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]])) };
}

describeBackends('fused kernels agree with the composite implementation', () => {
  for (const c of sequenceCases) {
    it(`sequence ${label(c)}: outputs, h, c and every gradient`, () => {
      tf.tidy(() => {
        const fused = sequenceOutputsAndGradients('fused', c);
        const composite = sequenceOutputsAndGradients('composite', c);
        expect(fused.outputs.output.shape).toEqual(composite.outputs.output.shape);
        for (const key of ['output', 'h', 'c'] as const) {
          const f = fused.outputs[key];
          const r = composite.outputs[key];
          if (!f || !r) continue;
          expect(maxAbsDiff(f, r), key).toBeLessThanOrEqual(TOLERANCE);
        }
        for (const name of differentiableNames(c.cell)) {
          expect(fused.grads[name].shape, name).toEqual(composite.grads[name].shape);
          expect(maxAbsDiff(fused.grads[name], composite.grads[name]), `d${name}`).toBeLessThanOrEqual(TOLERANCE);
        }
      });
    });
  }

  const stepCases: Array<Pick<SequenceCase, 'cell' | 'recurrentActivation' | 'resetAfter'> & { activation?: SequenceCase['activation'] }> = [
    ...cellNames.map((cell) => ({ cell })),
    ...(['lstm', 'gru'] as const).flatMap((cell) => [
      { cell, recurrentActivation: 'hardSigmoid' as const },
      { cell, activation: 'relu' as const, recurrentActivation: 'hardSigmoid' as const },
      { cell, activation: 'linear' as const },
    ]),
    { cell: 'gru', recurrentActivation: 'hardSigmoid', resetAfter: false },
    { cell: 'gru', activation: 'relu', resetAfter: false },
  ];
  for (const { cell, recurrentActivation, activation = 'tanh', resetAfter } of stepCases) {
    const name = [cell, activation !== 'tanh' && activation, recurrentActivation, resetAfter === false && 'resetBefore'].filter(Boolean).join(' ');
    it(`${name} step: outputs and every gradient`, () => {
      tf.tidy(() => {
        const c: SequenceCase = { cell, batch: 3, time: 1, inputSize: 4, hidden: 5, timeMajor: false, reverse: false, masked: false, activation, recurrentActivation, resetAfter, seed: 5 };
        const { tensors } = makeSequenceInputs(c);
        const x = tf.squeeze(tensors.x, [1]);
        const names = differentiableNames(cell);
        const inputs: Record<string, tf.Tensor> = { ...tensors, x };
        const result = (implementation: Implementation) => {
          const step = runStep(implementation, c, inputs);
          const grads = tf.grads((...xs: tf.Tensor[]) => {
            const out = runStep(implementation, c, Object.fromEntries(names.map((n, i) => [n, xs[i]])));
            return weightedSum({ h: out.h, c: out.c }, 3);
          })(names.map((n) => inputs[n]));
          return { step, grads };
        };
        const fused = result('fused');
        const composite = result('composite');
        expect(maxAbsDiff(fused.step.h, composite.step.h)).toBeLessThanOrEqual(TOLERANCE);
        if (cell === 'lstm') expect(maxAbsDiff(fused.step.c!, composite.step.c!)).toBeLessThanOrEqual(TOLERANCE);
        names.forEach((name, i) => expect(maxAbsDiff(fused.grads[i], composite.grads[i]), `d${name}`).toBeLessThanOrEqual(TOLERANCE));
      });
    });
  }
});
