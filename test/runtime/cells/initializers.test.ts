/**
 * The default initialisers of the built-in cells: the orthogonal one against tf.layers' own
 * Orthogonal (same seed: same draw, its QR through tf.linalg.qr), orthonormal on the right axis at
 * odd and non-square sizes; glorot-uniform's bounds and variance; and what construction costs in
 * tfjs terms: a fixed handful of ops and tidy scopes whatever the size, no array handed to tf.tidy
 * (whose result walk visits a typed array element by element: the seconds a 1024-unit LSTM took
 * to build), and no tensor left behind.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '../../../src/index.js';
import * as legacy from '../../../src/legacy/index.js';
import { glorotUniform, orthogonal } from '../../../src/runtime/cells/initializers.js';
import { describeBackends, tf } from '../../helpers/backends.js';
import { expectClose } from '../helpers.js';

type Disposable = { dispose(): void };

/** Every public way to build a cell with the default initialisers, at input size 3. */
const BUILDERS: Record<string, (hidden: number) => Disposable> = {
  LSTMCell: (h) => new LSTMCell(3, h),
  GRUCell: (h) => new GRUCell(3, h),
  'GRUCell resetAfter:false': (h) => new GRUCell(3, h, { resetAfter: false }),
  RNNCell: (h) => new RNNCell(3, h),
  LSTM: (h) => new LSTM(3, h),
  GRU: (h) => new GRU(3, h),
  RNN: (h) => new RNN(3, h),
  'legacy LSTM()': (h) => legacy.LSTM(3, h).cell,
  'legacy GRU()': (h) => legacy.GRU(3, h).cell,
  'legacy RNN()': (h) => legacy.RNN(3, h).cell,
};

/** The kernels and tidy scopes `build` goes through (tf.profile lists every kernel run). */
async function tfjsWork(build: () => Disposable): Promise<{ kernels: number; tidies: number }> {
  const tidy = vi.spyOn(tf.engine(), 'tidy');
  let built: Disposable | undefined;
  const info = await tf.profile(() => {
    built = build();
  });
  built!.dispose();
  const tidies = tidy.mock.calls.length;
  tidy.mockRestore();
  return { kernels: info.kernels.length, tidies };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describeBackends('initialisers', () => {
  // [rows, cols]: an LSTM's recurrent kernel at H = 5 ([H, 4H]), a GRU's at 7, an RNN's at 9, a tall one.
  const shapes: Array<[number, number]> = [[5, 20], [7, 21], [9, 9], [13, 4]];

  it.each(shapes)('orthogonal equals tf.layers\' Orthogonal for the same seed and gain ([%i, %i])', (rows, cols) => {
    for (const gain of [1, 1.5]) {
      const ours = orthogonal([rows, cols], 17, gain);
      const theirs = tf.tidy(() => tf.initializers.orthogonal({ seed: 17, gain }).apply([rows, cols]));
      expectClose(ours, theirs, 2e-5);
      tf.dispose([ours, theirs]);
    }
  });

  it.each(shapes)('orthogonal has orthonormal rows when wide, columns when tall ([%i, %i])', (rows, cols) => {
    const q = orthogonal([rows, cols], 3);
    tf.tidy(() => {
      const short = Math.min(rows, cols);
      const gram = rows < cols ? tf.matMul(q, q, false, true) : tf.matMul(q, q, true, false);
      expectClose(gram, tf.eye(short), 2e-6);
      // The other axis of a non-square matrix is not orthonormal: the test tells the two apart.
      if (rows !== cols) {
        const other = rows < cols ? tf.matMul(q, q, true, false) : tf.matMul(q, q, false, true);
        expect(tf.max(tf.abs(tf.sub(other, tf.eye(Math.max(rows, cols))))).dataSync()[0]).toBeGreaterThan(0.1);
      }
    });
    q.dispose();
  });

  it('each cell\'s recurrent kernel [H, gates·H] has orthonormal rows at an odd size', () => {
    for (const cell of [new LSTMCell(3, 11), new GRUCell(3, 11), new GRUCell(3, 11, { resetAfter: false }), new RNNCell(3, 11)]) {
      tf.tidy(() => expectClose(tf.matMul(cell.recurrentKernel, cell.recurrentKernel, false, true), tf.eye(11), 2e-6));
      cell.dispose();
    }
  });

  it('glorotUniform stays within ±sqrt(6 / (fanIn + fanOut)) with the uniform\'s mean and variance', () => {
    const [rows, cols] = [64, 256];
    const kernel = glorotUniform([rows, cols], 5);
    const values = kernel.dataSync();
    kernel.dispose();
    const limit = Math.sqrt(6 / (rows + cols));
    const n = values.length;
    let sum = 0, squares = 0, largest = 0;
    for (const v of values) {
      sum += v;
      squares += v * v;
      largest = Math.max(largest, Math.abs(v));
    }
    const variance = limit ** 2 / 3;
    expect(largest).toBeLessThanOrEqual(limit);
    expect(largest).toBeGreaterThan(0.99 * limit);
    // Five standard errors: the mean's is sqrt(variance / n); the variance estimate's sqrt(4/45 / n)·limit².
    expect(Math.abs(sum / n)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(Math.abs(squares / n - variance)).toBeLessThan(5 * Math.sqrt(4 / 45 / n) * limit ** 2);
  });

  it('a seed gives the same weights on every backend (the QR runs on the host)', async () => {
    const here = new LSTMCell(3, 6, { seed: 8 });
    const values = here.getWeights().map((w) => Array.from(w.dataSync()));
    here.dispose();
    const active = tf.getBackend();
    const other = active === 'cpu' ? 'wasm' : 'cpu';
    await tf.setBackend(other);
    const there = new LSTMCell(3, 6, { seed: 8 });
    there.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(values[i]));
    there.dispose();
    await tf.setBackend(active);
  });

  it.each(Object.keys(BUILDERS))('%s: construction runs the same few ops and tidy scopes at every size, and hands tf.tidy no array', async (name) => {
    const build = BUILDERS[name]!;
    const small = await tfjsWork(() => build(4));
    const large = await tfjsWork(() => build(37));
    expect(large).toEqual(small);
    expect(small.kernels).toBeLessThanOrEqual(8);
    // A tidy's result is walked key by key: a typed array of n values costs n set insertions.
    const tidy = vi.spyOn(tf.engine(), 'tidy');
    build(37).dispose();
    for (const result of tidy.mock.results) {
      expect(ArrayBuffer.isView(result.value), 'a typed array returned from tf.tidy').toBe(false);
    }
  });

  it.each(Object.keys(BUILDERS))('%s: building then disposing leaves tf.memory() as it was', (name) => {
    const before = tf.memory();
    BUILDERS[name]!(9).dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
