/**
 * Every importer builds its cells on the imported weights: the random initialisers (glorot-uniform,
 * the orthogonal QR) never run, the cell holds exactly the source's values, importing then
 * disposing leaves tf.memory() as it was, and the ownership contracts hold (a tf.layers import
 * shares the layer's data, so disposing the layer leaves the cell working; the tensor importers
 * leave the caller's tensors alive). The initialiser module is wrapped in spies that count calls;
 * a fresh `new LSTMCell` shows the spies see the initialisers when they do run.
 */
import { beforeEach, expect, it, vi } from 'vitest';
import * as rnn from '../../../src/index.js';
import * as initializers from '../../../src/runtime/cells/initializers.js';
import { withInitialWeights } from '../../../src/runtime/cells/initial_weights.js';
import { describeBackends, tf } from '../../helpers/backends.js';
import { randn } from '../helpers.js';

vi.mock('../../../src/runtime/cells/initializers.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/runtime/cells/initializers.js')>();
  return { glorotUniform: vi.fn(original.glorotUniform), orthogonal: vi.fn(original.orthogonal) };
});

const [IN, H] = [3, 4];

type Disposable = { dispose(): void };
type WithCell = { cell: rnn.LSTMCell | rnn.GRUCell | rnn.RNNCell };

/** Initialiser calls while `run` runs. */
function initialiserCalls(run: () => void): number {
  vi.mocked(initializers.glorotUniform).mockClear();
  vi.mocked(initializers.orthogonal).mockClear();
  run();
  return vi.mocked(initializers.glorotUniform).mock.calls.length + vi.mocked(initializers.orthogonal).mock.calls.length;
}

/** Imports with `importer`, checking no initialiser ran and no tensor outlives dispose. */
function importChecked<T extends Disposable>(importer: () => T, check: (imported: T) => void): void {
  const before = tf.memory().numTensors;
  let imported: T | undefined;
  expect(initialiserCalls(() => (imported = importer()))).toBe(0);
  check(imported!);
  imported!.dispose();
  expect(tf.memory().numTensors).toBe(before);
}

const values = (tensors: tf.Tensor[]) => tensors.map((t) => Array.from(t.dataSync()));

/** A built tf.layers layer with random weights (biases included), so that nothing hides behind zeros. */
function builtLayer(layer: tf.layers.Layer): tf.layers.Layer {
  tf.dispose(layer.apply(tf.zeros([1, 2, IN])) as tf.Tensor);
  const random = layer.getWeights().map((w) => randn(w.shape, 0.8));
  layer.setWeights(random);
  tf.dispose(random);
  return layer;
}

beforeEach(() => {
  vi.mocked(initializers.glorotUniform).mockClear();
  vi.mocked(initializers.orthogonal).mockClear();
});

