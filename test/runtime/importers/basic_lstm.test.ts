/**
 * tf.basicLSTMCell / tf.multiRNNCell weights into LSTMCell / LSTM. The reference is tfjs-core
 * itself: tf.basicLSTMCell and tf.multiRNNCell run with the very same tensors over random
 * sequences, one step at a time (as Magenta and ml5 do), and tfjs autodiff through them.
 */
import { describe, expect, it } from 'vitest';
import {
  LSTMCell,
  Recurrence,
  RnnShapeError,
  basicLSTMCellsFromCheckpoint,
  basicLSTMLayersFromCheckpoint,
  cellFromBasicLSTMCell,
  cellFromBasicLSTMCellSplit,
  type LSTMCarry,
} from '../../../src/index.js';
import { activateBackend, describeBackends, tf } from '../../helpers/backends.js';
import { expectClose, randn } from '../helpers.js';

const [B, T, IN, H] = [2, 5, 3, 4];

type Pair = [tf.Tensor2D, tf.Tensor2D];
type CellFunc = (x: tf.Tensor2D, c: tf.Tensor2D, h: tf.Tensor2D) => Pair;

const basicCell = (forgetBias: tf.Scalar | number, kernel: tf.Tensor, bias: tf.Tensor): CellFunc =>
  (x, c, h) => tf.basicLSTMCell(forgetBias, kernel as tf.Tensor2D, bias as tf.Tensor1D, x, c, h) as Pair;

/** One step per timestep of `xs` [batch, time, in] through `step`, as the public code loops. */
function referenceLoop(step: CellFunc, xs: tf.Tensor, c0: tf.Tensor, h0: tf.Tensor, reverse = false) {
  const inputs = tf.unstack(xs, 1) as tf.Tensor2D[];
  let [c, h] = [c0 as tf.Tensor2D, h0 as tf.Tensor2D];
  const outputs: tf.Tensor2D[] = new Array(inputs.length);
  const order = inputs.map((_, t) => t);
  for (const t of reverse ? order.reverse() : order) {
    [c, h] = step(inputs[t], c, h);
    outputs[t] = h;
  }
  return { output: tf.stack(outputs, 1), c, h };
}

/** The same loop on our cell's step with explicit { h, c } carries. */
function cellLoop(cell: LSTMCell, xs: tf.Tensor, carry: LSTMCarry) {
  const outputs = (tf.unstack(xs, 1) as tf.Tensor2D[]).map((x) => {
    ({ carry } = cell.step(x, carry));
    return carry.h;
  });
  return { output: tf.stack(outputs, 1), ...carry };
}

const trainableWeights = (seed: number) => ({
  kernel: randn([IN + H, 4 * H], 0.5, seed),
  bias: randn([4 * H], 0.5, seed + 1),
});

