/**
 * The ops reach the fused kernels through the tfjs kernel registry (sequence and step, forward and
 * gradient), and a backend without fused kernels gets the same numbers from the composite path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend, describeBackends, tf } from '../../helpers/backends.js';
import * as names from '../../../src/runtime/kernels/kernel_names.js';
import { cellNames, differentiableNames, makeSequenceInputs, runSequence, runStep, weightedSum, type CellName, type SequenceCase } from './cases.js';

const fusedKernelNames = (Object.values(names) as unknown[]).filter((v): v is string => typeof v === 'string' && v.startsWith('RnnMigrate'));
const kernelOf = (cell: CellName) => names.CELLS[cell].kernels;

const caseFor = (cell: CellName, time = 4): SequenceCase => ({
  cell, batch: 3, time, inputSize: 2, hidden: 3, timeMajor: false, reverse: true, masked: true, activation: 'tanh', seed: 21,
});

/** Forward outputs and all gradients of a sequence (or a step), as plain arrays. */
function numbers(cell: CellName, single: boolean): number[][] {
  return tf.tidy(() => {
    const c = caseFor(cell, single ? 1 : 4);
    const { tensors, mask } = makeSequenceInputs(c);
    if (single) tensors.x = tf.squeeze(tensors.x, [1]);
    const inputNames = differentiableNames(cell);
    const run = (inputs: Record<string, tf.Tensor>) => (single ? runStep('fused', c, inputs) : runSequence('fused', c, inputs, mask));
    const out = run(tensors) as { output?: tf.Tensor; h: tf.Tensor; c?: tf.Tensor };
    const grads = tf.grads((...xs: tf.Tensor[]) => {
      const o = run(Object.fromEntries(inputNames.map((n, i) => [n, xs[i]]))) as { output?: tf.Tensor; h: tf.Tensor; c?: tf.Tensor };
      return weightedSum({ output: o.output, h: o.h, c: o.c }, 4);
    })(inputNames.map((n) => tensors[n]));
    return [out.output, out.h, out.c, ...grads].filter((t): t is tf.Tensor => t != null).map((t) => Array.from(t.dataSync()));
  });
}

/** The kernels `f` ran (f keeps no tensors: it returns plain numbers). */
async function profiledKernels(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => {
    f();
    return tf.scalar(0);
  });
  tf.dispose(info.result as tf.Tensor);
  return info.kernelNames;
}

describeBackends('the ops dispatch through the kernel registry', () => {
  for (const cell of cellNames) {
    it(`${cell}: the fused sequence and step kernels and their Grad kernels run`, async () => {
      const k = kernelOf(cell);
      const sequence = await profiledKernels(() => numbers(cell, false));
      expect(sequence).toContain(k.sequence);
      expect(sequence).toContain(k.sequenceGrad);
      const step = await profiledKernels(() => numbers(cell, true));
      expect(step).toContain(k.step);
      expect(step).toContain(k.stepGrad);
      // The composite path would show per-step matmuls inside the sequence kernel's place.
      expect(sequence.filter((n) => n === 'BatchMatMul')).toHaveLength(0);
    });
  }
});

describe('a backend without fused kernels runs the composite path with the same numbers', () => {
  const compositeBackend = 'cpu-composite';
  const fusedResults = new Map<string, number[][]>();

  beforeAll(async () => {
    await activateBackend('cpu');
    for (const cell of cellNames) {
      fusedResults.set(`${cell} sequence`, numbers(cell, false));
      fusedResults.set(`${cell} step`, numbers(cell, true));
    }
    // A second cpu backend carrying every cpu kernel except ours.
    const CpuBackend = tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend;
    tf.registerBackend(compositeBackend, () => new CpuBackend());
    tf.copyRegisteredKernels('cpu', compositeBackend);
    for (const name of fusedKernelNames) {
      if (tf.getKernel(name, compositeBackend)) tf.unregisterKernel(name, compositeBackend);
    }
    await activateBackend(compositeBackend);
  });

  afterAll(async () => {
    await activateBackend('cpu');
    tf.removeBackend(compositeBackend);
  });

  for (const cell of cellNames) {
    it(`${cell}: sequence and step`, async () => {
      for (const single of [false, true]) {
        const kernels = await profiledKernels(() => numbers(cell, single));
        expect(kernels.filter((n) => n.startsWith('RnnMigrate'))).toEqual([]);
        const composite = numbers(cell, single);
        const fused = fusedResults.get(`${cell} ${single ? 'step' : 'sequence'}`)!;
        expect(composite.length).toBe(fused.length);
        composite.forEach((values, i) => values.forEach((v, j) => expect(Math.abs(v - fused[i][j])).toBeLessThanOrEqual(1e-5)));
      }
    });
  }
});
