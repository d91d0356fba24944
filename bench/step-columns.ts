/**
 * The per-step columns of `npm run bench:grid`: a stack of LSTM layers stepped at batch 1 (the
 * streaming / sampling regime), 32 steps from zero carries, as
 *   - rnn-migrate: stacked `LSTMCell.step` with explicit carries, and the legacy `Recur.step` loop;
 *   - tfjs-core `tf.multiRNNCell` over `tf.basicLSTMCell` closures, per step in tf.tidy, carries
 *     kept by hand (the magenta-js / ml5 lineage, /work/shared/REALWORLD.md): the reference;
 *   - a tf.layers stateful LSTM model (sigmoid gates), `resetStates()` then `predict` on [1, 1, D].
 * Every column returns the top layer's output of every step for the check.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { LSTMCell } from '../src/index.js';
import { LSTM as LegacyLSTM, configureChecker } from '../src/legacy/index.js';
import { makeWeights, type CaseWeights } from './cases.js';
import type { Prepared } from './columns.js';

export interface StepCase {
  layers: number;
  /** Hidden size of every layer; the input size is the same. */
  hidden: number;
  steps: number;
  /** Canonical weights per layer (kernel [H, 4H], recurrentKernel [H, 4H], bias [4H]). */
  weights: CaseWeights[];
  /** The inputs, [steps, H] row-major. */
  inputs: Float32Array;
}

export interface StepColumn {
  id: string;
  title: string;
  prepare(c: StepCase): Promise<Prepared | string>;
}

export function makeStepCase(layers: number, hidden: number, steps: number): StepCase {
  const size = { B: 1, T: steps, D: hidden, H: hidden };
  const weights = Array.from({ length: layers }, (_, l) => makeWeights('lstm', size, `bench-grid-layer${l}`));
  return { layers, hidden, steps, weights, inputs: weights[0].x };
}

/** Bytes of weights one step reads: L·((D + H)·4H + 4H) floats. */
export function stepWeightBytes({ layers, hidden }: Pick<StepCase, 'layers' | 'hidden'>): number {
  return 4 * layers * (2 * hidden * 4 * hidden + 4 * hidden);
}

/** The canonical weights of a layer as tensors [kernel, recurrentKernel, bias]. */
function canonical(w: CaseWeights, H: number): Tensor[] {
  return [tf.tensor2d(w.kernel, [H, 4 * H]), tf.tensor2d(w.recurrentKernel, [H, 4 * H]), tf.tensor1d(w.bias)];
}

/**
 * A column that runs `steps` steps per iteration: `begin` sets up the carries, `step(t)` runs one
 * step and returns the top output (kept only for the check), `end` releases the carries.
 */
function stepColumn(c: StepCase, loop: { begin(): void; step(t: number): Tensor; end(): void }, dispose: () => void): Prepared {
  const run = (collect: boolean) => {
    const outputs: Float32Array[] = [];
    loop.begin();
    for (let t = 0; t < c.steps; t++) {
      const top = loop.step(t);
      if (collect) outputs.push(top.dataSync() as Float32Array);
      top.dispose();
    }
    loop.end();
    return outputs;
  };
  return {
    tracksMemory: true,
    run: () => void run(false),
    async check() {
      const outputs = run(true);
      const all = new Float32Array(outputs.length * c.hidden);
      outputs.forEach((o, t) => all.set(o, t * c.hidden));
      return [all];
    },
    dispose,
  };
}

/** The inputs as per-step tensors of `shape` ([1, H] or [1, 1, H]). */
function stepInputs(c: StepCase, shape: number[]): Tensor[] {
  return Array.from({ length: c.steps }, (_, t) => tf.tensor(c.inputs.subarray(t * c.hidden, (t + 1) * c.hidden), shape));
}

type LstmCarry = { h: Tensor2D; c: Tensor2D };

const cellStep: StepColumn = {
  id: 'step',
  title: 'rnn-migrate LSTMCell.step',
  async prepare(c) {
    const H = c.hidden;
    const cells = c.weights.map((w) => {
      const cell = new LSTMCell(H, H);
      const init = canonical(w, H);
      cell.setWeights(init);
      tf.dispose(init);
      return cell;
    });
    const xs = stepInputs(c, [1, H]) as Tensor2D[];
    let carries: LstmCarry[] = [];
    return stepColumn(c, {
      begin: () => void (carries = cells.map((cell) => cell.initialCarry(1))),
      step(t) {
        const [next, top] = tf.tidy(() => {
          let input = xs[t];
          const out = cells.map((cell, l) => {
            const r = cell.step(input, carries[l]);
            input = r.output;
            return r.carry;
          });
          return [out, input.clone()] as const;
        });
        tf.dispose(carries);
        carries = next as LstmCarry[];
        return top;
      },
      end: () => tf.dispose(carries),
    }, () => {
      tf.dispose(xs);
      for (const cell of cells) cell.dispose();
    });
  },
};

