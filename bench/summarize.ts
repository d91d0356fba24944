/**
 * Turns `npm run bench -- --out FILE.json` results into the compact markdown of README.md ("Performance"):
 * one row per (backend, cell, size, mode) with the blocked kernels against the other columns, and
 * the targets of issue 6 checked on LSTM (32, 64, 64, 128).
 *
 *   node --import tsx bench/summarize.ts /tmp/wasm.json /tmp/cpu.json
 */
import { readFileSync } from 'node:fs';
import { bpttFloorBytes, parseSize, preexistingBytes, type CellKind } from './cases.js';

interface Column { column: string; ms?: number; gflops?: number; ofLimit?: number; peakBytes?: number; peakOverFloor?: number; leakedTensors?: number; skipped?: string }
interface Case { backend: string; cell: string; size: string; mode: 'fwd' | 'fwdbwd'; columns: Column[] }
interface Report { machine: { cpu: string; cores: number; node: string; tfjs: string; loadavg: number[]; loadavgEnd?: number[]; reps: number; warmup: number }; results: Case[] }

const reports = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report);
if (reports.length === 0) throw new Error('usage: summarize.ts RESULT.json [RESULT.json ...]');

const fmt = (v: number | undefined, digits = 1) => (v == null ? '–' : v.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

for (const r of reports) {
  const m = r.machine;
  console.log(`\n${m.cpu}, ${m.cores} cores, Node ${m.node}, tfjs ${m.tfjs}; load average ${m.loadavg.join(' / ')} at start, ${m.loadavgEnd?.join(' / ') ?? '?'} at end; median of ${m.reps} interleaved rounds after ${m.warmup} warm-up.\n`);
  console.log('| backend | cell | B×T×D×H | mode | blocked ms | GFLOP/s | of matmul limit | tf.layers ms | vs tf.layers | naive ms | vs naive | legacy ms | ONNX ms | blocked peak / BPTT floor |');
  console.log('|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of r.results) {
    const col = (id: string) => c.columns.find((x) => x.column === id);
    const blocked = col('blocked'), layers = col('layers'), naive = col('naive'), legacy = col('legacy'), onnx = col('onnx');
    console.log(`| ${c.backend} | ${c.cell.toUpperCase()} | ${c.size} | ${c.mode === 'fwd' ? 'forward' : 'fwd+bwd'} | ${fmt(blocked?.ms)} | ${fmt(blocked?.gflops)} | ${blocked?.ofLimit ? `${(100 * blocked.ofLimit).toFixed(0)}%` : '–'} | ${fmt(layers?.ms)} | ${ratio(layers?.ms, blocked?.ms)} | ${fmt(naive?.ms)} | ${ratio(naive?.ms, blocked?.ms)} | ${fmt(legacy?.ms)} | ${fmt(onnx?.ms, 2)} | ${fmt(blocked?.peakOverFloor, 2)} |`);
  }
}

// Targets (issue 6), LSTM (32, 64, 64, 128).
const all = reports.flatMap((r) => r.results);
const find = (backend: string, cell: string, mode: string) => all.find((c) => c.backend === backend && c.cell === cell && c.size === '32x64x64x128' && c.mode === mode);
const ms = (c: Case | undefined, id: string) => c?.columns.find((x) => x.column === id)?.ms;
const limitShare = (c: Case | undefined) => c?.columns.find((x) => x.column === 'blocked')?.ofLimit;
const lines: string[] = [];
const target = (name: string, value: number | undefined, goal: number, unit: string, atMost = false) =>
  lines.push(`| ${name} | ${value == null ? 'not measured' : `${value.toFixed(2)}${unit}`} | ${atMost ? '≤' : '≥'} ${goal}${unit} | ${value == null ? '–' : (atMost ? value <= goal : value >= goal) ? 'met' : 'not met'} |`);
const wFb = find('wasm', 'lstm', 'fwdbwd'), wF = find('wasm', 'lstm', 'fwd'), cFb = find('cpu', 'lstm', 'fwdbwd');
target('wasm LSTM fwd+bwd vs tf.layers', wFb && ms(wFb, 'layers')! / ms(wFb, 'blocked')!, 8, '×');
target('wasm LSTM fwd+bwd vs naive loop', wFb && ms(wFb, 'naive')! / ms(wFb, 'blocked')!, 6, '×');
target('wasm LSTM forward vs tf.layers', wF && ms(wF, 'layers')! / ms(wF, 'blocked')!, 2.5, '×');
target('wasm LSTM fwd+bwd share of matmul-limit GFLOP/s', limitShare(wFb) && 100 * limitShare(wFb)!, 50, '%');
target('cpu LSTM fwd+bwd vs tf.layers', cFb && ms(cFb, 'layers')! / ms(cFb, 'blocked')!, 3, '×');
for (const backend of ['wasm', 'cpu']) {
  for (const cell of ['gru', 'rnn']) {
    for (const mode of ['fwd', 'fwdbwd']) {
      const lstm = limitShare(find(backend, 'lstm', mode)), other = limitShare(find(backend, cell, mode));
      // "within 1.5× of LSTM's efficiency": other ≥ lstm / 1.5, shown as other / lstm ≥ 0.67.
      if (lstm && other) target(`${backend} ${cell.toUpperCase()} ${mode} efficiency / LSTM's`, other / lstm, 0.67, '');
    }
  }
}
for (const backend of ['wasm', 'cpu']) {
  const c = find(backend, 'lstm', 'fwdbwd');
  const blocked = c?.columns.find((x) => x.column === 'blocked');
  target(`${backend} LSTM fwd+bwd peak bytes / BPTT floor`, blocked?.peakOverFloor, 1.5, '×', true);
  if (c && blocked?.peakBytes != null) {
    // The floor counts x and the weights, which exist before the call; the peak does not.
    const size = parseSize(c.size);
    target(`${backend} LSTM fwd+bwd (peak + x + weights) / BPTT floor`, (blocked.peakBytes + preexistingBytes(c.cell as CellKind, size)) / bpttFloorBytes(c.cell as CellKind, size), 1.5, '×', true);
  }
}
const leaks = all.flatMap((c) => c.columns.filter((x) => x.leakedTensors != null).map((x) => Math.abs(x.leakedTensors!)));
target('tensors left per iteration, worst column', leaks.length ? Math.max(...leaks) : undefined, 0, '', true);
console.log('\n| target (LSTM 32×64×64×128 unless named) | measured | goal | |\n|---|---:|---:|---|');
console.log(lines.join('\n'));
