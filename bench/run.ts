/**
 * npm run bench [-- options]
 *
 * Recurrent layers side by side in one process: rnn-migrate blocked (fused kernels), the legacy
 * Recur loop, tf.layers, a naive per-step loop of tfjs ops, the composite (tfjs-ops) blocked path,
 * the backend's plain matmul at the same FLOP count (the limit), and ONNX Runtime (inference).
 * Every column's values are checked against the naive loop before it is timed.
 *
 *   --backend wasm,cpu        backends (default both)
 *   --cell lstm,gru,rnn       cells (default all)
 *   --size 32x64x64x128,...   (B,T,D,H) sizes (default the four of issue 6)
 *   --mode fwd,fwdbwd         forward, or forward + backward (tf.variableGrads of a sum)
 *   --columns blocked,layers  a subset of columns (default all)
 *   --reps 10 --warmup 2      timed runs (median reported) and untimed warm-up runs
 *   --json                    print JSON instead of tables; --out FILE also writes the JSON
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CELLS, MODES, SIZES, bpttFloorBytes, makeWeights, modeFlops, parseSize, sizeLabel,
  type CellKind, type Mode, type Size } from './cases.js';
import { COLUMNS, REFERENCE_COLUMN, type BenchCase, type Column, type Prepared } from './columns.js';

interface ColumnResult {
  column: string;
  skipped?: string;
  note?: string;
  ms?: number;
  samplesMs?: number[];
  gflops?: number;
  /** Fraction of the matmul limit's GFLOP/s. */
  ofLimit?: number;
  peakBytes?: number;
  /** peakBytes / what BPTT must keep (fwdbwd only). */
  peakOverFloor?: number;
  /** Tensors left behind per iteration (tf.memory().numTensors growth). */
  leakedTensors?: number;
  maxAbsError?: number;
  checked: boolean;
}

interface CaseResult {
  backend: string;
  cell: CellKind;
  size: string;
  mode: Mode;
  flops: number;
  bpttFloorBytes: number;
  columns: ColumnResult[];
}

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm,cpu' },
    cell: { type: 'string', default: CELLS.join(',') },
    size: { type: 'string' },
    mode: { type: 'string', default: MODES.join(',') },
    columns: { type: 'string' },
    reps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

function list<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`--${flag}: unknown "${item}" (expected one of ${allowed.join(', ')})`);
  }
  return items as T[];
}

const backends = list(args.backend!, ['wasm', 'cpu', 'webgl', 'webgpu'] as const, 'backend');
const cells = list(args.cell!, CELLS, 'cell');
const modes = list(args.mode!, MODES, 'mode');
const sizes: Size[] = args.size ? args.size.split(',').map(parseSize) : SIZES;
const columns: Column[] = args.columns ? list(args.columns, COLUMNS.map((c) => c.id), 'columns').map((id) => COLUMNS.find((c) => c.id === id)!) : COLUMNS;
const reps = Number(args.reps);
const warmup = Number(args.warmup);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function maxAbsError(values: Float32Array[], reference: Float32Array[]): { error: number; scale: number } {
  let error = 0, scale = 0;
  values.forEach((v, k) => {
    const r = reference[k];
    if (v.length !== r.length) throw new Error(`length ${v.length} ≠ reference ${r.length}`);
    for (let i = 0; i < v.length; i++) {
      error = Math.max(error, Math.abs(v[i] - r[i]));
      scale = Math.max(scale, Math.abs(r[i]));
    }
  });
  return { error, scale };
}

async function peakBytesOf(prepared: Prepared): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(async () => {
    await prepared.run();
  });
  return info.peakBytes - before;
}

// A full collection before every timed run: with interleaved columns, garbage left by one column
// (tf.layers allocates hundreds of MiB per call) would otherwise be collected during the next one.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/**
 * Times the prepared columns together: after the warm-up, each round runs every column once, in
 * a rotating order, so that load spikes on a shared machine fall on all columns alike. Each run
 * starts from a collected heap and pays only for the garbage collections its own allocations cause.
 */
async function measureInterleaved(c: BenchCase, timed: Array<{ prepared: Prepared; result: ColumnResult }>): Promise<void> {
  for (const { prepared } of timed) for (let i = 0; i < warmup; i++) await prepared.run();
  const samples = timed.map(() => [] as number[]);
  for (let round = 0; round < reps; round++) {
    for (let k = 0; k < timed.length; k++) {
      const index = (k + round) % timed.length;
      collectGarbage();
      const t0 = performance.now();
      await timed[index].prepared.run();
      samples[index].push(performance.now() - t0);
    }
  }
  for (const [index, { prepared, result }] of timed.entries()) {
    const tensorsBefore = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await prepared.run();
    result.leakedTensors = (tf.memory().numTensors - tensorsBefore) / 3;
    result.samplesMs = samples[index].map((s) => Math.round(s * 1000) / 1000);
    result.ms = median(samples[index]);
    result.gflops = modeFlops(c.cell, c.size, c.mode) / result.ms / 1e6;
    if (prepared.tracksMemory) {
      result.peakBytes = await peakBytesOf(prepared);
      if (c.mode === 'fwdbwd') result.peakOverFloor = result.peakBytes / bpttFloorBytes(c.cell, c.size);
    }
  }
}

