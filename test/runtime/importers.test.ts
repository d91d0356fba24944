/**
 * Importers. PyTorch is not available here, so its equations are written out below in plain
 * JavaScript on the PyTorch layout (weight_ih [G·H, in] with gates i,f,g,o / r,z,n, two biases),
 * the way torch.nn documents them, and the imported cells must reproduce them.
 */
import { expect, it } from 'vitest';
import {
  LSTM,
  RNN,
  RnnShapeError,
  Recurrence,
  cellFromLayersLayer,
  fromLayersLayer,
  gruCellFromTorch,
  lstmCellFromTorch,
  rnnCellFromTorch,
} from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn } from './helpers.js';

const [IN, H] = [3, 2];
const X = [
  [0.5, -1.0, 0.25],
  [1.5, 0.3, -0.7],
  [-0.2, 0.8, 1.1],
]; // one sequence of three steps

/** Distinct, small, deterministic entries: a transposed or re-ordered block cannot go unnoticed. */
function matrix(rows: number, cols: number, salt: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (((i * 7 + j * 3 + salt) % 11) - 5) / 10));
}
const vector = (n: number, salt: number) => matrix(1, n, salt)[0];

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** W·v + b for W [rows, n]. */
const affine = (w: number[][], v: number[], b: number[]) => w.map((row, i) => row.reduce((s, wij, j) => s + wij * v[j], b[i]));
const block = (v: number[], k: number) => v.slice(k * H, (k + 1) * H);

function torchLstm(sd: Record<string, number[][] | number[]>, suffix = '_l0') {
  const [wih, whh, bih, bhh] = [`weight_ih${suffix}`, `weight_hh${suffix}`, `bias_ih${suffix}`, `bias_hh${suffix}`].map((k) => sd[k]);
  let h = [0, 0];
  let c = [0, 0];
  const outputs: number[][] = [];
  for (const x of X) {
    const pre = affine(wih as number[][], x, bih as number[]).map((v, i) => v + affine(whh as number[][], h, bhh as number[])[i]);
    const [i, f, g, o] = [0, 1, 2, 3].map((k) => block(pre, k));
    c = c.map((cj, j) => sigmoid(f[j]) * cj + sigmoid(i[j]) * Math.tanh(g[j]));
    h = c.map((cj, j) => sigmoid(o[j]) * Math.tanh(cj));
    outputs.push(h);
  }
  return { outputs, h, c };
}

function torchGru(sd: Record<string, number[][] | number[]>) {
  let h = [0, 0];
  const outputs: number[][] = [];
  for (const x of X) {
    const gi = affine(sd.weight_ih_l0 as number[][], x, sd.bias_ih_l0 as number[]);
    const gh = affine(sd.weight_hh_l0 as number[][], h, sd.bias_hh_l0 as number[]);
    const r = block(gi, 0).map((v, j) => sigmoid(v + block(gh, 0)[j]));
    const z = block(gi, 1).map((v, j) => sigmoid(v + block(gh, 1)[j]));
    const n = block(gi, 2).map((v, j) => Math.tanh(v + r[j] * block(gh, 2)[j]));
    h = h.map((hj, j) => (1 - z[j]) * n[j] + z[j] * hj);
    outputs.push(h);
  }
  return { outputs, h };
}

function torchRnn(sd: Record<string, number[][] | number[]>, act: (v: number) => number) {
  let h = [0, 0];
  const outputs: number[][] = [];
  for (const x of X) {
    const gh = affine(sd.weight_hh as number[][], h, sd.bias_hh as number[]);
    h = affine(sd.weight_ih as number[][], x, sd.bias_ih as number[]).map((v, j) => act(v + gh[j]));
    outputs.push(h);
  }
  return { outputs, h };
}

function stateDict(gates: number, suffix: string, salt = 0) {
  return {
    [`weight_ih${suffix}`]: matrix(gates * H, IN, 1 + salt),
    [`weight_hh${suffix}`]: matrix(gates * H, H, 2 + salt),
    [`bias_ih${suffix}`]: vector(gates * H, 3 + salt),
    [`bias_hh${suffix}`]: vector(gates * H, 5 + salt),
  };
}

function run(cell: ConstructorParameters<typeof Recurrence>[0]) {
  const layer = new Recurrence(cell);
  const x = tf.tensor3d([X]);
  const { output, carry } = layer.apply(x);
  const result = { outputs: (output.arraySync() as number[][][])[0], carry: carry as Record<string, tf.Tensor> };
  tf.dispose([x, output]);
  return result;
}

