/**
 * Gradients against central finite differences: every weight, the input and the initial carry,
 * through the fused sequence kernels (masked, reverse) and through cell.step.
 */
import { it } from 'vitest';
import { GRU, LSTM, RNN } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, finiteDifferences, randn, variableOf } from './helpers.js';
import type { CellKind } from '../../src/runtime/kernels/cell_table.js';

type Kind = CellKind;
const [BATCH, TIME, IN, H] = [2, 3, 2, 2];

function makeLayer(kind: Kind, reverse: boolean) {
  if (kind === 'lstm') return new LSTM(IN, H, { seed: 11, reverse });
  if (kind === 'gru') return new GRU(IN, H, { seed: 12, reverse });
  return new RNN(IN, H, { seed: 13, reverse });
}

describeBackends('gradients vs central finite differences', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    for (const reverse of [false, true]) {
      it(`${kind}${reverse ? ', reverse' : ''}, masked: d/dx, d/dcarry, d/dweights`, () => {
        const layer = makeLayer(kind, reverse);
        tf.tidy(() => layer.cell.bias.assign(randn(layer.cell.bias.shape, 0.5)));
        const x = variableOf(randn([BATCH, TIME, IN]));
        const keys = kind === 'lstm' ? ['h', 'c'] : ['h'];
        const carry = Object.fromEntries(keys.map((key) => [key, variableOf(randn([BATCH, H], 0.5))]));
        const mask = tf.tensor2d([[1, 1, 1], [1, 0, 1]]);
        const outputWeights = randn([BATCH, TIME, H]);
        const carryWeights = keys.map(() => randn([BATCH, H]));
        const loss = () =>
          tf.tidy(() => {
            const result = layer.apply(x, carry as never, { mask });
            const final = keys.map((key, i) => tf.sum(tf.mul((result.carry as Record<string, tf.Tensor>)[key], carryWeights[i])));
            return tf.addN([tf.sum(tf.mul(result.output, outputWeights)), ...final]) as tf.Scalar;
          });
        const variables = [x, ...Object.values(carry), ...layer.trainableVariables()];
        const { value, grads } = tf.variableGrads(loss, variables);
        for (const variable of variables) {
          expectClose(Array.from(grads[variable.name].dataSync()), finiteDifferences(loss, variable), 5e-4);
        }
        tf.dispose([value, grads, x, carry, mask, outputWeights, carryWeights] as never);
        layer.dispose();
      });
    }

    it(`${kind}: cell.step gradients`, () => {
      const layer = makeLayer(kind, false);
      tf.tidy(() => layer.cell.bias.assign(randn(layer.cell.bias.shape, 0.5)));
      const x = variableOf(randn([BATCH, IN]));
      const keys = kind === 'lstm' ? ['h', 'c'] : ['h'];
      const carry = Object.fromEntries(keys.map((key) => [key, variableOf(randn([BATCH, H], 0.5))]));
      const weights = keys.map(() => randn([BATCH, H]));
      const loss = () =>
        tf.tidy(() => {
          const next = layer.cell.step(x as tf.Tensor2D, carry as never).carry as Record<string, tf.Tensor>;
          return tf.addN(keys.map((key, i) => tf.sum(tf.mul(next[key], weights[i])))) as tf.Scalar;
        });
      const variables = [x, ...Object.values(carry), ...layer.trainableVariables()];
      const { value, grads } = tf.variableGrads(loss, variables);
      for (const variable of variables) {
        expectClose(Array.from(grads[variable.name].dataSync()), finiteDifferences(loss, variable), 5e-4);
      }
      tf.dispose([value, grads, x, carry, weights] as never);
      layer.dispose();
    });
  }
});
