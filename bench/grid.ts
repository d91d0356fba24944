/**
 * npm run bench:grid [-- options]
 *
 * The performance grid of issue 12: one table per backend and part, with ratios against what a
 * user would run instead and against the limit, the worst ratio of the grid, and cliffs flagged.
 *
 * step (batch 1, input size = H, 32 steps from zero carries, ms per step):
 *   rnn-migrate stacked LSTMCell.step and the legacy Recur.step loop, against tf.multiRNNCell over
 *   tf.basicLSTMCell closures and a tf.layers stateful LSTM stepped with predict; the limit is the
 *   weight bytes one step reads / the read bandwidth at that many bytes (stream-bandwidth.ts: the
 *   cache's where the weights fit in it, the memory's where not). The older limit, the same bytes
 *   over one large copy's bandwidth (memory only), is shown beside it.
 * sequence (LSTM, forward and forward+backward): rnn-migrate blocked, tf.layers.lstm (sigmoid
 *   gates), the naive per-step loop, against the limit: each product at its own floor. The
 *   products with x, dx and the weight gradients at the faster matmul's rate (the backend's
 *   tf.matMul or our SIMD panel product, at the same FLOPs); the per-step products with R (h·R
 *   forward, dh·Rᵀ backward) at that rate or at R read once per timestep and direction at the read
 *   bandwidth of its size, whichever is slower (each step's product needs the step before it, so
 *   at batch 1 they are GEMVs bound by reading R).
 * Each sample lasts at least --min-sample-ms: a shorter run is repeated within the sample and the
 * mean taken, so sub-millisecond rows measure the steady state, not the first steps after a full
 * collection.
 * Every column is checked against a reference (tf.multiRNNCell; the naive loop) before it is timed.
 * A row is flagged as a cliff when its efficiency (limit time / ours) is under half a neighbour's.
 *
 *   --backend cpu,wasm          backends (default both)
 *   --part step,sequence        parts (default both)
 *   --layers 1,2,3 --hidden 128,256,512,1024 --steps 32     the step grid
 *   --size 1x64x512x512,...     (B,T,D,H) of the sequence grid (default the seven of issue 12)
 *   --mode fwd,fwdbwd           sequence modes (default both)
 *   --reps 5 --warmup 1         timed rounds (median) and warm-up runs per column
 *   --min-sample-ms 50          shortest sample (shorter runs are repeated within it)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MODES, makeWeights, parseSize, sizeLabel, type Mode, type Size } from './cases.js';
import { COLUMNS, REFERENCE_COLUMN, type BenchCase } from './columns.js';
import { BackendLostError, median, prepareChecked, runCase, timeInterleaved, type CaseResult, type TimingOptions } from './measure.js';
import { streamBandwidth, type StreamBandwidth } from './stream-bandwidth.js';
import { STEP_COLUMNS, STEP_REFERENCE, makeStepCase, stepWeightBytes } from './step-columns.js';

const SEQUENCE_SIZES = ['1x64x512x512', '1x64x1024x1024', '16x64x512x512', '32x64x64x128', '64x256x32x32', '4x512x16x64', '8x1000x16x64'];
const SEQUENCE_COLUMNS = ['blocked', 'layers', 'naive', 'matmul', 'panel'];

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu,wasm' },
    part: { type: 'string', default: 'step,sequence' },
    layers: { type: 'string', default: '1,2,3' },
    hidden: { type: 'string', default: '128,256,512,1024' },
    steps: { type: 'string', default: '32' },
    size: { type: 'string', default: SEQUENCE_SIZES.join(',') },
    mode: { type: 'string', default: MODES.join(',') },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'min-sample-ms': { type: 'string', default: '50' },
  },
});
const words = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const numbers = (text: string, flag: string) => words(text).map((w) => {
  const n = Number(w);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag}: expected positive integers, got "${w}"`);
  return n;
});
function oneOf<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = words(text);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${flag}: unknown "${item}" (expected one of ${allowed.join(', ')})`);
  return items as T[];
}
const backends = oneOf(args.backend!, ['cpu', 'wasm'] as const, 'backend');
const parts = oneOf(args.part!, ['step', 'sequence'] as const, 'part');
const layerCounts = numbers(args.layers!, 'layers');
const hiddens = numbers(args.hidden!, 'hidden');
const [steps] = numbers(args.steps!, 'steps');
const sizes: Size[] = words(args.size!).map(parseSize);
const modes = oneOf(args.mode!, MODES, 'mode');
// Timing only: the leak and peak-memory runs of npm run bench would double a long grid.
const timing: TimingOptions = {
  reps: numbers(args.reps!, 'reps')[0], warmup: Number(args.warmup), memory: false, minSampleMs: Number(args['min-sample-ms']),
};
if (!(timing.minSampleMs! >= 0)) throw new Error(`--min-sample-ms: expected a number ≥ 0, got "${args['min-sample-ms']}"`);

const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}×`);

// --- memory bandwidth ------------------------------------------------------------------------------
interface Bandwidth { copy: number; add: number; limit: number }

/** Best of a few runs, bytes per second: a 128 MiB typed-array copy (read + write) and tf.add. */
function measureBandwidth(): Bandwidth {
  const floats = 32 * 2 ** 20;
  const best = (run: () => void) => {
    let fastest = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      run();
      fastest = Math.min(fastest, performance.now() - t0);
    }
    return fastest / 1000;
  };
  const src = new Float32Array(floats).fill(1);
  const dst = new Float32Array(floats);
  const copy = (2 * 4 * floats) / best(() => dst.set(src));
  const [a, b] = [tf.fill([floats], 1), tf.fill([floats], 2)];
  const add = (3 * 4 * floats) / best(() => tf.add(a, b).dataSync());
  tf.dispose([a, b]);
  return { copy, add, limit: Math.max(copy, add) };
}

