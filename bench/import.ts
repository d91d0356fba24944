/**
 * What importing weights costs: an LSTM (input size = H) imported from a built tf.layers layer
 * (fromLayersLayer, cellFromLayersLayer) and from tf.basicLSTMCell weights (cellFromBasicLSTMCell),
 * each import followed by dispose, next to two references: building a fresh cell and overwriting
 * its weights (what every importer did before it built the cell from the weights directly; by
 * default only up to H = 512; its orthogonal initialiser takes ~0.9 s at 1024) and copying the
 * three weight tensors (what an import that copies would cost at least). Columns are interleaved
 * round by round; the median of the rounds is reported, and each column's tensor count is checked
 * to come back where it started (no leak).
 *
 * Run: npm run bench:import -- [--backend cpu|wasm] [--sizes 256,512,1024] [--rounds 20] [--warmup 2]
 *      [--reference-max 512]   (the largest H with the new-cell-plus-setWeights column)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { LSTMCell, cellFromBasicLSTMCell, cellFromLayersLayer, fromLayersLayer } from 'rnn-migrate';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1]! : fallback;
}

const backend = argument('backend', 'cpu');
const sizes = argument('sizes', '256,512,1024').split(',').map(Number);
const rounds = Number(argument('rounds', '20'));
const warmup = Number(argument('warmup', '2'));
const referenceMax = Number(argument('reference-max', '512'));

await tf.setBackend(backend);
await tf.ready();

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Column {
  name: string;
  /** One import and its release. */
  run: () => void;
}

function columnsFor(hiddenSize: number): { columns: Column[]; release: () => void } {
  const inputSize = hiddenSize;
  // glorot recurrent init in the setup only: tf.layers' own orthogonal initializer is slow at these sizes.
  const layer = tf.layers.lstm({ units: hiddenSize, recurrentInitializer: 'glorotUniform' });
  tf.dispose(layer.apply(tf.zeros([1, 1, inputSize])) as tf.Tensor);
  const basicKernel = tf.randomNormal([inputSize + hiddenSize, 4 * hiddenSize], 0, 0.1, 'float32', 1);
  const basicBias = tf.randomNormal([4 * hiddenSize], 0, 0.1, 'float32', 2);
  const columns: Column[] = [
    { name: 'fromLayersLayer', run: () => fromLayersLayer(layer).dispose() },
    { name: 'cellFromLayersLayer', run: () => cellFromLayersLayer(layer).dispose() },
    { name: 'cellFromBasicLSTMCell', run: () => cellFromBasicLSTMCell(basicKernel, basicBias, 1).dispose() },
    // tf.clone would only add a reference; adding 0 writes a new buffer.
    { name: 'ref: copy the 3 weights', run: () => tf.dispose(tf.tidy(() => layer.getWeights().map((w) => tf.add(w, 0)))) },
  ];
  if (hiddenSize <= referenceMax) {
    columns.push({
      name: 'ref: new LSTMCell + setWeights',
      run: () => {
        const cell = new LSTMCell(inputSize, hiddenSize);
        cell.setWeights(layer.getWeights());
        cell.dispose();
      },
    });
  }
  return {
    columns,
    release: () => {
      layer.dispose();
      tf.dispose([basicKernel, basicBias]);
    },
  };
}

console.log(`import bench, backend ${tf.getBackend()}, ${rounds} rounds (median, ms), ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const hiddenSize of sizes) {
  const { columns, release } = columnsFor(hiddenSize);
  const samples = new Map<string, number[]>(columns.map((c) => [c.name, []]));
  const leaks = new Map<string, number>();
  for (const column of columns) {
    const before = tf.memory().numTensors;
    for (let i = 0; i < warmup; i++) column.run();
    leaks.set(column.name, tf.memory().numTensors - before);
  }
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so that drift within a round does not favour one column.
    const order = round % 2 === 0 ? columns : [...columns].reverse();
    for (const column of order) {
      const start = performance.now();
      column.run();
      samples.get(column.name)!.push(performance.now() - start);
    }
  }
  console.log(`LSTM ${hiddenSize}→${hiddenSize} (weights ${((4 * hiddenSize * 2 * hiddenSize + 4 * hiddenSize) * 4 / 2 ** 20).toFixed(1)} MiB)`);
  for (const column of columns) {
    const leaked = leaks.get(column.name)!;
    console.log(
      `  ${column.name.padEnd(32)} ${median(samples.get(column.name)!).toFixed(2).padStart(9)} ms` +
        (leaked !== 0 ? `   LEAK: ${leaked} tensors over ${warmup} runs` : ''),
    );
  }
  release();
}
console.log(`load after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
