/**
 * npm run bench:layers [-- options]
 *
 * model.fit epoch time of tf.sequential([<recurrent layer>, dense]) with rnn-migrate/layers'
 * drop-in layer against tf.layers' own, from the same initial weights on the same data (issue 13:
 * [LSTM(128), Dense] on 32×64×32). Each epoch's loss is compared between the two (the same
 * trajectory is part of the result, not only the time).
 *
 *   --backend wasm,cpu                         backends (default both)
 *   --variant lstm,lstm-hard,lstm-relu,gru,gru-sigmoid   layer configurations (default all), all
 *   on the fused kernels (the reset-before GRU on cpu and wasm, the composite on webgl/webgpu):
 *       lstm         tf.layers.lstm({ recurrentActivation: 'sigmoid' })
 *       lstm-hard    tf.layers.lstm defaults: hard-sigmoid gates
 *       lstm-relu    tf.layers.lstm({ activation: 'relu' }) (hard-sigmoid gates)
 *       gru          tf.layers.gru defaults: reset before, hard sigmoid
 *       gru-sigmoid  tf.layers.gru({ recurrentActivation: 'sigmoid' })
 *   --size 32x64x32 --units 128 --batch-size 32   data [samples, time, features], layer units, fit batch
 *   --epochs 5 --warmup 1                      timed epochs (median reported) after untimed ones
 *   --json                                     print JSON instead of a table
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as rnnLayers from 'rnn-migrate/layers';

const VARIANTS = {
  lstm: { factory: 'lstm', args: { recurrentActivation: 'sigmoid' }, path: 'fused' },
  'lstm-hard': { factory: 'lstm', args: {}, path: 'fused' },
  'lstm-relu': { factory: 'lstm', args: { activation: 'relu' }, path: 'fused' },
  gru: { factory: 'gru', args: {}, path: 'fused' },
  'gru-sigmoid': { factory: 'gru', args: { recurrentActivation: 'sigmoid' }, path: 'fused' },
} as const;
type Variant = keyof typeof VARIANTS;

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm,cpu' },
    variant: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    size: { type: 'string', default: '32x64x32' },
    units: { type: 'string', default: '128' },
    'batch-size': { type: 'string', default: '32' },
    epochs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});

function list<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`--${flag}: unknown "${item}" (expected one of ${allowed.join(', ')})`);
  }
  return items as T[];
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag}: expected a positive integer, got "${text}"`);
  return value;
}

const backends = list(args.backend!, ['wasm', 'cpu'] as const, 'backend');
const variants = list(args.variant!, Object.keys(VARIANTS) as Variant[], 'variant');
const [samples, time, features] = args.size!.split('x').map((part) => positive(part, 'size'));
const units = positive(args.units!, 'units');
const batchSize = positive(args['batch-size']!, 'batch-size');
const epochs = positive(args.epochs!, 'epochs');
const warmup = Number(args.warmup);

function buildModel(layer: tf.layers.Layer): tf.Sequential {
  const model = tf.sequential({ layers: [layer, tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

/** Per epoch: wall time and loss. */
async function fitEpochs(model: tf.Sequential, x: tf.Tensor, y: tf.Tensor, count: number) {
  const runs: Array<{ ms: number; loss: number }> = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const history = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    runs.push({ ms: performance.now() - start, loss: history.history.loss[0] as number });
  }
  return runs;
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];

const results = [];
for (const backend of backends) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  for (const variant of variants) {
    const { factory, args: layerArgs, path } = VARIANTS[variant];
    const config = { units, inputShape: [time, features], ...layerArgs };
    const dropIn = buildModel(rnnLayers[factory](config) as unknown as tf.layers.Layer);
    const reference = buildModel(tf.layers[factory](config));
    reference.setWeights(dropIn.getWeights());
    const x = tf.randomNormal([samples, time, features], 0, 1, 'float32', 1);
    const y = tf.randomNormal([samples, 1], 0, 1, 'float32', 2);
    const total = warmup + epochs;
    const ours = await fitEpochs(dropIn, x, y, total);
    const theirs = await fitEpochs(reference, x, y, total);
    const lossDifference = Math.max(...ours.map((run, i) => Math.abs(run.loss - theirs[i].loss) / Math.max(1e-12, Math.abs(theirs[i].loss))));
    const oursMs = median(ours.slice(warmup).map((run) => run.ms));
    const theirsMs = median(theirs.slice(warmup).map((run) => run.ms));
    results.push({
      backend, variant, path, oursMs, theirsMs, speedup: theirsMs / oursMs,
      losses: ours.map((run) => run.loss), layersLosses: theirs.map((run) => run.loss), maxRelativeLossDifference: lossDifference,
    });
    tf.dispose([x, y]);
    dropIn.dispose();
    reference.dispose();
  }
}

if (args.json) {
  console.log(JSON.stringify({ samples, time, features, units, batchSize, epochs, results }, null, 2));
} else {
  console.log(`model.fit epoch, tf.sequential([<layer>(${units}), dense(1)]), data ${samples}x${time}x${features}, batch ${batchSize}, adam; median of ${epochs} epochs after ${warmup} warm-up`);
  console.log('backend  variant       path        drop-in ms  tf.layers ms  speedup  max rel. loss diff (all epochs)');
  for (const r of results) {
    console.log(
      `${r.backend.padEnd(8)} ${r.variant.padEnd(13)} ${r.path.padEnd(11)} ${r.oursMs.toFixed(1).padStart(10)} ${r.theirsMs.toFixed(1).padStart(13)} ${`${r.speedup.toFixed(2)}x`.padStart(8)}  ${r.maxRelativeLossDifference.toExponential(2)}`,
    );
  }
}