describeBackends('PyTorch importers', () => {
  it('LSTM: gates i,f,g,o transposed, the two biases summed', () => {
    const sd = stateDict(4, '_l0');
    const cell = lstmCellFromTorch(sd);
    expect([cell.inputSize, cell.hiddenSize]).toEqual([IN, H]);
    const expected = torchLstm(sd);
    const ours = run(cell);
    expectClose(ours.outputs.flat(), expected.outputs.flat());
    expectClose(Array.from(ours.carry.c.dataSync()), expected.c);
    tf.dispose(ours.carry as never);
    cell.dispose();
  });

  it('LSTM: layer and direction suffixes, a prefix, nn.LSTMCell keys, bias=False', () => {
    const sd = { ...stateDict(4, '_l0'), ...stateDict(4, '_l1_reverse', 4) };
    const prefixed = Object.fromEntries(Object.entries(sd).map(([k, v]) => [`encoder.rnn.${k}`, v]));
    const cell = lstmCellFromTorch(prefixed, { prefix: 'encoder.rnn.', layer: 1, reverse: true });
    const ours = run(cell);
    expectClose(ours.outputs.flat(), torchLstm(sd, '_l1_reverse').outputs.flat());
    tf.dispose(ours.carry as never);
    cell.dispose();

    // nn.LSTMCell without biases: the parameters have no suffix, and zeros stand in for the biases.
    const cellDict = stateDict(4, '');
    const noBias = { weight_ih: cellDict.weight_ih, weight_hh: cellDict.weight_hh };
    const unbiased = lstmCellFromTorch(noBias);
    const expected = torchLstm({ ...noBias, bias_ih: vector(4 * H, 0).map(() => 0), bias_hh: vector(4 * H, 0).map(() => 0) }, '');
    const result = run(unbiased);
    expectClose(result.outputs.flat(), expected.outputs.flat());
    tf.dispose(result.carry as never);
    unbiased.dispose();
  });

  it('GRU: gates r,z,n re-ordered to z,r,n, biases kept apart as rows 0 and 1', () => {
    const sd = stateDict(3, '_l0');
    const cell = gruCellFromTorch(sd);
    expect(cell.bias.shape).toEqual([2, 3 * H]);
    const ours = run(cell);
    expectClose(ours.outputs.flat(), torchGru(sd).outputs.flat());
    tf.dispose(ours.carry as never);
    cell.dispose();
  });

  it('RNN: tanh by default, relu when the module says so; tensors accepted as well as arrays', () => {
    const sd = stateDict(1, '');
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const tensors = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, tf.tensor(v)]));
      const cell = rnnCellFromTorch(tensors, { nonlinearity });
      const ours = run(cell);
      const act = nonlinearity === 'tanh' ? Math.tanh : (v: number) => Math.max(0, v);
      expectClose(ours.outputs.flat(), torchRnn(sd, act).outputs.flat());
      tf.dispose([tensors, ours.carry] as never);
      cell.dispose();
    }
  });

  it('hand-computed: a 1→1 LSTM step with PyTorch weights', () => {
    // weight_ih = [i 1, f 0, g 2, o 0]ᵀ, no recurrence, biases b_ih = [0, 1, 0, 0], b_hh = [0, 1, 0, 0]:
    // x = 0.5: i = σ(0.5), f = σ(2), g = tanh(1), o = σ(0); c = i·g, h = 0.5·tanh(c).
    const cell = lstmCellFromTorch({
      weight_ih: [[1], [0], [2], [0]],
      weight_hh: [[0], [0], [0], [0]],
      bias_ih: [0, 1, 0, 0],
      bias_hh: [0, 1, 0, 0],
    });
    const c = sigmoid(0.5) * Math.tanh(1);
    const x = tf.tensor2d([[0.5]]);
    const carry = cell.initialCarry(1);
    const next = cell.step(x, carry);
    expect(next.carry.c.dataSync()[0]).toBeCloseTo(c, 6);
    expect(next.output.dataSync()[0]).toBeCloseTo(0.5 * Math.tanh(c), 6);
    tf.dispose([x, carry, next] as never);
    cell.dispose();
  });

  it('missing or misshapen parameters name the key; projections are refused; nothing leaks', () => {
    const sd = stateDict(4, '_l0');
    const before = tf.memory().numTensors;
    expect(() => lstmCellFromTorch(sd, { layer: 1 })).toThrow(/weight_ih_l1 and weight_hh_l1/);
    expect(() => gruCellFromTorch(sd)).toThrow(RnnShapeError); // 4H rows where a GRU has 3H
    expect(() => lstmCellFromTorch({ ...sd, bias_hh_l0: [1, 2] })).toThrow(/bias_hh_l0 of shape \[8\]/);
    expect(() => lstmCellFromTorch({ ...sd, weight_hr_l0: [[1]] })).toThrow(/proj_size/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeBackends('tf.layers importers', () => {
  const x = () => randn([2, 4, IN]);

  it('LSTM (sigmoid): the same outputs as the tf.layers layer, returnSequences and goBackwards carried over', () => {
    for (const goBackwards of [false, true]) {
      const theirs = tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', goBackwards, biasInitializer: 'randomNormal' });
      const input = x();
      const expected = theirs.apply(input) as tf.Tensor;
      const ours = fromLayersLayer(theirs);
      expect(ours).toBeInstanceOf(LSTM);
      expect(ours.reverse).toBe(goBackwards);
      const { output, carry } = ours.apply(input);
      // goBackwards lists outputs in processing order; ours stay aligned with the input.
      tf.tidy(() => expectClose(goBackwards ? tf.reverse(output, 1) : output, expected));
      const cell = cellFromLayersLayer(theirs);
      const viaCell = new Recurrence(cell, { reverse: goBackwards }).apply(input);
      expectClose(viaCell.output, output);
      tf.dispose([input, expected, output, carry, viaCell] as never);
      theirs.dispose(); // our variables keep their own reference to the data
      expect(cell.kernel.isDisposed).toBe(false);
      tf.dispose(tf.tidy(() => new Recurrence(cell).apply(x()).output));
      ours.dispose();
      cell.dispose();
    }
  });

  it('SimpleRNN with relu and no bias, returnSequences: false', () => {
    const theirs = tf.layers.simpleRNN({ units: H, activation: 'relu', useBias: false });
    const input = x();
    const expected = theirs.apply(input) as tf.Tensor;
    const ours = fromLayersLayer(theirs);
    expect(ours).toBeInstanceOf(RNN);
    expect(ours.returnSequences).toBe(false);
    const { output, carry } = ours.apply(input);
    expectClose(output, expected);
    expect(Array.from(ours.cell.bias.dataSync())).toEqual([0, 0]);
    tf.dispose([input, expected, output, carry] as never);
    theirs.dispose();
    ours.dispose();
  });

  it("tf.layers cells stepped by hand: cellFromLayersLayer(cell).step is cell.call([x, h…]) with tf.layers' defaults (hard sigmoid, reset-before GRU)", () => {
    const cells = [
      tf.layers.lstmCell({ units: H, biasInitializer: 'randomNormal' }),
      tf.layers.gruCell({ units: H, biasInitializer: 'randomNormal' }),
      tf.layers.simpleRNNCell({ units: H, activation: 'relu', biasInitializer: 'randomNormal' }),
    ];
    for (const theirs of cells) {
      theirs.build([2, IN]);
      // Random recurrent kernels: reset-before and reset-after GRUs differ only through them.
      const weights = theirs.getWeights().map((w) => randn(w.shape));
      theirs.setWeights(weights);
      tf.dispose(weights);
      const lstm = theirs.getClassName() === 'LSTMCell';
      const [x, h, c] = [randn([2, IN]), randn([2, H]), randn([2, H])];
      const expected = theirs.call(lstm ? [x, h, c] : [x, h], {}) as tf.Tensor[];
      const ours = cellFromLayersLayer(theirs);
      const { output, carry } = ours.step(x as tf.Tensor2D, (lstm ? { h, c } : { h }) as never);
      expectClose(output, expected[0]);
      expectClose(carry.h, expected[1]);
      if (lstm) expectClose((carry as unknown as { c: tf.Tensor }).c, expected[2]);
      tf.dispose([x, h, c, output, carry, expected] as never);
      ours.dispose(); // a tf.layers cell never applied as a layer cannot be disposed
    }
    expect(() => fromLayersLayer(tf.layers.gruCell({ units: H }) as never)).toThrow(/expected an LSTM, GRU, SimpleRNN or Bidirectional layer, got GRUCell/);
  });

  it('refuses what our cells do not compute: a custom activation, dropout unasked, an unbuilt layer', () => {
    const input = x();
    const elu = tf.layers.lstm({ units: H, activation: 'elu' });
    tf.dispose(elu.apply(input) as tf.Tensor);
    expect(() => fromLayersLayer(elu)).toThrow(/LSTM layer's activation 'elu' has no rnn-migrate equivalent \(supported: 'tanh', 'relu', 'linear'\)/);
    const gru = tf.layers.gru({ units: H, recurrentDropout: 0.5 });
    tf.dispose(gru.apply(input) as tf.Tensor);
    expect(() => cellFromLayersLayer(gru)).toThrow(/recurrentDropout 0.5.*ignoreDropout: true/);
    const unbuilt = tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid' });
    expect(() => fromLayersLayer(unbuilt)).toThrow(/no weights yet/);
    for (const layer of [elu, gru]) layer.dispose();
    input.dispose();
  });
});