// --- per-step part -------------------------------------------------------------------------------
interface StepRow {
  layers: number;
  hidden: number;
  weightBytes: number;
  /** ms per step by column id, or the reason the column did not run. */
  ms: Map<string, number | string>;
  /** The weight bytes over the read bandwidth at that size (the limit). */
  limitMs: number;
  /** The weight bytes over one large copy's bandwidth (memory only). */
  copyLimitMs: number;
}

async function stepRow(layers: number, hidden: number, bandwidth: Bandwidth, stream: StreamBandwidth): Promise<StepRow> {
  const c = makeStepCase(layers, hidden, steps);
  const bytes = stepWeightBytes(c);
  const row: StepRow = { layers, hidden, weightBytes: bytes, ms: new Map(), limitMs: (bytes / stream.at(bytes)) * 1000, copyLimitMs: (bytes / bandwidth.limit) * 1000 };
  const candidates = STEP_COLUMNS.map((column) => ({ id: column.id, prepare: () => column.prepare(c) }));
  const { results, timed } = await prepareChecked(candidates, STEP_REFERENCE, 'tf.multiRNNCell reference');
  for (const r of results) if (r.skipped) row.ms.set(r.column, r.skipped);
  try {
    const samples = await timeInterleaved(timed.map((t) => t.prepared), timing);
    for (const [i, { result }] of timed.entries()) row.ms.set(result.column, median(samples[i]) / steps);
  } finally {
    for (const { prepared } of timed) prepared.dispose();
  }
  return row;
}

const msOf = (row: StepRow, id: string) => (typeof row.ms.get(id) === 'number' ? (row.ms.get(id) as number) : undefined);
const stepLabel = (r: StepRow) => `${r.layers}×H${r.hidden}`;
/** Fraction of the bandwidth limit cell.step reaches (limit time / its time). */
const stepEfficiency = (row: StepRow) => row.limitMs / (msOf(row, 'step') ?? NaN);
const copyEfficiency = (row: StepRow) => row.copyLimitMs / (msOf(row, 'step') ?? NaN);