describeBackends('cellFromBasicLSTMCell', () => {
  for (const [label, forgetBias] of [
    ['default forgetBias 1', undefined],
    ['forgetBias 0.3', 0.3],
    ["Magenta's constant tf.scalar(1)", 'scalar'],
  ] as const) {
    it(`computes tf.basicLSTMCell step by step and as one blocked call (${label})`, () => {
      const { kernel, bias } = trainableWeights(10);
      const scalar = forgetBias === 'scalar' ? tf.scalar(1) : undefined;
      const given = forgetBias === 'scalar' ? scalar : forgetBias;
      const fb = given ?? 1;
      const before = tf.memory().numTensors;
      const cell = cellFromBasicLSTMCell(kernel, bias, given);
      expect([cell.inputSize, cell.hiddenSize]).toEqual([IN, H]);
      expect(tf.memory().numTensors).toBe(before + 3); // the cell's three variables, nothing else
      expect([kernel.isDisposed, bias.isDisposed, scalar?.isDisposed ?? false]).toEqual([false, false, false]);
      tf.tidy(() => {
        const xs = randn([B, T, IN], 1, 11);
        const [c0, h0] = [randn([B, H], 0.5, 12), randn([B, H], 0.5, 13)];
        const expected = referenceLoop(basicCell(fb, kernel, bias), xs, c0, h0);
        const stepped = cellLoop(cell, xs, { h: h0 as tf.Tensor2D, c: c0 as tf.Tensor2D });
        expectClose(stepped.output, expected.output);
        expectClose(stepped.c, expected.c);
        const start = { h: h0 as tf.Tensor2D, c: c0 as tf.Tensor2D };
        const blocked = new Recurrence(cell).apply(xs, start);
        expectClose(blocked.output, expected.output);
        expectClose(blocked.carry.h, expected.h);
        expectClose(blocked.carry.c, expected.c);
        const backward = new Recurrence(cell, { reverse: true }).apply(xs, start);
        const expectedBackward = referenceLoop(basicCell(fb, kernel, bias), xs, c0, h0, true);
        expectClose(backward.output, expectedBackward.output);
        expectClose(backward.carry.c, expectedBackward.c);
      });
      cell.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([kernel, bias, scalar ?? []]);
    });
  }

  it('takes split XH [in, 4H] and HH [H, 4H] kernels (sketch_rnn) like their row concatenation', () => {
    const xh = randn([IN, 4 * H], 0.5, 20);
    const hh = randn([H, 4 * H], 0.5, 21);
    const bias = randn([4 * H], 0.5, 22);
    const before = tf.memory().numTensors;
    const cell = cellFromBasicLSTMCellSplit(xh, hh, bias, 1);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.tidy(() => {
      const fused = tf.concat([xh, hh], 0);
      const xs = randn([B, T, IN], 1, 23);
      const zeros = tf.zeros([B, H]);
      const expected = referenceLoop(basicCell(1, fused, bias), xs, zeros, zeros);
      const stepped = cellLoop(cell, xs, cell.initialCarry(B));
      expectClose(stepped.output, expected.output);
      expectClose(stepped.c, expected.c);
    });
    cell.dispose();
    expect([xh.isDisposed, hh.isDisposed, bias.isDisposed]).toEqual([false, false, false]);
    tf.dispose([xh, hh, bias]);
  });

  // Where the data lives picks the path (gate_blocks.ts): block copies in the active backend's
  // memory, or a gather that first moves data still held by another backend.
  for (const made of ['on the active backend', 'on the other backend'] as const) {
    it(`moves Inf, −Inf, NaN and −0 weights exactly to their gate block, bit for bit, and nowhere else (made ${made})`, async () => {
      // Row-major [rows, 4H] as plain numbers; the expectation moves blocks j (1) and f (2) by index.
      const rows = IN + H;
      const words = new Uint32Array(rows * 4 * H);
      const kernelValues = new Float32Array(words.buffer);
      const random = randn([rows * 4 * H], 0.5, 40);
      kernelValues.set(random.dataSync());
      random.dispose();
      const at = (row: number, block: number, unit: number) => row * 4 * H + block * H + unit;
      kernelValues[at(1, 1, 2)] = Infinity; // input row, gate j
      kernelValues[at(IN + 2, 2, 0)] = -Infinity; // hidden row, gate f
      words[at(IN, 3, 1)] = 0x7fc12345; // a NaN with a payload, hidden row, gate o
      kernelValues[at(0, 2, 3)] = -0;
      const expected = new Uint32Array(words.length);
      const fromBlock = [0, 2, 1, 3]; // canonical (i, f, g, o) ← basic (i, j, f, o)
      for (let row = 0; row < rows; row++) {
        for (let block = 0; block < 4; block++) {
          for (let unit = 0; unit < H; unit++) expected[at(row, block, unit)] = words[at(row, fromBlock[block]!, unit)]!;
        }
      }
      const active = tf.getBackend();
      if (made === 'on the other backend') await activateBackend(active === 'cpu' ? 'wasm' : 'cpu');
      const kernel = tf.tensor2d(kernelValues, [rows, 4 * H]);
      const halves = tf.split(kernel, [IN, H], 0);
      const bias = tf.zeros([4 * H]);
      await activateBackend(active);
      const before = tf.memory().numTensors;
      const fused = cellFromBasicLSTMCell(kernel, bias, 1);
      const split = cellFromBasicLSTMCellSplit(halves[0]!, halves[1]!, bias, 1);
      for (const cell of [fused, split]) {
        const [inputKernel, recurrentKernel] = cell.getWeights();
        const imported = new Uint32Array(rows * 4 * H);
        imported.set(new Uint32Array((inputKernel!.dataSync() as Float32Array).slice().buffer));
        imported.set(new Uint32Array((recurrentKernel!.dataSync() as Float32Array).slice().buffer), IN * 4 * H);
        expect(Array.from(imported, (w) => w.toString(16))).toEqual(Array.from(expected, (w) => w.toString(16)));
      }
      fused.dispose();
      split.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([kernel, bias, halves]);
    });
  }

  it('has the gradients of tf.basicLSTMCell autodiff (inputs, initial carry, weights mapped to the canonical layout)', () => {
    const { kernel, bias } = trainableWeights(30);
    const cell = cellFromBasicLSTMCell(kernel, bias, 1);
    tf.tidy(() => {
      const xs = randn([B, T, IN], 1, 31);
      const [c0, h0] = [randn([B, H], 0.5, 32), randn([B, H], 0.5, 33)];
      const probe = randn([B, T, H], 1, 34); // a loss that weights every output differently
      const loss = (output: tf.Tensor, c: tf.Tensor) => tf.add(tf.sum(tf.mul(output, probe)), tf.sum(tf.square(c)));

      const [gx, gc, gh, gK, gb] = tf.grads((x, c, h, k, b) => {
        const run = referenceLoop(basicCell(1, k, b), x, c, h);
        return loss(run.output, run.c);
      })([xs, c0, h0, kernel, bias]);
      // The test's own statement of the layout: columns (i, j, f, o) → (i, f, j, o), rows split at IN.
      const columns = [0, 2, 1, 3].flatMap((block) => Array.from({ length: H }, (_, u) => block * H + u));
      const toCanonical = (t: tf.Tensor) => tf.gather(t, columns, t.rank - 1);
      const expectedKernel = toCanonical(tf.slice(gK, [0, 0], [IN, -1]));
      const expectedRecurrent = toCanonical(tf.slice(gK, [IN, 0], [H, -1]));
      const expectedBias = toCanonical(gb);

      for (const blocked of [false, true]) {
        const run = (x: tf.Tensor, c: tf.Tensor, h: tf.Tensor) => {
          const carry = { h: h as tf.Tensor2D, c: c as tf.Tensor2D };
          if (!blocked) return cellLoop(cell, x, carry);
          const { output, carry: last } = new Recurrence(cell).apply(x as tf.Tensor3D, carry);
          return { output, ...last };
        };
        const [ox, oc, oh] = tf.grads((x, c, h) => {
          const r = run(x, c, h);
          return loss(r.output, r.c);
        })([xs, c0, h0]);
        expectClose(ox, gx);
        expectClose(oc, gc);
        expectClose(oh, gh);
        const { grads } = tf.variableGrads(() => {
          const r = run(xs, c0, h0);
          return loss(r.output, r.c) as tf.Scalar;
        }, cell.trainableVariables());
        expectClose(grads[cell.kernel.name], expectedKernel);
        expectClose(grads[cell.recurrentKernel.name], expectedRecurrent);
        expectClose(grads[cell.bias.name], expectedBias);
      }
    });
    cell.dispose();
    tf.dispose([kernel, bias]);
  });
});

