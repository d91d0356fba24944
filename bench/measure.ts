/**
 * The measuring machinery of the benchmarks (npm run bench, npm run bench:grid): columns checked
 * against a reference before they are timed, timed runs interleaved across columns, leaks and peak
 * memory per column. Anything with the `Prepared` shape of columns.ts can be measured here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { bpttFloorBytes, modeFlops, sizeLabel, type CellKind, type Mode } from './cases.js';
import { COLUMNS, REFERENCE_COLUMN, type BenchCase, type Column, type Prepared } from './columns.js';

export interface TimingOptions {
  /** Timed rounds (the median is reported). */
  reps: number;
  /** Untimed runs of each column before the first round. */
  warmup: number;
  /** Also measure leaked tensors and peak bytes per column (4 more runs each); default true. */
  memory?: boolean;
  /**
   * The shortest a sample may last: a column whose run is shorter runs that many times per sample
   * (counted once, after the warm-up) and the sample is the mean run. A sub-millisecond run timed
   * alone measures its first steps after a full collection (cold caches, a timer tick) more than
   * the steady state a streaming user sees. Default 0: one run per sample.
   */
  minSampleMs?: number;
}

export interface ColumnResult {
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

export interface CaseResult {
  backend: string;
  cell: CellKind;
  size: string;
  mode: Mode;
  flops: number;
  bpttFloorBytes: number;
  columns: ColumnResult[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function maxAbsError(values: Float32Array[], reference: Float32Array[]): { error: number; scale: number } {
  let error = 0, scale = 0;
  if (values.length !== reference.length) throw new Error(`${values.length} arrays ≠ reference ${reference.length}`);
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

/**
 * Why `values` do not match `reference` (float32 sums: within `tolerance` of the largest reference
 * magnitude), or null when they do. Sets result.maxAbsError.
 */
export function mismatch(values: Float32Array[], reference: Float32Array[], result: { maxAbsError?: number }, referenceName: string,
  tolerance = 2e-4): string | null {
  const { error, scale } = maxAbsError(values, reference);
  result.maxAbsError = error;
  if (error <= tolerance * Math.max(1, scale)) return null;
  return `values differ from the ${referenceName}: max |Δ| = ${error.toExponential(2)} (scale ${scale.toFixed(2)})`;
}

export async function peakBytesOf(prepared: Prepared): Promise<number> {
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
 * Times columns together: after the warm-up, each round runs every column once (or `runsPerSample`
 * times, see minSampleMs), in a rotating order, so that load spikes on a shared machine fall on all
 * columns alike. Each sample starts from a collected heap and pays only for the garbage collections
 * its own allocations cause. Returns the samples (ms per run) of each column.
 */
export async function timeInterleaved(columns: Array<Pick<Prepared, 'run'>>, { reps, warmup, minSampleMs = 0 }: TimingOptions): Promise<number[][]> {
  for (const prepared of columns) for (let i = 0; i < warmup; i++) await prepared.run();
  const runsPerSample: number[] = [];
  for (const prepared of columns) {
    if (minSampleMs <= 0) {
      runsPerSample.push(1);
      continue;
    }
    const t0 = performance.now();
    await prepared.run();
    runsPerSample.push(Math.max(1, Math.ceil(minSampleMs / Math.max(performance.now() - t0, 1e-3))));
  }
  const samples = columns.map(() => [] as number[]);
  for (let round = 0; round < reps; round++) {
    for (let k = 0; k < columns.length; k++) {
      const index = (k + round) % columns.length;
      const runs = runsPerSample[index];
      collectGarbage();
      const t0 = performance.now();
      for (let r = 0; r < runs; r++) await columns[index].run();
      samples[index].push((performance.now() - t0) / runs);
    }
  }
  return samples;
}

/** Tensors a column leaves behind per run (over three runs). */
export async function leakedTensorsOf(prepared: Prepared): Promise<number> {
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await prepared.run();
  return (tf.memory().numTensors - before) / 3;
}

async function measureInterleaved(c: BenchCase, timed: Array<{ prepared: Prepared; result: ColumnResult }>, timing: TimingOptions): Promise<void> {
  const samples = await timeInterleaved(timed.map((t) => t.prepared), timing);
  for (const [index, { prepared, result }] of timed.entries()) {
    if (timing.memory !== false) result.leakedTensors = await leakedTensorsOf(prepared);
    result.samplesMs = samples[index].map((s) => Math.round(s * 1000) / 1000);
    result.ms = median(samples[index]);
    result.gflops = modeFlops(c.cell, c.size, c.mode) / result.ms / 1e6;
    if (prepared.tracksMemory && timing.memory !== false) {
      result.peakBytes = await peakBytesOf(prepared);
      if (c.mode === 'fwdbwd') result.peakOverFloor = result.peakBytes / bpttFloorBytes(c.cell, c.size);
    }
  }
}

/** The active backend still computes (an aborted wasm module throws on every call). */
export function backendAlive(): boolean {
  try {
    return tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync()[0]) === 2;
  } catch {
    return false;
  }
}

/** Thrown by runCase when a column left the backend unusable; the backend must be revived. */
export class BackendLostError extends Error {
  constructor(readonly column: string, readonly reason: string) {
    super(`the ${column} column left the backend unusable (${reason})`);
  }
}

/** A column bound to its case: prepared on demand (a string: the reason it cannot run). */
export interface Candidate {
  id: string;
  prepare(): Promise<Prepared | string>;
}

export interface CheckedColumns {
  /** One per candidate, in the candidates' order (the reference among them). */
  results: ColumnResult[];
  /** The columns that passed their check, prepared, to be timed and then disposed. */
  timed: Array<{ prepared: Prepared; result: ColumnResult }>;
}

/**
 * Prepares every candidate, the reference first, and checks each against the reference's values
 * (`referenceName` in the reason of a mismatch), or against `given` reference values (computed
 * elsewhere, e.g. on another backend) when the reference cannot run here; a candidate that fails to prepare or check, or
 * does not match, is reported with its reason and not timed. Throws BackendLostError when a
 * candidate killed the backend (nothing else is disposed then: the backend's memory goes with it).
 */
export async function prepareChecked(candidates: Candidate[], referenceId: string, referenceName: string,
  given: Float32Array[] | null = null): Promise<CheckedColumns> {
  const results: ColumnResult[] = candidates.map((c) => ({ column: c.id, checked: false }));
  const timed: CheckedColumns['timed'] = [];
  const order = [...candidates.keys()].sort((a, b) => Number(candidates[b].id === referenceId) - Number(candidates[a].id === referenceId));
  let reference: Float32Array[] | null = given;
  for (const index of order) {
    const { id } = candidates[index];
    const result = results[index];
    let p: Prepared | string;
    try {
      p = await candidates[index].prepare();
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
        if (id === referenceId) {
          reference = values;
        } else if (reference) {
          const wrong = mismatch(values, reference, result, referenceName);
          if (wrong) {
            result.skipped = wrong;
            continue;
          }
          result.checked = true;
        }
      }
      timed.push({ prepared: p, result });
    } catch (e) {
      result.skipped = `failed: ${(e as Error).message.split('\n')[0]}`;
      // tf.layers can abort the wasm module (its heap): nothing after that can run on it. An
      // aborted module may still answer the liveness probe from a corrupt heap, so an abort
      // (a WebAssembly.RuntimeError) counts as lost whatever the probe says.
      if (e instanceof WebAssembly.RuntimeError || !backendAlive()) throw new BackendLostError(id, result.skipped);
    } finally {
      if (!timed.some((t) => t.prepared === p) && backendAlive()) p.dispose();
    }
  }
  return { results, timed };
}

/**
 * One (backend, cell, size, mode) over `columns`, each checked against the naive loop (which runs
 * first, and only for the check when it is not among `columns`), or against `given` values, before
 * it is timed.
 */
export async function runCase(c: BenchCase, columns: Column[], timing: TimingOptions,
  given?: { values: Float32Array[]; name: string }): Promise<CaseResult> {
  const withReference = given || columns.some((col) => col.id === REFERENCE_COLUMN) ? columns : [...columns, COLUMNS.find((col) => col.id === REFERENCE_COLUMN)!];
  const candidates = withReference.map((col) => ({ id: col.id, prepare: () => col.prepare(c) }));
  const { results, timed } = await prepareChecked(candidates, REFERENCE_COLUMN, given?.name ?? `${REFERENCE_COLUMN} loop`, given?.values);
  if (withReference !== columns) {
    const at = timed.findIndex((t) => t.result.column === REFERENCE_COLUMN);
    if (at >= 0) timed.splice(at, 1)[0].prepared.dispose();
  }
  try {
    await measureInterleaved(c, timed, timing);
  } finally {
    for (const { prepared } of timed) prepared.dispose();
  }
  const byId = new Map(results.filter((r) => columns.some((col) => col.id === r.column)).map((r) => [r.column, r]));
  // The faster of the backend's matmul and our panel product at the same FLOPs (either may be absent).
  const limit = Math.max(byId.get('matmul')?.gflops ?? 0, byId.get('panel')?.gflops ?? 0) || undefined;
  for (const r of byId.values()) if (limit && r.gflops) r.ofLimit = r.gflops / limit;
  return {
    backend: c.backend, cell: c.cell, size: sizeLabel(c.size), mode: c.mode,
    flops: modeFlops(c.cell, c.size, c.mode), bpttFloorBytes: bpttFloorBytes(c.cell, c.size),
    columns: COLUMNS.map((col) => byId.get(col.id)).filter((r): r is ColumnResult => r != null),
  };
}