function stepTable(backend: string, rows: StepRow[], bandwidth: Bandwidth): string {
  const gb = (bytes: number) => (bytes / 1e9).toFixed(1);
  const lines = [
    `\n## ${backend}: per step, batch 1, input = H, ${steps} steps, ms per step (median of ${timing.reps})`,
    `limit = weight bytes per step / the SIMD read bandwidth at that many bytes (read GB/s); copy limit = the same bytes / ${gb(bandwidth.limit)} GB/s ` +
      `(the faster of a 128 MiB typed-array copy, ${gb(bandwidth.copy)} GB/s, and tf.add on ${backend}, ${gb(bandwidth.add)} GB/s); cliffs are judged on the limit`,
    '| layers | H | weights MiB | cell.step | Recur.step | multiRNNCell | tf.layers predict | read GB/s | limit | step vs multiRNNCell | step vs tf.layers | Recur / step | of limit | of copy limit | flags |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const cell = (id: string) => {
      const v = row.ms.get(id);
      return typeof v === 'number' ? v.toFixed(3) : v ?? '–';
    };
    const step = msOf(row, 'step');
    const adjacent = (a: StepRow, b: StepRow) => (a.layers === b.layers && Math.abs(hiddens.indexOf(a.hidden) - hiddens.indexOf(b.hidden)) === 1)
      || (a.hidden === b.hidden && Math.abs(layerCounts.indexOf(a.layers) - layerCounts.indexOf(b.layers)) === 1);
    const flags = cliffs(rows, row, stepEfficiency, adjacent, stepLabel).join('; ');
    lines.push(`| ${row.layers} | ${row.hidden} | ${(row.weightBytes / 2 ** 20).toFixed(2)} | ${cell('step')} | ${cell('recur')} | ${cell('multi')} | ${cell('layers')} | ${gb(row.weightBytes / (row.limitMs / 1000))} | ${row.limitMs.toFixed(3)} | ${ratio((msOf(row, 'multi') ?? NaN) / (step ?? NaN))} | ${ratio((msOf(row, 'layers') ?? NaN) / (step ?? NaN))} | ${ratio((msOf(row, 'recur') ?? NaN) / (step ?? NaN))} | ${fmt(100 * stepEfficiency(row), 0)}% | ${fmt(100 * copyEfficiency(row), 0)}% | ${flags} |`);
  }
  lines.push(...extremes(rows, [
    ['cell.step vs tf.multiRNNCell (× faster)', (r) => (msOf(r, 'multi') ?? NaN) / (msOf(r, 'step') ?? NaN), 'min'],
    ['cell.step vs tf.layers predict (× faster)', (r) => (msOf(r, 'layers') ?? NaN) / (msOf(r, 'step') ?? NaN), 'min'],
    ['Recur.step / cell.step (overhead)', (r) => (msOf(r, 'recur') ?? NaN) / (msOf(r, 'step') ?? NaN), 'max'],
    ['cell.step of the bandwidth limit', stepEfficiency, 'min'],
    ['cell.step of the copy limit', copyEfficiency, 'min'],
  ], stepLabel));
  return lines.join('\n');
}

