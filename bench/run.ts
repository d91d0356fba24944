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
import { parseArgs } from 'node:util';
import { CELLS, MODES, SIZES, makeWeights, parseSize, type Size } from './cases.js';
import { COLUMNS, REFERENCE_COLUMN, type Column } from './columns.js';
import { runCase, type CaseResult, type ColumnResult } from './measure.js';

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
        const result = await runCase({ backend, cell, size, mode, weights: makeWeights(cell, size) }, columns, { reps, warmup });
        all.push(result);
        if (!args.json) console.log(formatTable(result));
      }
    }
  }
}
const report = { machine: { ...machine, loadavgEnd: os.loadavg().map((l) => Number(l.toFixed(2))) }, results: all };
if (args.json) console.log(JSON.stringify(report, null, 2));
if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
