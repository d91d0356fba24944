/**
 * The sequence drivers' products with the weights (time_loops.ts: x·K, the fused [x | h]·[K; R],
 * dx = dGates·Kᵀ, h·R and dGates·Rᵀ) use forms of K, [K; R] and Kᵀ prepared once per weight
 * lifetime: repeated forward and backward calls read K and R out of the backend and prepare their
 * forms only at the first call, and keep no more forms after it; a Variable assigned between
 * calls is seen at the next call (values and gradients against the composite implementation),
 * and the forms of its old values are released.
 */
import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../../helpers/backends.js';
import { cpuTensorIO, wasmTensorIO } from '../../../../src/runtime/kernels/host/backend_io.js';
import { hostMathFor } from '../../../../src/runtime/kernels/host/host_math.js';
import { keptOperandCount } from '../../../../src/runtime/kernels/host/prepared_weights.js';
import { differentiableNames, makeSequenceInputs, maxAbsDiff, runSequence, weightedSum, type SequenceCase } from '../cases.js';

const TOLERANCE = 1e-5;

const base = { timeMajor: false, reverse: false, masked: false, activation: 'tanh' } as const;
const cases: SequenceCase[] = [
  // Batch 1, few steps: like a stateful layer's call per frame (SIMD gates, fused [K; R]). Not
  // T = 1: the composite's gradient fails there (tfjs's Unpack gradient with one slice).
  { ...base, cell: 'lstm', batch: 1, time: 2, inputSize: 6, hidden: 8, seed: 401 },
  { ...base, cell: 'lstm', batch: 3, time: 4, inputSize: 5, hidden: 5, seed: 402 }, // JavaScript rows
  { ...base, cell: 'rnn', batch: 9, time: 3, inputSize: 4, hidden: 8, seed: 403 },
  { ...base, cell: 'gru', batch: 2, time: 5, inputSize: 3, hidden: 8, seed: 404 }, // x·K apart from h·R
  { ...base, cell: 'gru', batch: 1, time: 3, inputSize: 4, hidden: 5, seed: 405, resetAfter: false },
];

const label = (c: SequenceCase) => `${c.cell}${c.resetAfter === false ? ' reset-before' : ''} B${c.batch} T${c.time} I${c.inputSize} H${c.hidden}`;

describeBackends('sequence calls prepare the forms of K, [K; R] and Kᵀ once per weight lifetime', (backend) => {
  for (const c of cases) {
    it(`${label(c)}: repeated forwards and backwards read the weights once; an assign is seen`, () => {
      const kb = tf.backend();
      const math = hostMathFor(backend, () => (backend === 'wasm' ? wasmTensorIO : cpuTensorIO).math?.(kb));
      const { tensors } = makeSequenceInputs(c);
      const kernel = tf.variable(tensors.kernel);
      const recurrentKernel = tf.variable(tensors.recurrentKernel);
      const t = { ...tensors, kernel, recurrentKernel };
      const names = differentiableNames(c.cell);
      const loss = (implementation: 'fused' | 'composite') => (...values: tf.Tensor[]) =>
        weightedSum(runSequence(implementation, c, Object.fromEntries(names.map((n, i) => [n, values[i]]))), c.seed);
      let weightReads = 0;
      const readSync = kb.readSync.bind(kb);
      kb.readSync = (dataId: object) => {
        if (dataId === kernel.dataId || dataId === recurrentKernel.dataId) weightReads++;
        return readSync(dataId);
      };
      const keptBefore = keptOperandCount(math);
      /** One forward and backward; checked against the composite when `check`. */
      const call = (check: boolean) => {
        const inputs = names.map((n) => t[n as keyof typeof t]);
        const fused = runSequence('fused', c, t);
        const grads = tf.grads(loss('fused'))(inputs);
        if (check) {
          const reference = runSequence('composite', c, t);
          for (const name of ['output', 'h', 'c'] as const) {
            if (reference[name]) expect(maxAbsDiff(fused[name]!, reference[name]!), name).toBeLessThan(TOLERANCE);
          }
          const referenceGrads = tf.grads(loss('composite'))(inputs);
          grads.forEach((g, i) => expect(maxAbsDiff(g, referenceGrads[i]), `d${names[i]}`).toBeLessThan(TOLERANCE));
          tf.dispose([...Object.values(reference), ...referenceGrads]);
        }
        tf.dispose([...Object.values(fused), ...grads]);
      };
      try {
        for (let round = 0; round < 2; round++) {
          call(true);
          const [readsFirst, keptFirst] = [weightReads, keptOperandCount(math)];
          if (backend === 'cpu') expect(keptFirst).toBeGreaterThan(keptBefore); // the forms are kept at all
          for (let i = 0; i < 3; i++) call(false);
          expect(weightReads, 'reads of K and R after the first call').toBe(readsFirst);
          expect(keptOperandCount(math)).toBe(keptFirst);
          // New dataIds: the next call prepares from the new values and releases the old forms.
          tf.tidy(() => {
            kernel.assign(tf.mul(tf.add(kernel, 0.2), -0.8));
            recurrentKernel.assign(tf.mul(recurrentKernel, -1.3));
          });
          weightReads = 0;
        }
      } finally {
        kb.readSync = readSync;
      }
      tf.dispose([...Object.values(tensors), kernel, recurrentKernel]);
      expect(keptOperandCount(math)).toBe(keptBefore);
    });
  }
});