async function runCase(c: BenchCase): Promise<CaseResult> {
  const results: ColumnResult[] = [];
  const timed: Array<{ prepared: Prepared; result: ColumnResult }> = [];
  // The reference first, so every other column is checked before it is timed.
  const order = [...columns].sort((a, b) => Number(b.id === REFERENCE_COLUMN) - Number(a.id === REFERENCE_COLUMN));
  let reference: Float32Array[] | null = null;
  if (!columns.some((col) => col.id === REFERENCE_COLUMN)) {
    const ref = await COLUMNS.find((col) => col.id === REFERENCE_COLUMN)!.prepare(c);
    if (typeof ref !== 'string') {
      reference = await ref.check();
      ref.dispose();
    }
  }
  for (const column of order) {
    const result: ColumnResult = { column: column.id, checked: false };
    results.push(result);
    let p: Prepared | string;
    try {
      p = await column.prepare(c);
    } catch (e) {
      p = `failed: ${(e as Error).message.split('\n')[0]}`;
    }
    if (typeof p === 'string') {
      result.skipped = p;
      continue;
    }
    result.note = p.note;
    try {
      if (p.comparable !== false) {
        const values = await p.check();
        if (column.id === REFERENCE_COLUMN) {
          reference = values;
        } else if (reference) {
          const { error, scale } = maxAbsError(values, reference);
          result.maxAbsError = error;
          // float32 sums over B·T terms: relative to the largest reference magnitude.
          if (!(error <= 2e-4 * Math.max(1, scale))) {
            result.skipped = `values differ from the ${REFERENCE_COLUMN} loop: max |Δ| = ${error.toExponential(2)} (scale ${scale.toFixed(2)})`;
            continue;
          }
          result.checked = true;
        }
      }
      timed.push({ prepared: p, result });
    } catch (e) {
      result.skipped = `failed: ${(e as Error).message.split('\n')[0]}`;
    } finally {
      if (!timed.some((t) => t.prepared === p)) p.dispose();
    }
  }
  try {
    await measureInterleaved(c, timed);
  } finally {
    for (const { prepared } of timed) prepared.dispose();
  }
  const byId = new Map(results.map((r) => [r.column, r]));
  const limit = byId.get('matmul')?.gflops;
  for (const r of results) if (limit && r.gflops) r.ofLimit = r.gflops / limit;
  return {
    backend: c.backend, cell: c.cell, size: sizeLabel(c.size), mode: c.mode,
    flops: modeFlops(c.cell, c.size, c.mode), bpttFloorBytes: bpttFloorBytes(c.cell, c.size),
    columns: COLUMNS.map((col) => byId.get(col.id)).filter((r): r is ColumnResult => r != null),
  };
}

function formatTable(r: CaseResult): string {
  const byId = new Map(r.columns.map((c) => [c.column, c]));
  const vs = (id: string, c: ColumnResult) => {
    const other = byId.get(id)?.ms;
    return other && c.ms ? `${(other / c.ms).toFixed(2)}×` : '';
  };
  const lines = [
    `\n${r.backend} ${r.cell.toUpperCase()} (B,T,D,H)=${r.size} ${r.mode === 'fwd' ? 'forward' : 'forward+backward'}: ${(r.flops / 1e6).toFixed(0)} MFLOP, BPTT floor ${(r.bpttFloorBytes / 2 ** 20).toFixed(2)} MiB`,
    `| column | ms (median) | GFLOP/s | of limit | vs tf.layers | vs naive | peak MiB | peak/floor | leak/iter | checked |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---|`,
  ];
  for (const c of r.columns) {
    const title = COLUMNS.find((col) => col.id === c.column)!.title + (c.note ? ` (${c.note})` : '');
    if (c.skipped) {
      lines.push(`| ${title} | ${c.skipped} |||||||||`);
      continue;
    }
    lines.push(`| ${title} | ${c.ms!.toFixed(2)} | ${c.gflops!.toFixed(2)} | ${c.ofLimit ? `${(100 * c.ofLimit).toFixed(0)}%` : ''} | ${vs('layers', c)} | ${vs('naive', c)} | ${c.peakBytes != null ? (c.peakBytes / 2 ** 20).toFixed(2) : 'n/a'} | ${c.peakOverFloor ? c.peakOverFloor.toFixed(2) : ''} | ${c.leakedTensors ?? ''} | ${c.checked ? `✓ ${c.maxAbsError!.toExponential(1)}` : c.column === REFERENCE_COLUMN ? 'reference' : '–'} |`);
  }
  return lines.join('\n');
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version,
  tfjs: tf.version_core, loadavg: os.loadavg().map((l) => Number(l.toFixed(2))), reps, warmup,
};
if (!args.json) console.log(`# rnn-migrate bench: ${machine.cpu} (${machine.cores} cores), node ${machine.node}, tfjs ${machine.tfjs}, load ${machine.loadavg.join(' ')}, median of ${reps} interleaved rounds after ${warmup} warm-up, heap collected before each run`);

const all: CaseResult[] = [];
for (const backend of backends) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  for (const cell of cells) {
    for (const size of sizes) {
      for (const mode of modes) {
        const result = await runCase({ backend, cell, size, mode, weights: makeWeights(cell, size) });
        all.push(result);
        if (!args.json) console.log(formatTable(result));
      }
    }
  }
}
const report = { machine: { ...machine, loadavgEnd: os.loadavg().map((l) => Number(l.toFixed(2))) }, results: all };
if (args.json) console.log(JSON.stringify(report, null, 2));
if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