const recurStep: StepColumn = {
  id: 'recur',
  title: 'rnn-migrate legacy Recur.step',
  async prepare(c) {
    configureChecker({ mode: 'off' });
    const H = c.hidden;
    const recurs = c.weights.map((w) => {
      const recur = LegacyLSTM(H, H);
      const init = canonical(w, H);
      recur.cell.setWeights(init);
      tf.dispose(init);
      return recur;
    });
    const xs = stepInputs(c, [1, H]) as Tensor2D[];
    const reset = () => recurs.forEach((r) => r.reset());
    return stepColumn(c, {
      begin: reset,
      // The Recur keeps its output as state: the top output is cloned for the caller to dispose.
      step: (t) => tf.tidy(() => recurs.reduce((input, recur) => recur.step(input) as Tensor2D, xs[t]).clone()),
      end: reset,
    }, () => {
      tf.dispose(xs);
      for (const recur of recurs) recur.cell.dispose();
    });
  },
};

/**
 * tf.basicLSTMCell weights from canonical ones: kernel [K; R] [D + H, 4H] with gate blocks
 * (i, f, g, o) → (i, j = g, f, o), bias likewise with the forget bias taken out of b_f.
 */
function basicWeights(w: CaseWeights, H: number, forgetBias: number): { kernel: Tensor2D; bias: tf.Tensor1D } {
  const order = [0, 2, 1, 3]; // basic block k takes canonical block order[k]
  const rows = 2 * H;
  const kernel = new Float32Array(rows * 4 * H);
  const stacked = [w.kernel, w.recurrentKernel];
  for (let r = 0; r < rows; r++) {
    const source = stacked[r < H ? 0 : 1];
    const row = (r % H) * 4 * H;
    order.forEach((from, k) => kernel.set(source.subarray(row + from * H, row + (from + 1) * H), r * 4 * H + k * H));
  }
  const bias = new Float32Array(4 * H);
  order.forEach((from, k) => bias.set(w.bias.subarray(from * H, (from + 1) * H), k * H));
  for (let j = 0; j < H; j++) bias[2 * H + j] -= forgetBias;
  return { kernel: tf.tensor2d(kernel, [rows, 4 * H]), bias: tf.tensor1d(bias) };
}

const multiRnnCell: StepColumn = {
  id: 'multi',
  title: 'tf.multiRNNCell(basicLSTMCell)',
  async prepare(c) {
    const H = c.hidden;
    const forgetBias = tf.scalar(1);
    const weights = c.weights.map((w) => basicWeights(w, H, 1));
    const cells = weights.map(({ kernel, bias }) =>
      (data: Tensor2D, cell: Tensor2D, hidden: Tensor2D) => tf.basicLSTMCell(forgetBias, kernel, bias, data, cell, hidden));
    const xs = stepInputs(c, [1, H]) as Tensor2D[];
    let cs: Tensor2D[] = [];
    let hs: Tensor2D[] = [];
    return stepColumn(c, {
      begin() {
        cs = cells.map(() => tf.zeros([1, H]));
        hs = cells.map(() => tf.zeros([1, H]));
      },
      step(t) {
        const [nextC, nextH] = tf.tidy(() => tf.multiRNNCell(cells, xs[t], cs, hs));
        tf.dispose([...cs, ...hs]);
        [cs, hs] = [nextC, nextH];
        return hs[hs.length - 1].clone();
      },
      end: () => tf.dispose([...cs, ...hs]),
    }, () => tf.dispose([forgetBias, ...xs, ...weights.flatMap((w) => [w.kernel, w.bias])]));
  },
};

const layersPredict: StepColumn = {
  id: 'layers',
  title: 'tf.layers stateful LSTM, predict',
  async prepare(c) {
    const H = c.hidden;
    const model = tfl.sequential();
    c.weights.forEach((_, l) => model.add(tfl.layers.lstm({
      units: H, stateful: true, returnSequences: true, recurrentActivation: 'sigmoid', ...(l === 0 ? { batchInputShape: [1, 1, H] } : {}),
      // Overwritten below; tf.layers' orthogonal initializer fails beside this tfjs-core build.
      kernelInitializer: 'zeros', recurrentInitializer: 'zeros',
    })));
    const init = c.weights.flatMap((w) => canonical(w, H));
    model.setWeights(init);
    tf.dispose(init);
    const xs = stepInputs(c, [1, 1, H]);
    return stepColumn(c, {
      begin: () => model.resetStates(),
      step: (t) => model.predict(xs[t]) as Tensor,
      end: () => model.resetStates(),
    }, () => {
      tf.dispose(xs);
      model.dispose();
    });
  },
};

export const STEP_COLUMNS: StepColumn[] = [cellStep, recurStep, multiRnnCell, layersPredict];
/** tfjs-core ops written independently of this package: the values every other column must match. */
export const STEP_REFERENCE = 'multi';
