/**
 * The legacy loop (reset, then step over t) against the blocked layers of 'rnn-migrate' with the
 * same weights: outputs, final carry and gradients (weights, inputs, initial state) agree.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GRU as BlockedGRU, LSTM as BlockedLSTM, RNN as BlockedRNN, RnnShapeError } from '../../src/index.js';
import { GRU, LSTM, RNN, Recur, configureChecker, type RecurrentCell } from '../../src/legacy/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { maxAbsDifference, randomTensor, scaledMaxDifference } from './helpers.js';

const batch = 3;
const time = 5;
const inputSize = 4;
const hiddenSize = 6;
/** Outputs and carries: absolute. Gradients: relative to their magnitude when it exceeds 1 (relu). */
const tolerance = 1e-6;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRecur = Recur<RecurrentCell<any>>;
interface Case {
  name: string;
  legacy: () => AnyRecur;
  blocked: () => { cell: RecurrentCell; apply: (x: tf.Tensor3D, carry?: any) => { output: tf.Tensor; carry: any }; dispose(): void }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const cases: Case[] = [
  { name: 'RNN tanh', legacy: () => RNN(inputSize, hiddenSize), blocked: () => new BlockedRNN(inputSize, hiddenSize) },
  { name: 'RNN relu', legacy: () => RNN(inputSize, hiddenSize, { activation: 'relu' }), blocked: () => new BlockedRNN(inputSize, hiddenSize, { activation: 'relu' }) },
  { name: 'LSTM', legacy: () => LSTM(inputSize, hiddenSize), blocked: () => new BlockedLSTM(inputSize, hiddenSize) },
  { name: 'GRU', legacy: () => GRU(inputSize, hiddenSize), blocked: () => new BlockedGRU(inputSize, hiddenSize) },
];

/** Non-zero biases, so the bias gradients and the GRU's recurrent bias are exercised too. */
function randomizeWeights(cell: RecurrentCell, seed: number): void {
  const weights = cell.getWeights().map((w, i) => randomTensor(w.shape, seed + i));
  cell.setWeights(weights);
  tf.dispose(weights);
}

/** Steps of a [batch, time, in] tensor, as the legacy loop consumes them. */
function timesteps(x: tf.Tensor3D): tf.Tensor2D[] {
  return tf.unstack(x, 1) as tf.Tensor2D[];
}

beforeAll(() => configureChecker({ mode: 'error' })); // the right pattern must stay silent
afterAll(() => configureChecker({ mode: 'warn' }));

describeBackends('legacy loop == blocked layer', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: outputs, final carry and gradients agree`, () => {
      const recur = testCase.legacy();
      const layer = testCase.blocked();
      randomizeWeights(recur.cell, 11);
      layer.cell.setWeights(recur.cell.getWeights());
      const x = randomTensor([batch, time, inputSize], 1) as tf.Tensor3D;
      const initial = recur.cell.initialCarry(batch);
      const carryKeys = Object.keys(initial);
      const h0 = Object.fromEntries(carryKeys.map((key, i) => [key, randomTensor([batch, hiddenSize], 20 + i)]));
      tf.dispose(initial);
      const projection = randomTensor([batch, time, hiddenSize], 3);
      const before = tf.memory().numTensors;

      // One scalar of everything: all outputs, weighted, plus the final carry.
      const legacyLoss = (xIn: tf.Tensor, ...carryIn: tf.Tensor[]): tf.Scalar => {
        recur.reset();
        recur.state = Object.fromEntries(carryKeys.map((key, i) => [key, carryIn[i]!]));
        const outputs = timesteps(xIn as tf.Tensor3D).map((xt) => recur.step(xt));
        const finalCarry = carryKeys.map((key) => recur.state![key]!.sum());
        return tf.addN([tf.stack(outputs, 1).mul(projection).sum(), ...finalCarry]) as tf.Scalar;
      };
      const blockedLoss = (xIn: tf.Tensor, ...carryIn: tf.Tensor[]): tf.Scalar => {
        const { output, carry } = layer.apply(
          xIn as tf.Tensor3D,
          Object.fromEntries(carryKeys.map((key, i) => [key, carryIn[i]!])),
        );
        return tf.addN([output.mul(projection).sum(), ...carryKeys.map((key) => carry[key].sum())]) as tf.Scalar;
      };

      // Forward: every output and the final carry.
      tf.tidy(() => {
        recur.reset();
        recur.state = { ...h0 };
        const legacyOutputs = tf.stack(timesteps(x).map((xt) => recur.step(xt)), 1);
        const blocked = layer.apply(x, { ...h0 });
        expect(maxAbsDifference(legacyOutputs, blocked.output)).toBeLessThanOrEqual(tolerance);
        for (const key of carryKeys) {
          expect(maxAbsDifference(recur.state![key]!, blocked.carry[key])).toBeLessThanOrEqual(tolerance);
        }
      });

      // Gradients with respect to the input sequence and the initial carry...
      const inputs = [x, ...carryKeys.map((key) => h0[key]!)];
      const legacyInputGrads = tf.grads(legacyLoss)(inputs);
      const blockedInputGrads = tf.grads(blockedLoss)(inputs);
      legacyInputGrads.forEach((g, i) => expect(scaledMaxDifference(g, blockedInputGrads[i]!)).toBeLessThanOrEqual(tolerance));

      // ...and the weights.
      const legacyWeightGrads = tf.variableGrads(() => legacyLoss(x, ...inputs.slice(1)), recur.cell.trainableVariables());
      const blockedWeightGrads = tf.variableGrads(() => blockedLoss(x, ...inputs.slice(1)), layer.cell.trainableVariables());
      const legacyGrads = recur.cell.trainableVariables().map((v) => legacyWeightGrads.grads[v.name]!);
      const blockedGrads = layer.cell.trainableVariables().map((v) => blockedWeightGrads.grads[v.name]!);
      legacyGrads.forEach((g, i) => expect(scaledMaxDifference(g, blockedGrads[i]!)).toBeLessThanOrEqual(tolerance));

      tf.dispose([legacyInputGrads, blockedInputGrads, legacyWeightGrads, blockedWeightGrads]);
      recur.reset();
      tf.dispose([x, projection, h0]);
      // Everything above was released: the legacy state included.
      expect(tf.memory().numTensors).toBe(before - 2 - carryKeys.length);
      recur.cell.dispose();
      layer.dispose();
    });

    it(`${testCase.name}: recur.apply is the blocked call and leaves recur.state alone`, () => {
      const recur = testCase.legacy();
      const layer = testCase.blocked();
      layer.cell.setWeights(recur.cell.getWeights());
      tf.tidy(() => {
        const x = randomTensor([batch, time, inputSize], 5) as tf.Tensor3D;
        recur.step(randomTensor([batch, inputSize], 6));
        const stateBefore = recur.state!;
        const stateValues = Object.fromEntries(Object.entries(stateBefore).map(([k, t]) => [k, tf.clone(t)]));
        const viaRecur = recur.apply(x);
        const viaLayer = layer.apply(x);
        expect(maxAbsDifference(viaRecur.output, viaLayer.output)).toBeLessThanOrEqual(tolerance);
        for (const key of Object.keys(viaLayer.carry)) {
          expect(maxAbsDifference(viaRecur.carry[key], viaLayer.carry[key])).toBeLessThanOrEqual(tolerance);
        }
        expect(recur.state).toBe(stateBefore);
        for (const key of Object.keys(stateValues)) {
          expect(maxAbsDifference(recur.state![key]!, stateValues[key]!)).toBe(0);
        }
      });
      recur.reset();
      recur.cell.dispose();
      layer.dispose();
    });
  }

  it('unbatched steps ([in] → [hidden]) equal batch-of-one steps and keep the unbatched layout', () => {
    const unbatched = LSTM(inputSize, hiddenSize);
    const batched = new Recur(unbatched.cell);
    tf.tidy(() => {
      const xs = [0, 1, 2].map((t) => randomTensor([inputSize], 30 + t));
      for (const xt of xs) {
        const y = unbatched.step(xt);
        const yBatched = batched.step(xt.expandDims(0));
        expect(y.shape).toEqual([hiddenSize]);
        expect(unbatched.state!.h.shape).toEqual([hiddenSize]);
        expect(maxAbsDifference(y, yBatched.squeeze([0]))).toBe(0);
      }
    });
    unbatched.reset();
    batched.reset();
    unbatched.cell.dispose();
  });

  it('a stored state of batch 3 meeting an input of batch 2 throws RnnShapeError, in every mode', () => {
    const recur = GRU(inputSize, hiddenSize);
    for (const mode of ['off', 'warn', 'error'] as const) {
      configureChecker({ mode });
      tf.tidy(() => {
        recur.reset();
        recur.step(randomTensor([3, inputSize], 1));
        expect(() => recur.step(randomTensor([2, inputSize], 2))).toThrow(RnnShapeError);
        expect(() => recur.step(randomTensor([inputSize], 2))).toThrow(/batch 3.*reset\(\)/s);
      });
    }
    configureChecker({ mode: 'error' });
    recur.reset();
    recur.cell.dispose();
  });
});
