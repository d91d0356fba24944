/**
 * Flux.jl issue #2185 through the legacy API: a 1→1 identity RNN with kernel 5, recurrent 4,
 * bias 0, initial state 7 and inputs 2 then 3; the loss is the last output.
 *   h1 = 5·2 + 4·7 = 38, h2 = 5·3 + 4·38 = 167
 *   right way (both steps in the loss): dK = 3 + 4·2 = 11, dR = 38 + 4·7 = 66, db = 1 + 4 = 5, dh0 = 4·4 = 16
 *   stale way (first step outside the loss): h1 is a constant, so dK = 3, dR = 38, db = 1
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { RNN, configureChecker } from '../../src/legacy/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { lineOf, recordWarnings } from './helpers.js';

const thisFile = fileURLToPath(import.meta.url);

function fluxRecur() {
  const recur = RNN(1, 1, { activation: 'linear' });
  recur.cell.setWeights([tf.tensor2d([[5]]), tf.tensor2d([[4]]), tf.tensor1d([0])]);
  const [kernel, recurrentKernel, bias] = recur.cell.trainableVariables();
  return { recur, kernel: kernel!, recurrentKernel: recurrentKernel!, bias: bias! };
}

const x1 = () => tf.tensor2d([[2]]);
const x2 = () => tf.tensor2d([[3]]);

async function valuesOf(grads: tf.NamedTensorMap, variables: tf.Variable[]): Promise<number[]> {
  return Promise.all(variables.map(async (v) => (await grads[v.name]!.data())[0]!));
}

describeBackends('Flux #2185 through Recur', () => {
  afterEach(() => configureChecker({ mode: 'warn' }));

  it('state set inside the loss, every step inside: loss 167, grads 11/66/5/16, no warning', async () => {
    const warnings = recordWarnings('warn');
    const { recur, kernel, recurrentKernel, bias } = fluxRecur();
    const initialState = tf.variable(tf.tensor2d([[7]]), true, `h0_${Math.random()}`);
    const { value, grads } = tf.variableGrads(() => {
      recur.state = { h: initialState };
      recur.step(x1());
      return recur.step(x2()).sum() as tf.Scalar;
    }, [kernel, recurrentKernel, bias, initialState]);
    expect((await value.data())[0]).toBeCloseTo(167, 4);
    expect(await valuesOf(grads, [kernel, recurrentKernel, bias, initialState])).toEqual([11, 66, 5, 16]);
    expect(warnings).toEqual([]);
    recur.cell.dispose();
    initialState.dispose();
  });

  it('first step outside the loss: truncated grads 3/38/1 and exactly one stale-state warning at this line', async () => {
    const warnings = recordWarnings('warn');
    const { recur, kernel, recurrentKernel, bias } = fluxRecur();
    recur.state = { h: tf.tensor2d([[7]]) };
    recur.step(x1()); // warm-up step outside the loss: the classic mistake
    const { value, grads } = tf.variableGrads(() => {
      return recur.step(x2()).sum() as tf.Scalar; // stale step site
    }, [kernel, recurrentKernel, bias]);
    expect((await value.data())[0]).toBeCloseTo(167, 4);
    expect(await valuesOf(grads, [kernel, recurrentKernel, bias])).toEqual([3, 38, 1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('stale-state');
    expect(warnings[0]!.site).toMatch(
      new RegExp(`flux_2185\\.test\\.ts:${lineOf(thisFile, '// stale step site')}:\\d+$`),
    );
    expect(warnings[0]!.message).toContain('reset()');
    expect(warnings[0]!.message).toContain('rnn-migrate');
    recur.cell.dispose();
  });
});
