/**
 * What constructing a cell or layer costs (users build them at page load, or one per model): every
 * public cell and sequence layer, rnn-migrate/layers' fused layers and the legacy factories, each
 * built (default initialisers) and disposed, with input size = H, beside
 * - tf.layers' own layer of the same kind built the same way (`tf.layers.lstm({units})` applied to
 *   a symbolic input: its orthogonal initialiser runs tf.linalg.qr), up to --layers-max (default 64:
 *   an LSTM took 3 s at 64 units and 142 s at 256 on cpu, 0.2 s and 3.7 s on wasm);
 * - two floors per cell kind: drawing the random numbers the initialisers draw (tfjs' uniform and
 *   normal generators, read back) and one copy of the weight bytes into three new tensors.
 * Columns are interleaved round by round (measure.ts); medians in ms. A column's tensor count must
 * come back where it started (LEAK otherwise).
 *
 * Run: npm run bench:init -- [--backend cpu,wasm] [--sizes 64,256,512,1024] [--rounds 3] [--warmup 1]
 *      [--kinds lstm,gru,rnn] [--layers-max 64] [--columns LSTMCell,floor]   (names starting so; default all)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from 'rnn-migrate';
import * as legacy from 'rnn-migrate/legacy';
import * as rnnLayers from 'rnn-migrate/layers';
import { median, timeInterleaved } from './measure.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu,wasm' },
    sizes: { type: 'string', default: '64,256,512,1024' },
    kinds: { type: 'string', default: 'lstm,gru,rnn' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'layers-max': { type: 'string', default: '64' },
    columns: { type: 'string', default: '' },
  },
});
const words = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const KINDS = ['lstm', 'gru', 'rnn'] as const;
type Kind = (typeof KINDS)[number];
const kinds = words(args.kinds).map((k) => {
  if (!(KINDS as readonly string[]).includes(k)) throw new Error(`--kinds: expected some of ${KINDS.join(', ')}, got "${k}"`);
  return k as Kind;
});
const GATES: Record<Kind, number> = { lstm: 4, gru: 3, rnn: 1 };

interface Column {
  name: string;
  run(): void | Promise<void>;
}

/** Builds a tf.layers-style layer on a symbolic [batch, time, H] input, then releases it. */
function buildLayer(make: () => tf.layers.Layer, inputSize: number): () => void {
  return () => {
    const layer = make();
    layer.apply(tf.input({ shape: [null, inputSize] }));
    layer.dispose();
  };
}

/** The floors of a cell kind: its random draw, and one copy of its weight bytes into tensors. */
function floors(kind: Kind, h: number): Column[] {
  const width = GATES[kind] * h;
  const shapes = [[h, width], [h, width], kind === 'gru' ? [2, width] : [width]];
  const bytes = shapes.map((shape) => new Float32Array(shape.reduce((a, n) => a * n, 1)));
  return [
    {
      name: `floor: ${kind} random draw`,
      run: () => {
        const drawn = [tf.randomUniform([h, width], -1, 1), tf.randomNormal([width, h])];
        drawn.forEach((t) => t.dataSync());
        tf.dispose(drawn);
      },
    },
    // slice(): the cpu backend keeps the array it is given, so without it nothing would be copied.
    { name: `floor: ${kind} copy weights`, run: () => tf.dispose(bytes.map((b, i) => tf.tensor(b.slice(), shapes[i]))) },
  ];
}

function columnsFor(kind: Kind, h: number, withLayers: boolean): Column[] {
  const d = h;
  const cells: Record<Kind, Column[]> = {
    lstm: [
      { name: 'LSTMCell', run: () => new LSTMCell(d, h).dispose() },
      { name: 'LSTM (sequence layer)', run: () => new LSTM(d, h).dispose() },
      { name: 'legacy LSTM()', run: () => legacy.LSTM(d, h).cell.dispose() },
      { name: 'rnn-migrate/layers lstm', run: buildLayer(() => rnnLayers.lstm({ units: h }), d) },
    ],
    gru: [
      { name: 'GRUCell', run: () => new GRUCell(d, h).dispose() },
      { name: 'GRUCell resetAfter:false', run: () => new GRUCell(d, h, { resetAfter: false }).dispose() },
      { name: 'GRU (sequence layer)', run: () => new GRU(d, h).dispose() },
      { name: 'legacy GRU()', run: () => legacy.GRU(d, h).cell.dispose() },
      { name: 'rnn-migrate/layers gru', run: buildLayer(() => rnnLayers.gru({ units: h }), d) },
    ],
    rnn: [
      { name: 'RNNCell', run: () => new RNNCell(d, h).dispose() },
      { name: 'RNN (sequence layer)', run: () => new RNN(d, h).dispose() },
      { name: 'legacy RNN()', run: () => legacy.RNN(d, h).cell.dispose() },
      { name: 'rnn-migrate/layers simpleRNN', run: buildLayer(() => rnnLayers.simpleRNN({ units: h }), d) },
    ],
  };
  const layers: Record<Kind, () => tf.layers.Layer> = {
    lstm: () => tf.layers.lstm({ units: h }),
    gru: () => tf.layers.gru({ units: h }),
    rnn: () => tf.layers.simpleRNN({ units: h }),
  };
  const reference = withLayers ? [{ name: `ref: tf.layers ${kind}`, run: buildLayer(layers[kind], d) }] : [];
  return [...cells[kind], ...reference, ...floors(kind, h)];
}

// tf.layers' Orthogonal warns on every matrix over 2,000 elements; once is enough here.
const warn = console.warn;
let warnedSlowOrthogonal = false;
console.warn = (...message: unknown[]) => {
  if (String(message[0]).startsWith('Orthogonal initializer')) {
    if (warnedSlowOrthogonal) return;
    warnedSlowOrthogonal = true;
  }
  warn(...message);
};

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const rounds = Number(args.rounds);
const warmup = Number(args.warmup);
const layersMax = Number(args['layers-max']);
const chosen = words(args.columns);
for (const backend of words(args.backend)) {
  await tf.setBackend(backend);
  await tf.ready();
  console.log(`\nconstruction bench, backend ${tf.getBackend()}, input size = H, median of ${rounds} interleaved rounds (ms), ` +
    `${os.cpus().length} cores, load ${load()}`);
  for (const h of words(args.sizes).map(Number)) {
    for (const kind of kinds) {
      const columns = columnsFor(kind, h, h <= layersMax).filter((c) => chosen.length === 0 || chosen.some((p) => c.name.startsWith(p)));
      // The warm-up runs count the tensors each column leaves behind.
      const leaks: number[] = [];
      for (const column of columns) {
        const before = tf.memory().numTensors;
        for (let i = 0; i < warmup; i++) await column.run();
        leaks.push((tf.memory().numTensors - before) / Math.max(1, warmup));
      }
      const samples = await timeInterleaved(columns, { reps: rounds, warmup: 0 });
      console.log(`${kind} H=${h} (load ${load()})`);
      columns.forEach((column, i) => {
        const leak = leaks[i] !== 0 ? `   LEAK: ${leaks[i]} tensors per run` : '';
        console.log(`  ${column.name.padEnd(30)} ${median(samples[i]).toFixed(1).padStart(10)}${leak}`);
      });
    }
  }
}
console.log(`\nload after: ${load()}`);