describeBackends('importers build cells on the imported weights', () => {
  it('the spies see the initialisers of a fresh cell (the control)', () => {
    for (const build of [() => new rnn.LSTMCell(IN, H), () => new rnn.GRUCell(IN, H), () => new rnn.RNNCell(IN, H)]) {
      let cell: Disposable | undefined;
      expect(initialiserCalls(() => (cell = build()))).toBe(2);
      cell!.dispose();
    }
  });

  for (const factory of ['lstm', 'gru', 'simpleRNN'] as const) {
    it(`fromLayersLayer / cellFromLayersLayer (${factory}): the layer's exact values, shared; the layer may be disposed first`, () => {
      const layer = builtLayer(tf.layers[factory]({ units: H }));
      const expected = values(layer.getWeights());
      const x = randn([1, 2, IN]);
      for (const importer of [() => rnn.fromLayersLayer(layer), () => ({ cell: rnn.cellFromLayersLayer(layer), dispose() { this.cell.dispose(); } })]) {
        importChecked<Disposable & WithCell>(importer, (imported) => expect(values(imported.cell.getWeights())).toEqual(expected));
      }
      // Disposing the tf.layers layer leaves the imported cell whole (reference-counted data).
      const kept = rnn.fromLayersLayer(layer);
      const step = () => tf.tidy(() => kept.cell.step(tf.reshape(tf.slice(x, [0, 0, 0], [1, 1, IN]), [1, IN]) as tf.Tensor2D, kept.cell.initialCarry(1) as never).output);
      const reference = step();
      layer.dispose();
      const after = step();
      expect(values(kept.cell.getWeights())).toEqual(expected);
      expect(Array.from(after.dataSync())).toEqual(Array.from(reference.dataSync()));
      kept.dispose();
      tf.dispose([x, reference, after]);
    });
  }

  it('fromLayersLayer on a Bidirectional and on a layer without bias (the zero bias freed)', () => {
    const pair = builtLayer(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H }) as never, mergeMode: 'sum' }));
    importChecked(() => rnn.fromLayersLayer(pair as tf.layers.Layer & { mergeMode: string }), (imported) => {
      expect(values([...imported.forward.cell.getWeights(), ...imported.backward.cell.getWeights()])).toEqual(values(pair.getWeights()));
    });
    const unbiased = builtLayer(tf.layers.gru({ units: H, useBias: false }));
    importChecked(() => rnn.cellFromLayersLayer(unbiased), (cell) => {
      expect(values(cell.getWeights())).toEqual([...values(unbiased.getWeights()), new Array(3 * H).fill(0)]);
    });
    pair.dispose();
    unbiased.dispose();
  });

  it('cellFromBasicLSTMCell and the split form: the reordered values; the caller keeps its tensors', () => {
    const kernel = randn([IN + H, 4 * H]);
    const bias = randn([4 * H]);
    const [k, b] = [tf.split(kernel, [IN, H], 0), tf.split(bias, 4)];
    const reorder = (m: tf.Tensor) => {
      const [i, j, f, o] = tf.split(m, 4, 1);
      return tf.concat([i, f, j, o], 1);
    };
    const expected = tf.tidy(() => values([reorder(k[0]), reorder(k[1]), tf.concat([b[0], tf.add(b[2], 0.5), b[1], b[3]])]));
    importChecked(() => rnn.cellFromBasicLSTMCell(kernel, bias, 0.5), (cell) => expect(values(cell.getWeights())).toEqual(expected));
    importChecked(() => rnn.cellFromBasicLSTMCellSplit(k[0], k[1], bias, 0.5), (cell) => expect(values(cell.getWeights())).toEqual(expected));
    expect([kernel, bias, ...k].every((t) => !t.isDisposed)).toBe(true);
    tf.dispose([kernel, bias, ...k, ...b]);
  });

  it('basicLSTMCellsFromCheckpoint and basicLSTMLayersFromCheckpoint', () => {
    const variables = { 'cell_0/kernel': randn([IN + H, 4 * H]), 'cell_0/bias': randn([4 * H]), 'cell_1/kernel': randn([2 * H, 4 * H]), 'cell_1/bias': randn([4 * H]) };
    const each = (all: Disposable[]) => ({ all, dispose: () => all.forEach((d) => d.dispose()) });
    importChecked(() => each(rnn.basicLSTMCellsFromCheckpoint(variables, 'cell_%d/')), ({ all }) => expect(all).toHaveLength(2));
    importChecked(() => each(rnn.basicLSTMLayersFromCheckpoint(variables, 'cell_%d/')), ({ all }) => expect(all).toHaveLength(2));
    tf.dispose(Object.values(variables));
  });

  it('the PyTorch importers', () => {
    const stateDict = (gates: number) => ({
      weight_ih_l0: randn([gates * H, IN]),
      weight_hh_l0: randn([gates * H, H]),
      bias_ih_l0: randn([gates * H]),
      bias_hh_l0: randn([gates * H]),
    });
    for (const [gates, importer] of [[4, rnn.lstmCellFromTorch], [3, rnn.gruCellFromTorch], [1, rnn.rnnCellFromTorch]] as const) {
      const sd = stateDict(gates);
      // Ours is PyTorch's transposed, with a GRU's gate blocks r, z, n reordered to z, r, n.
      const transposed = tf.tidy(() => {
        const [r, z, n] = gates === 3 ? tf.split(sd.weight_ih_l0, 3, 0) : [sd.weight_ih_l0];
        return tf.transpose(gates === 3 ? tf.concat([z!, r!, n!], 0) : r!);
      });
      importChecked(() => importer(sd), (cell) => expect(values([cell.kernel])).toEqual(values([transposed])));
      transposed.dispose();
      tf.dispose(Object.values(sd));
    }
  });

  it('the construction path refuses weights of the wrong shape before allocating anything', () => {
    const weights = [randn([IN, 4 * H]), randn([H, 4 * H]), randn([3 * H])];
    const before = tf.memory().numTensors;
    expect(() => new rnn.LSTMCell(IN, H, withInitialWeights({}, weights))).toThrow(rnn.RnnShapeError);
    expect(() => new rnn.LSTMCell(IN, H, withInitialWeights({}, weights))).toThrow(/bias of shape \[16\]/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(weights);
  });
});
