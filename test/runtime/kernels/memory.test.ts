/**
 * No op leaks a tensor: forward (with and without a tape), gradients, and optimizer steps; and
 * inference keeps no workspace (its bytes are exactly those of the visible outputs).
 */
import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../helpers/backends.js';
import { cellNames, differentiableNames, makeSequenceInputs, runSequence, runStep, weightedSum, type CellName, type SequenceCase } from './cases.js';

const caseFor = (cell: CellName): SequenceCase => ({
  cell, batch: 2, time: 5, inputSize: 3, hidden: 4, timeMajor: true, reverse: true, masked: true, activation: 'relu', seed: 3,
});

describeBackends('kernel ops keep tf.memory() flat', () => {
  for (const cell of cellNames) {
    it(`${cell}: forward keeps only its outputs and no workspace`, () => {
      const c = caseFor(cell);
      const { tensors, mask } = makeSequenceInputs(c);
      const before = tf.memory();
      const out = runSequence('fused', c, tensors, mask);
      const visible = [out.output, out.h, out.c].filter((t): t is tf.Tensor => t != null);
      const after = tf.memory();
      expect(after.numTensors - before.numTensors).toBe(visible.length);
      expect(after.numBytes - before.numBytes).toBe(visible.reduce((bytes, t) => bytes + t.size * 4, 0));
      tf.dispose(visible);

      const step = runStep('fused', c, { ...tensors, x: tf.zeros([c.batch, c.inputSize]) });
      tf.dispose([step.h, step.c]);
      expect(tf.memory().numTensors).toBe(before.numTensors + 1); // the zeros x
      tf.dispose([...Object.values(tensors), mask]);
    });

    it(`${cell}: tf.grads and tf.variableGrads leave nothing behind`, () => {
      const c = caseFor(cell);
      const { tensors, mask } = makeSequenceInputs(c);
      const names = differentiableNames(cell);
      const before = tf.memory().numTensors;
      const grads = tf.grads((...xs: tf.Tensor[]) => {
        const out = runSequence('fused', c, Object.fromEntries(names.map((n, i) => [n, xs[i]])), mask);
        return weightedSum({ output: out.output, h: out.h, c: out.c }, 1);
      })(names.map((n) => tensors[n]));
      expect(tf.memory().numTensors).toBe(before + names.length);
      tf.dispose(grads);

      const variables = Object.fromEntries(names.map((n) => [n, tf.variable(tensors[n])]));
      const withVariables = tf.memory().numTensors;
      const { value, grads: variableGrads } = tf.variableGrads(() => {
        const out = runSequence('fused', c, variables, mask);
        return weightedSum({ output: out.output, h: out.h, c: out.c }, 1);
      });
      expect(tf.memory().numTensors).toBe(withVariables + 1 + names.length);
      tf.dispose([value, ...Object.values(variableGrads)]);
      tf.dispose([...Object.values(variables), ...Object.values(tensors), mask]);
      expect(tf.memory().numTensors).toBe(before - names.length - (mask ? 1 : 0));
    });

    it(`${cell}: 20 optimizer.minimize steps over sequence and step ops`, () => {
      const c = caseFor(cell);
      const { tensors, mask } = makeSequenceInputs(c);
      const variables = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, tf.variable(t)]));
      tf.dispose(Object.values(tensors));
      const optimizer = tf.train.adam(0.01);
      const xStep = tf.ones([c.batch, c.inputSize]);
      const loss = () => {
        const out = runSequence('fused', c, variables, mask);
        const step = runStep('fused', c, { ...variables, x: xStep });
        return tf.add(tf.mean(tf.square(out.output)), tf.mean(step.h)) as tf.Scalar;
      };
      optimizer.minimize(loss); // the optimizer creates its slots on the first step
      const before = tf.memory().numTensors;
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const value = optimizer.minimize(loss, true)!;
        losses.push(value.dataSync()[0]);
        value.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      expect(losses[19]).toBeLessThan(losses[0]);
      optimizer.dispose();
      tf.dispose([...Object.values(variables), xStep, mask]);
    });
  }
});