/** A checkpoint as Magenta's loader yields it: name → tensor, plus unrelated variables. */
function checkpoint(prefix: (layer: number) => string, sizes: number[], seed: number): Record<string, tf.Tensor> {
  const variables: Record<string, tf.Tensor> = { 'fully_connected/weights': tf.zeros([2, 2]) };
  for (let layer = 0; layer + 1 < sizes.length; layer++) {
    const [inputSize, hidden] = [sizes[layer], sizes[layer + 1]];
    variables[`${prefix(layer)}kernel`] = randn([inputSize + hidden, 4 * hidden], 0.5, seed + 2 * layer);
    variables[`${prefix(layer)}bias`] = randn([4 * hidden], 0.5, seed + 2 * layer + 1);
  }
  return variables;
}

describeBackends('tf.multiRNNCell stacks from checkpoint names', () => {
  const FORMAT = 'rnn/multi_rnn_cell/cell_%d/basic_lstm_cell/';
  const SIZES = [IN, 5, 4, 6]; // input, then each layer's hidden size

  it('steps like tf.multiRNNCell (cells) and runs the sequence as stacked blocked layers', () => {
    const vars = checkpoint((l) => FORMAT.replace('%d', String(l)), SIZES, 40);
    const before = tf.memory().numTensors;
    const cells = basicLSTMCellsFromCheckpoint(vars, FORMAT);
    const layers = basicLSTMLayersFromCheckpoint(vars, FORMAT, { forgetBias: 1 });
    expect(cells.map((c) => [c.inputSize, c.hiddenSize])).toEqual([[3, 5], [5, 4], [4, 6]]);
    expect(layers.length).toBe(3);
    tf.tidy(() => {
      const funcs = cells.map((_, l) => basicCell(1, vars[FORMAT.replace('%d', String(l)) + 'kernel'], vars[FORMAT.replace('%d', String(l)) + 'bias']));
      const xs = randn([B, T, IN], 1, 50);
      let c = SIZES.slice(1).map((size, l) => randn([B, size], 0.5, 60 + l) as tf.Tensor2D);
      let h = SIZES.slice(1).map((size, l) => randn([B, size], 0.5, 70 + l) as tf.Tensor2D);
      let carries: LSTMCarry[] = cells.map((_, l) => ({ h: h[l], c: c[l] }));
      const initial = carries;
      const topOutputs: tf.Tensor2D[] = [];
      for (const x of tf.unstack(xs, 1) as tf.Tensor2D[]) {
        [c, h] = tf.multiRNNCell(funcs, x, c, h) as [tf.Tensor2D[], tf.Tensor2D[]];
        let input = x;
        carries = cells.map((cell, l) => {
          const { output, carry } = cell.step(input, carries[l]);
          input = output;
          return carry;
        });
        carries.forEach((carry, l) => {
          expectClose(carry.c, c[l]);
          expectClose(carry.h, h[l]);
        });
        topOutputs.push(h[h.length - 1]);
      }
      let sequence: tf.Tensor = xs;
      layers.forEach((layer, l) => {
        const { output, carry } = layer.apply(sequence as tf.Tensor3D, initial[l]);
        expectClose(carry.c, c[l]);
        expectClose(carry.h, h[l]);
        sequence = output;
      });
      expectClose(sequence, tf.stack(topOutputs, 1));
    });
    [...cells, ...layers].forEach((x) => x.dispose());
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.values(vars).some((t) => t.isDisposed)).toBe(false);
    tf.dispose(Object.values(vars));
  });

  it('builds both directions of a bidirectional encoder (music_vae names, lstm_cell), the backward one reversed', () => {
    const format = (dir: string) => `encoder/cell_0/bidirectional_rnn/${dir}/multi_rnn_cell/cell_%d/lstm_cell/`;
    const vars = {
      ...checkpoint((l) => format('fw').replace('%d', String(l)), [IN, H], 80),
      ...checkpoint((l) => format('bw').replace('%d', String(l)), [IN, H], 90),
    };
    const [forward] = basicLSTMLayersFromCheckpoint(vars, format('fw'));
    const [backward] = basicLSTMLayersFromCheckpoint(vars, format('bw'), { layerOptions: { reverse: true } });
    tf.tidy(() => {
      const xs = randn([B, T, IN], 1, 95);
      const zeros = tf.zeros([B, H]);
      const cellOf = (dir: string) => basicCell(1, vars[format(dir).replace('%d', '0') + 'kernel'], vars[format(dir).replace('%d', '0') + 'bias']);
      // Magenta: the backward pass runs over tf.reverse(inputs) and its outputs are reversed back.
      const fw = referenceLoop(cellOf('fw'), xs, zeros, zeros);
      const bwReversed = referenceLoop(cellOf('bw'), tf.reverse(xs, 1), zeros, zeros);
      expectClose(forward.apply(xs).output, fw.output);
      const bw = backward.apply(xs);
      expectClose(bw.output, tf.reverse(bwReversed.output, 1));
      expectClose(bw.carry.h, bwReversed.h);
    });
    forward.dispose();
    backward.dispose();
    tf.dispose(Object.values(vars));
  });
});

