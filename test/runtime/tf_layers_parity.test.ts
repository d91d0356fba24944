/**
 * Numerics against an implementation nobody here wrote: tf.layers.lstm / gru / simpleRNN with the
 * same weights give the same outputs, final states and gradients (wrt input, initial state and
 * every weight), with and without masks, forwards and backwards.
 *
 * What differs by design, and how it is compared:
 * - Masks: tf.layers keeps the previous h as the output of a masked step, we output zeros; the
 *   loss reads outputs at valid steps only (and the final states, which agree).
 * - goBackwards returns outputs in processing order (reversed); `reverse` keeps them aligned with
 *   x, so ours are compared with tf.reverse(theirs, time axis).
 * - tf.layers' GRU only has resetAfter: false, (r⊙h)·Rn where ours is r⊙(h·Rn + b1n). The two
 *   agree when Rn is diagonal and the recurrent bias is zero, so the GRU weights are drawn that
 *   way, and the gradients compared are those both models have (Rn's diagonal, bias row 0).
 * - LSTM gates: tf.layers defaults to the hard sigmoid; ours to the logistic sigmoid. Both are
 *   compared, the hard sigmoid against tf.layers' default, on the JavaScript path (hidden 3, masks)
 *   and the SIMD path (hidden a multiple of 4, no mask).
 */
import { expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn, variableOf } from './helpers.js';
import { CELLS, type CellKind, type RecurrentActivation } from '../../src/runtime/kernels/cell_table.js';

type Kind = CellKind;
const [BATCH, TIME, IN, HIDDEN] = [3, 5, 4, 3];
// Row 1 loses its last two steps, row 2 has a gap: padding at the end and in the middle.
const MASK = [
  [1, 1, 1, 1, 1],
  [1, 1, 1, 0, 0],
  [1, 0, 1, 1, 0],
];

/** Random weights in our canonical layout (GRU: diagonal Rn and zero recurrent bias, see above). */
function ourWeights(kind: Kind, H: number): tf.Tensor[] {
  return tf.tidy(() => {
    const g = CELLS[kind].gates;
    const kernel = randn([IN, g * H], 0.5);
    let recurrent = randn([H, g * H], 0.5);
    let bias = randn([g * H], 0.5);
    if (kind === 'gru') {
      const [zr, n] = tf.split(recurrent, [2 * H, H], 1);
      recurrent = tf.concat([zr, tf.mul(n, tf.eye(H))], 1);
      bias = tf.stack([bias, tf.zeros([3 * H])]);
    }
    return [kernel, recurrent, bias];
  });
}

function ourLayer(kind: Kind, reverse: boolean, returnSequences: boolean, H: number, recurrentActivation: RecurrentActivation) {
  const options = { reverse, returnSequences };
  return kind === 'lstm' ? new LSTM(IN, H, { ...options, recurrentActivation }) : kind === 'gru' ? new GRU(IN, H, options) : new RNN(IN, H, options);
}

function theirLayer(kind: Kind, goBackwards: boolean, returnSequences: boolean, H: number, recurrentActivation: RecurrentActivation) {
  const common = { units: H, returnSequences, returnState: true, goBackwards };
  // tf.layers.lstm's default recurrentActivation is the hard sigmoid: left unset for that case.
  if (kind === 'lstm') return tf.layers.lstm(recurrentActivation === 'sigmoid' ? { ...common, recurrentActivation } : common);
  if (kind === 'gru') return tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
  return tf.layers.simpleRNN(common);
}

interface Case {
  kind: Kind;
  reverse: boolean;
  masked: boolean;
  returnSequences?: boolean;
  hidden?: number;
  recurrentActivation?: RecurrentActivation;
}