// --- sequence part -------------------------------------------------------------------------------
/** Drops the active backend and registers its factory again: a fresh wasm module after an abort. */
async function reviveBackend(name: string): Promise<void> {
  const engine = tf.engine() as unknown as {
    registryFactory: Record<string, { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number }>;
    registry: Record<string, unknown>; backendName: string | null; backendInstance: unknown; pendingBackendInit: unknown;
    state: { registeredVariables: Record<string, unknown> };
  };
  const { factory, priority } = engine.registryFactory[name];
  // The dead backend's dispose would call into the aborted module: forget it instead.
  delete engine.registry[name];
  delete engine.registryFactory[name];
  engine.backendName = null;
  engine.backendInstance = null;
  engine.pendingBackendInit = null;
  // The columns' variables lived on the dead backend and were never disposed: their names are free.
  for (const name of Object.keys(engine.state.registeredVariables)) delete engine.state.registeredVariables[name];
  tf.registerBackend(name, factory, priority);
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} could not be revived`);
  await tf.ready();
}

/**
 * One sequence case. A column that kills the backend (tf.layers' and the naive loop's fwd+bwd abort
 * the wasm module at 1x64x1024x1024: heap) is reported as failed, the backend is revived, and the
 * case runs again without it; when that column was the naive reference, the reference values come
 * from the naive loop on the cpu backend instead.
 */
async function sequenceCase(backend: string, size: Size, mode: Mode): Promise<CaseResult> {
  const c = { backend, cell: 'lstm' as const, size, mode, weights: makeWeights('lstm', size) };
  let columns = COLUMNS.filter((col) => SEQUENCE_COLUMNS.includes(col.id));
  const lost: Array<{ column: string; reason: string }> = [];
  let given: { values: Float32Array[]; name: string } | undefined;
  for (;;) {
    try {
      const result = await runCase(c, columns, timing, given);
      for (const { column, reason } of lost) result.columns.push({ column, skipped: `${reason} (the backend was restarted)`, checked: false });
      return result;
    } catch (e) {
      if (!(e instanceof BackendLostError) || lost.some((l) => l.column === e.column)) throw e;
      process.stderr.write(`  ${backend} ${sizeLabel(size)} ${mode}: ${e.message}; restarting the backend\n`);
      lost.push({ column: e.column, reason: e.reason.replace(/\. Build with -sASSERTIONS for more info\./, '') });
      columns = columns.filter((col) => col.id !== e.column);
      await reviveBackend(backend);
      if (e.column === REFERENCE_COLUMN && backend !== 'cpu') given = { values: await referenceOn('cpu', c), name: 'naive loop on cpu' };
    }
  }
}

/** The naive loop's values for case `c` computed on another backend (then back to c's). */
async function referenceOn(other: string, c: BenchCase): Promise<Float32Array[]> {
  await tf.setBackend(other);
  const prepared = await COLUMNS.find((col) => col.id === REFERENCE_COLUMN)!.prepare({ ...c, backend: other });
  if (typeof prepared === 'string') throw new Error(`no reference on ${other}: ${prepared}`);
  const values = await prepared.check();
  prepared.dispose();
  await tf.setBackend(c.backend);
  return values;
}

type SequenceRow = CaseResult & {
  byId: Map<string, CaseResult['columns'][number]>;
  /** T reads of the recurrent weights per direction at their size's read bandwidth (ms). */
  readLimitMs: number;
  /** The share of the call's FLOPs in the per-step products with R. */
  recurrentShare: number;
};
const seqMs = (r: SequenceRow, id: string) => r.byId.get(id)?.ms;
/** The faster matmul at the same FLOPs: the backend's, or our panel product (faster on wasm). */
const matmulLimitMs = (r: SequenceRow) => Math.min(seqMs(r, 'matmul') ?? Infinity, seqMs(r, 'panel') ?? Infinity);
/** Each product at its own floor: the matmul rate, and for the products with R the slower of that and reading R. */
const seqLimitMs = (r: SequenceRow) => {
  const matmul = matmulLimitMs(r);
  return matmul * (1 - r.recurrentShare) + Math.max(matmul * r.recurrentShare, r.readLimitMs);
};

/**
 * h·R is H/(D + H) of the forward's FLOPs; forward+backward is three forwards' FLOPs, of which h·R
 * and dh·Rᵀ are two such shares (the weight gradients are GEMMs over all timesteps).
 */
const recurrentShare = ({ D, H }: Size, mode: Mode) => (mode === 'fwd' ? 1 : 2 / 3) * (H / (D + H));
const seqEfficiency = (r: SequenceRow) => seqLimitMs(r) / (seqMs(r, 'blocked') ?? NaN);

/** Bytes of the LSTM's recurrent kernel R [H, 4H]. */
const recurrentBytes = ({ H }: Size) => 4 * H * 4 * H;

/** The read floor of a sequence: R read once per timestep, forward (and again backward). */
function readLimitMs(size: Size, mode: Mode, stream: StreamBandwidth): number {
  const bytes = recurrentBytes(size);
  const passes = mode === 'fwd' ? 1 : 2;
  return (passes * size.T * bytes / stream.at(bytes)) * 1000;
}
const seqLabel = (r: SequenceRow) => `${r.size} ${r.mode}`;

function sequenceTable(backend: string, rows: SequenceRow[]): string {
  /** Rows of the same mode next to each other in the grid's order. */
  const adjacentSameMode = (a: SequenceRow, b: SequenceRow) => {
    const sameMode = rows.filter((r) => r.mode === a.mode);
    return a.mode === b.mode && Math.abs(sameMode.indexOf(a) - sameMode.indexOf(b)) === 1;
  };
  const lines = [
    `\n## ${backend}: LSTM sequences, ms per call (median of ${timing.reps}); limit = each product at its own floor: the faster matmul at the same FLOPs ` +
      "(the backend's tf.matMul or our SIMD panel product), and for the per-step products with R the slower of that rate and " +
      'R [H, 4H] read once per timestep and direction at the read bandwidth of its size',
    '| (B,T,D,H) | mode | blocked | tf.layers | naive loop | tf.matMul | panel product | read limit | limit | vs tf.layers | vs naive | blocked GFLOP/s | of limit | flags |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const cell = (id: string) => {
      const r = row.byId.get(id);
      return r?.ms !== undefined ? r.ms.toFixed(1) : r?.skipped ?? '–';
    };
    const blocked = seqMs(row, 'blocked');
    const flags = cliffs(rows, row, seqEfficiency, adjacentSameMode, seqLabel).join('; ');
    lines.push(`| ${row.size} | ${row.mode} | ${cell('blocked')} | ${cell('layers')} | ${cell('naive')} | ${cell('matmul')} | ${cell('panel')} | ${row.readLimitMs.toFixed(1)} | ${fmt(seqLimitMs(row), 1)} | ${ratio((seqMs(row, 'layers') ?? NaN) / (blocked ?? NaN))} | ${ratio((seqMs(row, 'naive') ?? NaN) / (blocked ?? NaN))} | ${fmt(row.byId.get('blocked')?.gflops)} | ${fmt(100 * seqEfficiency(row), 0)}% | ${flags} |`);
  }
  lines.push(...extremes(rows, [
    ['blocked vs tf.layers (× faster)', (r) => (seqMs(r, 'layers') ?? NaN) / (seqMs(r, 'blocked') ?? NaN), 'min'],
    ['blocked vs naive loop (× faster)', (r) => (seqMs(r, 'naive') ?? NaN) / (seqMs(r, 'blocked') ?? NaN), 'min'],
    ['blocked of the limit', seqEfficiency, 'min'],
  ], seqLabel));
  return lines.join('\n');
}