describe('basicLSTMCell importers refuse bad input, leaking nothing', () => {
  const fresh = () => ({ kernel: tf.zeros([IN + H, 4 * H]), bias: tf.zeros([4 * H]) });
  const expectRefused = (call: () => unknown, error: new (...a: never[]) => Error, message: RegExp) => {
    expect(call).toThrow(error); // a first call, before measuring: it may create the test's own inputs
    const before = tf.memory().numTensors;
    expect(call).toThrow(error);
    expect(call).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  };

  it('names the kernel and bias layout when shapes are wrong', () => {
    const { kernel, bias } = fresh();
    // Made once per shape (on the first, unmeasured call), so the measured calls allocate nothing of the test's.
    const made = new Map<string, tf.Tensor>();
    const t = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => {
      const key = `${shape}/${dtype}`;
      if (!made.has(key)) made.set(key, tf.zeros(shape, dtype));
      return made.get(key)!;
    };
    expectRefused(() => cellFromBasicLSTMCell(t([7, 10]), t([10])), RnnShapeError, /4H columns \(gate blocks i, j, f, o\).*got shape \[7, 10\]/);
    expectRefused(() => cellFromBasicLSTMCell(t([4, 16]), t([16])), RnnShapeError, /in ≥ 1 \(H = 4.*got shape \[4, 16\]/);
    expectRefused(() => cellFromBasicLSTMCell(kernel, t([12])), RnnShapeError, /bias \[4H\] = \[16\], got shape \[12\]/);
    expectRefused(() => cellFromBasicLSTMCell(kernel, t([1, 16])), RnnShapeError, /bias \[4H\] = \[16\], got shape \[1, 16\]/);
    expectRefused(() => cellFromBasicLSTMCell(t([2, 7, 16]), bias), RnnShapeError, /kernel of rank 2/);
    expectRefused(() => cellFromBasicLSTMCell(t([7, 16], 'int32'), bias), TypeError, /kernel must have dtype float32/);
    expectRefused(() => cellFromBasicLSTMCell([[1]] as never, bias), TypeError, /kernel must be a tf.Tensor/);
    expectRefused(() => cellFromBasicLSTMCellSplit(t([IN, 16]), t([H, 12]), bias), RnnShapeError, /recurrentKernel/);
    expectRefused(() => cellFromBasicLSTMCellSplit(t([IN, 12]), t([H, 16]), bias), RnnShapeError, /inputKernel \[in, 4H\] = \[3, 16\], got shape \[3, 12\]/);
    expectRefused(() => cellFromBasicLSTMCellSplit(t([IN, 16]), t([5, 16]), bias), RnnShapeError, /recurrentKernel \[H, 4H\] = \[4, 16\], got shape \[5, 16\]/);
    tf.dispose([kernel, bias, ...made.values()]);
  });

  it('takes a forgetBias that folds exactly, and refuses a tf.Variable because folding changes its gradient', () => {
    const { kernel, bias } = fresh();
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      expectRefused(() => cellFromBasicLSTMCell(kernel, bias, bad), RangeError, /forgetBias must be a finite number/);
    }
    expectRefused(() => cellFromBasicLSTMCell(kernel, bias, '1' as never), TypeError, /forgetBias must be a finite number.*got string/);
    const vector = tf.ones([2]);
    expectRefused(() => cellFromBasicLSTMCell(kernel, bias, vector), RnnShapeError, /scalar tensor, got shape \[2\]/);
    const trainable = tf.variable(tf.scalar(1));
    expectRefused(() => cellFromBasicLSTMCell(kernel, bias, trainable), TypeError, /tf\.Variable \(trainable\).*gradient/);
    const frozen = tf.variable(tf.scalar(1), false);
    expectRefused(() => cellFromBasicLSTMCell(kernel, bias, frozen), TypeError, /tf\.Variable\..*assign\(\)/);
    expectRefused(
      () => basicLSTMCellsFromCheckpoint({ 'a/kernel': kernel, 'a/bias': bias }, 'a/', { forgetBias: trainable }),
      TypeError,
      /gradient/,
    );
    // The folded value lands in the forget block of the bias, and only there.
    const cell = cellFromBasicLSTMCell(kernel, bias, 0.75);
    expect(Array.from(cell.bias.dataSync())).toEqual([...Array(H).fill(0), ...Array(H).fill(0.75), ...Array(2 * H).fill(0)]);
    cell.dispose();
    tf.dispose([kernel, bias, vector, trainable, frozen]);
  });

  it('names every missing checkpoint variable, a gap in the stack and a stack that does not chain', () => {
    const prefix = (l: number) => `rnn/multi_rnn_cell/cell_${l}/basic_lstm_cell/`;
    const FORMAT = 'rnn/multi_rnn_cell/cell_%d/basic_lstm_cell/';
    const vars = checkpoint(prefix, [IN, H, H, H], 100);
    const { [`${prefix(1)}kernel`]: gapKernel, ...withGap } = vars;
    expectRefused(() => basicLSTMCellsFromCheckpoint(withGap, FORMAT), RnnShapeError, /'rnn\/multi_rnn_cell\/cell_1\/basic_lstm_cell\/kernel'/);
    expectRefused(() => basicLSTMCellsFromCheckpoint(vars, FORMAT, { layers: 4 }), RnnShapeError, /cell_3\/basic_lstm_cell\/kernel', 'rnn\/multi_rnn_cell\/cell_3\/basic_lstm_cell\/bias'/);
    expectRefused(() => basicLSTMLayersFromCheckpoint(vars, 'rnn/multi_rnn_cell/cell_%d/lstm_cell/'), RnnShapeError, /cell_0\/lstm_cell\/kernel'.*among 7 variables/);
    expectRefused(() => basicLSTMCellsFromCheckpoint(vars, 'cell_%d/x_%d/'), TypeError, /one %d/);
    expectRefused(() => basicLSTMCellsFromCheckpoint(vars, FORMAT, { layers: 0 }), RangeError, /layers must be a positive integer/);
    const unchained = { ...vars, [`${prefix(2)}kernel`]: tf.zeros([H + 2 + H, 4 * H]) };
    expectRefused(() => basicLSTMLayersFromCheckpoint(unchained, FORMAT), RnnShapeError, /cell 2 to take cell 1's output \(input size 4\)/);
    expectRefused(() => basicLSTMCellsFromCheckpoint(null as never, FORMAT), TypeError, /variables must be an object/);
    expect(basicLSTMCellsFromCheckpoint(vars, FORMAT, { layers: 2 }).map((c) => (c.dispose(), c.hiddenSize))).toEqual([H, H]);
    expect(gapKernel.isDisposed).toBe(false);
    tf.dispose([...Object.values(vars), unchained[`${prefix(2)}kernel`]]);
  });
});