function compare({ kind, reverse, masked, returnSequences = true, hidden: H = HIDDEN, recurrentActivation = 'sigmoid' }: Case): void {
  const before = tf.memory().numTensors;
  const ours = ourLayer(kind, reverse, returnSequences, H, recurrentActivation);
  const theirs = theirLayer(kind, reverse, returnSequences, H, recurrentActivation);
  const weights = ourWeights(kind, H);
  ours.cell.setWeights(weights);
  const x = variableOf(randn([BATCH, TIME, IN]));
  const stateKeys = kind === 'lstm' ? ['h', 'c'] : ['h'];
  const states = stateKeys.map(() => variableOf(randn([BATCH, H], 0.5)));
  const mask = masked ? tf.tensor2d(MASK) : undefined;
  tf.dispose(theirs.apply(x, { initialState: states }) as tf.Tensor[]); // builds it
  const theirBiasValue = kind === 'gru' ? tf.tidy(() => tf.gather(weights[2], 0)) : weights[2];
  theirs.setWeights([weights[0], weights[1], theirBiasValue]);
  const theirVariables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);

  const outputWeights = randn(returnSequences ? [BATCH, TIME, H] : [BATCH, H]);
  const stateWeights = stateKeys.map(() => randn([BATCH, H]));
  // Outputs at valid steps only, and the final states.
  const validOutputs = mask && returnSequences ? tf.expandDims(mask, 2) : tf.scalar(1);
  const loss = (output: tf.Tensor, finalStates: tf.Tensor[]) =>
    tf.addN([
      tf.sum(tf.mul(tf.mul(output, validOutputs), outputWeights)),
      ...finalStates.map((s, i) => tf.sum(tf.mul(s, stateWeights[i]))),
    ]) as tf.Scalar;
  const carry = Object.fromEntries(stateKeys.map((key, i) => [key, states[i]]));

  let ourOutput: tf.Tensor | undefined;
  let ourStates: tf.Tensor[] = [];
  const ourGrads = tf.variableGrads(() => {
    const result = ours.apply(x, carry as never, { mask });
    ourOutput = tf.keep(result.output);
    ourStates = stateKeys.map((key) => tf.keep((result.carry as Record<string, tf.Tensor>)[key]));
    return loss(result.output, ourStates);
  }, [x, ...states, ...ours.trainableVariables()] as tf.Variable[]);

  let theirOutput: tf.Tensor | undefined;
  let theirStates: tf.Tensor[] = [];
  const theirGrads = tf.variableGrads(() => {
    const [output, ...finalStates] = theirs.apply(x, { initialState: states, mask }) as tf.Tensor[];
    // goBackwards lists outputs in processing order: put them back in x's order.
    const aligned = reverse && returnSequences ? tf.reverse(output, 1) : output;
    theirOutput = tf.keep(aligned);
    theirStates = finalStates.map((s) => tf.keep(s));
    return loss(aligned, finalStates);
  }, [x, ...states, ...theirVariables]);

  expectClose(ourGrads.value, theirGrads.value);
  tf.tidy(() => expectClose(tf.mul(ourOutput!, validOutputs), tf.mul(theirOutput!, validOutputs)));
  ourStates.forEach((s, i) => expectClose(s, theirStates[i]));
  if (mask && returnSequences) {
    // Our masked steps output zeros.
    const masked = tf.tidy(() => tf.sum(tf.abs(tf.mul(ourOutput!, tf.sub(1, validOutputs)))).dataSync()[0]);
    expect(masked).toBe(0);
  }

  const g = (v: tf.Variable) => ourGrads.grads[v.name];
  const t = (v: tf.Variable) => theirGrads.grads[v.name];
  expectClose(g(x), t(x));
  states.forEach((s) => expectClose(g(s), t(s)));
  const [kernel, recurrent, bias] = ours.trainableVariables();
  const [theirKernel, theirRecurrent, theirBias] = theirVariables;
  expectClose(g(kernel), t(theirKernel));
  if (kind === 'gru') {
    tf.tidy(() => {
      const [ourZr, ourN] = tf.split(g(recurrent), [2 * H, H], 1);
      const [theirZr, theirN] = tf.split(t(theirRecurrent), [2 * H, H], 1);
      expectClose(ourZr, theirZr);
      const diagonal = (m: tf.Tensor) => tf.sum(tf.mul(m, tf.eye(H)), 0);
      expectClose(diagonal(ourN), diagonal(theirN));
      expectClose(tf.gather(g(bias), 0), t(theirBias));
    });
  } else {
    expectClose(g(recurrent), t(theirRecurrent));
    expectClose(g(bias), t(theirBias));
  }

  tf.dispose([ourGrads, theirGrads, ourOutput, theirOutput, ourStates, theirStates] as unknown as tf.Tensor[]);
  tf.dispose([x, ...states, ...weights, theirBiasValue, outputWeights, ...stateWeights, validOutputs]);
  if (mask) mask.dispose();
  ours.dispose();
  theirs.dispose();
  expect(tf.memory().numTensors).toBe(before);
}

describeBackends('same weights as tf.layers', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    for (const reverse of [false, true]) {
      for (const masked of [false, true]) {
        it(`${kind}${reverse ? ', reverse vs goBackwards' : ''}${masked ? ', masked' : ''}: outputs, final states, gradients`, () =>
          compare({ kind, reverse, masked }));
      }
    }
    it(`${kind}, returnSequences: false, masked: the last output`, () =>
      compare({ kind, reverse: false, masked: true, returnSequences: false }));
  }
  for (const [hidden, masked] of [[3, true], [8, false]] as const) {
    for (const reverse of [false, true]) {
      it(`lstm, hardSigmoid gates vs tf.layers' default, hidden ${hidden}${reverse ? ', reverse' : ''}${masked ? ', masked' : ''}`, () =>
        compare({ kind: 'lstm', reverse, masked, hidden, recurrentActivation: 'hardSigmoid' }));
    }
  }
});
