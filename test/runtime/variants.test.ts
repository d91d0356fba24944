/**
 * Cell variants (DESIGN.md "Variants"): LSTM and GRU activation / recurrentActivation, GRU
 * resetAfter: false. Checked against implementations nobody here wrote or against written-out math:
 * - tf.layers.lstm / tf.layers.gru (reset before) with the same weights, for everything they
 *   compute: outputs, final states, gradients wrt x, initial state and every weight;
 * - a float64 loop in plain JavaScript for the reset-after GRU with other activations (tf.layers
 *   has no reset-after GRU), and central finite differences for its gradients;
 * - the defaults and the variants run the fused kernels (kernel names in tf.profile).
 */
import { expect, it } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, finiteDifferences, randn, variableOf } from './helpers.js';

const [BATCH, TIME, IN, H] = [3, 5, 4, 3];
type Act = 'tanh' | 'relu' | 'linear';
type Gate = 'sigmoid' | 'hardSigmoid';

/** tf.layers with the same weights, against our layer, values and gradients. */
function compareWithLayers(kind: 'lstm' | 'gru', activation: Act, recurrentActivation: Gate): void {
  const before = tf.memory().numTensors;
  const gates = kind === 'lstm' ? 4 : 3;
  const options = { activation, recurrentActivation, returnSequences: true } as const;
  const ours = kind === 'lstm' ? new LSTM(IN, H, options) : new GRU(IN, H, { ...options, resetAfter: false });
  const theirs = (kind === 'lstm' ? tf.layers.lstm : tf.layers.gru)({ units: H, returnSequences: true, returnState: true, activation, recurrentActivation });
  // Scaled so that hard sigmoid's clip is reached on some entries and not others.
  const weights = tf.tidy(() => [randn([IN, gates * H], 1.5), randn([H, gates * H], 1.5), randn([gates * H], 1.5)]);
  ours.cell.setWeights(weights);
  const x = variableOf(randn([BATCH, TIME, IN]));
  const stateKeys = kind === 'lstm' ? ['h', 'c'] : ['h'];
  const states = stateKeys.map(() => variableOf(randn([BATCH, H], 0.5)));
  tf.dispose(theirs.apply(x, { initialState: states }) as tf.Tensor[]); // builds it
  theirs.setWeights(weights);
  const theirVariables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
  const outputWeights = randn([BATCH, TIME, H]);
  const stateWeights = stateKeys.map(() => randn([BATCH, H]));
  const loss = (output: tf.Tensor, finalStates: tf.Tensor[]) =>
    tf.addN([tf.sum(tf.mul(output, outputWeights)), ...finalStates.map((s, i) => tf.sum(tf.mul(s, stateWeights[i])))]) as tf.Scalar;
  const carry = Object.fromEntries(stateKeys.map((key, i) => [key, states[i]]));

  const ourGrads = tf.variableGrads(() => {
    const result = ours.apply(x, carry as never);
    return loss(result.output, stateKeys.map((key) => (result.carry as Record<string, tf.Tensor>)[key]));
  }, [x, ...states, ...ours.trainableVariables()]);
  const theirGrads = tf.variableGrads(() => {
    const [output, ...finalStates] = theirs.apply(x, { initialState: states }) as tf.Tensor[];
    return loss(output, finalStates);
  }, [x, ...states, ...theirVariables]);

  expectClose(ourGrads.value, theirGrads.value);
  const pairs: [tf.Variable, tf.Variable][] = [
    [x, x],
    ...states.map((s): [tf.Variable, tf.Variable] => [s, s]),
    ...ours.trainableVariables().map((v, i): [tf.Variable, tf.Variable] => [v, theirVariables[i]]),
  ];
  for (const [mine, theirsVar] of pairs) expectClose(ourGrads.grads[mine.name], theirGrads.grads[theirsVar.name], 2e-5);

  tf.dispose([ourGrads.value, theirGrads.value, ...Object.values(ourGrads.grads), ...Object.values(theirGrads.grads)]);
  tf.dispose([x, ...states, ...weights, outputWeights, ...stateWeights]);
  ours.dispose();
  theirs.dispose();
  expect(tf.memory().numTensors).toBe(before);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const hardSigmoid = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));
const activate = (v: number, a: Act) => (a === 'tanh' ? Math.tanh(v) : a === 'relu' ? Math.max(0, v) : v);

/** The reset-after GRU written out in float64: returns the output sequence [batch][time][H]. */
function gruResetAfterReference(
  x: number[][][],
  h0: number[][],
  [kernel, recurrent, bias]: number[][][],
  activation: Act,
  gate: Gate,
): number[][][] {
  const gateFn = gate === 'sigmoid' ? sigmoid : hardSigmoid;
  return x.map((sequence, b) => {
    let h = h0[b].slice();
    return sequence.map((xt) => {
      const project = (j: number) => xt.reduce((sum, v, k) => sum + v * kernel[k][j], 0) + bias[0][j];
      const recur = (j: number) => h.reduce((sum, v, k) => sum + v * recurrent[k][j], 0) + bias[1][j];
      h = h.map((hPrev, u) => {
        const z = gateFn(project(u) + recur(u));
        const r = gateFn(project(H + u) + recur(H + u));
        const n = activate(project(2 * H + u) + r * recur(2 * H + u), activation);
        return (1 - z) * n + z * hPrev;
      });
      return h;
    });
  });
}