// --- shared: worst and best ratios, cliffs ---------------------------------------------------------
/** For each measure, the worst and the best row (worst = the smallest, or the largest for 'max'). */
function extremes<R>(rows: R[], measures: Array<[string, (r: R) => number, 'min' | 'max']>, label: (r: R) => string): string[] {
  const lines: string[] = [];
  for (const [name, value, worstIs] of measures) {
    const known = rows.map((r) => [r, value(r)] as const).filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[1] - b[1]);
    if (known.length === 0) continue;
    const [low, high] = [known[0], known[known.length - 1]];
    const [worst, best] = worstIs === 'min' ? [low, high] : [high, low];
    lines.push(`- ${name}: worst ${worst[1].toFixed(2)} (${label(worst[0])}), best ${best[1].toFixed(2)} (${label(best[0])})`);
  }
  return lines;
}

/** A "cliff" flag when `row`'s efficiency is under half that of a neighbour (the best such one named). */
function cliffs<R>(rows: R[], row: R, efficiency: (r: R) => number, neighbours: (a: R, b: R) => boolean, label: (r: R) => string): string[] {
  const own = efficiency(row);
  if (!Number.isFinite(own)) return [];
  const better = rows.filter((other) => other !== row && neighbours(row, other) && efficiency(other) > 2 * own)
    .sort((a, b) => efficiency(b) - efficiency(a));
  if (better.length === 0) return [];
  const percent = (r: R) => `${(100 * efficiency(r)).toFixed(0)}%`;
  return [`CLIFF: ${percent(row)} of limit vs ${percent(better[0])} at ${label(better[0])}`];
}

// --- main ----------------------------------------------------------------------------------------
const cpus = os.cpus();
console.log(`# npm run bench:grid: ${cpus[0]?.model ?? 'unknown'} (${cpus.length} cores), node ${process.version}, tfjs ${tf.version_core}, ` +
  `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; median of ${timing.reps} interleaved rounds after ${timing.warmup} warm-up; ` +
  'no leak or peak-memory runs here (npm run bench has them)');
const started = performance.now();
for (const backend of backends) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  if (parts.includes('step')) {
    const bandwidth = measureBandwidth();
    const largest = Math.max(...layerCounts.flatMap((layers) => hiddens.map((hidden) => stepWeightBytes({ layers, hidden }))));
    const stream = streamBandwidth(largest);
    if (!stream) throw new Error('the read-bandwidth limit needs WebAssembly SIMD, which this runtime lacks');
    const rows: StepRow[] = [];
    for (const layers of layerCounts) for (const hidden of hiddens) rows.push(await stepRow(layers, hidden, bandwidth, stream));
    console.log(stepTable(backend, rows, bandwidth));
  }
  if (parts.includes('sequence')) {
    const stream = streamBandwidth(Math.max(...sizes.map(recurrentBytes)));
    if (!stream) throw new Error('the read-bandwidth limit needs WebAssembly SIMD, which this runtime lacks');
    const rows: SequenceRow[] = [];
    for (const size of sizes) {
      for (const mode of modes) {
        const result = await sequenceCase(backend, size, mode);
        rows.push({
          ...result, byId: new Map(result.columns.map((c) => [c.column, c])), readLimitMs: readLimitMs(size, mode, stream),
          recurrentShare: recurrentShare(size, mode),
        });
        process.stderr.write(`  ${backend} ${sizeLabel(size)} ${mode} done\n`);
      }
    }
    console.log(sequenceTable(backend, rows));
  }
}
console.log(`\n(${((performance.now() - started) / 60000).toFixed(1)} min; load at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