describeBackends('cell variants', () => {
  for (const activation of ['tanh', 'relu', 'linear'] as const) {
    for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
      it(`LSTM activation '${activation}', recurrentActivation '${gate}' = tf.layers.lstm (values, gradients)`, () =>
        compareWithLayers('lstm', activation, gate));
      it(`GRU resetAfter: false, '${activation}', '${gate}' = tf.layers.gru (values, gradients)`, () =>
        compareWithLayers('gru', activation, gate));
    }
  }

  for (const [activation, gate] of [['relu', 'hardSigmoid'], ['linear', 'sigmoid'], ['tanh', 'hardSigmoid']] as const) {
    it(`GRU reset after, '${activation}', '${gate}' = a float64 loop; gradients = finite differences`, () => {
      const before = tf.memory().numTensors;
      const gru = new GRU(IN, H, { activation, recurrentActivation: gate, seed: 3 });
      const weights = tf.tidy(() => [randn([IN, 3 * H]), randn([H, 3 * H]), randn([2, 3 * H])]);
      gru.cell.setWeights(weights);
      const x = randn([BATCH, TIME, IN]);
      const h0 = randn([BATCH, H], 0.5);
      const { output, carry } = gru.apply(x, { h: h0 });
      const expected = gruResetAfterReference(
        x.arraySync() as number[][][],
        h0.arraySync() as number[][],
        weights.map((w) => (w.rank === 1 ? [w.arraySync() as number[]] : (w.arraySync() as number[][]))),
        activation,
        gate,
      );
      expectClose(output, expected.flat(2));
      expectClose(carry.h, expected.map((rows) => rows[TIME - 1]).flat());

      const readout = randn([BATCH, TIME, H]);
      const lossFn = () => tf.tidy(() => tf.sum(tf.mul(gru.apply(x, { h: h0 }).output, readout)) as tf.Scalar);
      const { grads, value } = tf.variableGrads(lossFn, gru.trainableVariables());
      for (const variable of gru.trainableVariables()) {
        // Small weights of the variable perturbed by ε: a kink of relu or the clip is rarely crossed.
        expectClose(grads[variable.name], finiteDifferences(lossFn, variable, 1e-3), 2e-2);
      }
      tf.dispose([value, ...Object.values(grads), output, carry.h, x, h0, readout, ...weights]);
      gru.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('cell.step over the time steps = the sequence call, for the variants (what Recur.step runs)', () => {
    const before = tf.memory().numTensors;
    for (const layer of [
      new LSTM(IN, H, { recurrentActivation: 'hardSigmoid', activation: 'relu', seed: 5 }),
      new GRU(IN, H, { resetAfter: false, recurrentActivation: 'hardSigmoid', seed: 6 }),
    ]) {
      const x = randn([BATCH, TIME, IN]);
      tf.tidy(() => {
        const { output } = layer.apply(x);
        let carry = layer.cell.initialCarry(BATCH) as never;
        const steps = tf.unstack(x, 1).map((xt) => {
          const next = (layer.cell as LSTMCell).step(xt as tf.Tensor2D, carry);
          carry = next.carry as never;
          return next.output;
        });
        expectClose(tf.stack(steps, 1), output);
      });
      x.dispose();
      layer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the defaults and every variant run the fused sequence kernel (the reset-before GRU on the host backends)', async () => {
    const x = randn([2, 3, IN]);
    const kernelsOf = async (layer: LSTM | GRU) => {
      const profile = await tf.profile(() => tf.dispose(layer.apply(x).output));
      layer.dispose();
      return profile.kernelNames;
    };
    expect(await kernelsOf(new LSTM(IN, H))).toContain('RnnMigrateLstmSequence');
    expect(await kernelsOf(new GRU(IN, H))).toContain('RnnMigrateGruSequence');
    expect(await kernelsOf(new LSTM(IN, H, { recurrentActivation: 'hardSigmoid' }))).toContain('RnnMigrateLstmSequence');
    expect(await kernelsOf(new LSTM(IN, H, { activation: 'relu' }))).toContain('RnnMigrateLstmSequence');
    expect(await kernelsOf(new GRU(IN, H, { activation: 'linear', recurrentActivation: 'hardSigmoid' }))).toContain('RnnMigrateGruSequence');
    // tf.layers' GRU: reset before, hard-sigmoid gates.
    expect(await kernelsOf(new GRU(IN, H, { resetAfter: false, recurrentActivation: 'hardSigmoid' }))).toContain('RnnMigrateGruSequence');
    x.dispose();
  });

  it('resetAfter: false has bias [3H]; getWeights/setWeights follow it', () => {
    const cell = new GRUCell(IN, H, { resetAfter: false });
    expect(cell.getWeights().map((w) => w.shape)).toEqual([[IN, 3 * H], [H, 3 * H], [3 * H]]);
    const wrongBias = tf.zeros([2, 3 * H]);
    const [k, r] = cell.getWeights();
    expect(() => cell.setWeights([k, r, wrongBias])).toThrow(/bias of shape \[9\]/);
    wrongBias.dispose();
    cell.dispose();
  });

  it('unknown options are refused naming the allowed values, before any weight exists', () => {
    const before = tf.memory().numTensors;
    expect(() => new LSTMCell(IN, H, { activation: 'elu' as never })).toThrow(
      /new LSTMCell: activation must be one of 'tanh', 'relu', 'linear', got 'elu'/,
    );
    expect(() => new GRUCell(IN, H, { recurrentActivation: 'hard_sigmoid' as never })).toThrow(
      /new GRUCell: recurrentActivation must be one of 'sigmoid', 'hardSigmoid', got 'hard_sigmoid'/,
    );
    expect(() => new GRU(IN, H, { resetAfter: 'no' as never })).toThrow(/resetAfter must be one of true, false, got 'no'/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
