/**
 * `npm run bench:browser`: browser benchmarks of the GPU backends. Serves bench/browser/ with the
 * demo's Vite server, opens it in Debian's headless Chromium (the browser suite's flags: WebGL and
 * WebGPU on SwiftShader when there is no GPU), and prints, per backend, the blocked layer (fused
 * kernels), the legacy Recur loop and tf.layers, forward and forward+backward, in milliseconds.
 * Rows run on a software rasteriser are labelled "software rendering (SwiftShader)": those numbers
 * measure the CPU emulating a GPU, not a GPU.
 *
 *   npm run bench:browser -- [--backends webgl,webgpu] [--cells lstm,gru,gru-reset-before,rnn] [--lengths 10,30]
 *                            [--batch 8] [--input 16] [--hidden 32] [--repeats 3]
 * Results also go to .bench-out/browser.json.
 *
 *   npm run bench:browser -- --dispatches [--cells lstm,gru,gru-reset-before,rnn] [--lengths 20,40]
 * counts instead the GPU programs dispatched per step (batch 1, 1–3 stacked layers) and per
 * sequence (batch 1, forward and forward+backward), beside tf.multiRNNCell(basicLSTMCell) and
 * tf.layers, as a markdown table (also .bench-out/browser-dispatches.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../demo/serve.js';
import { chromiumArgs, chromiumExecutable } from '../test/browser/chromium.js';
import type { BenchRow } from './browser/main.js';
import type { DispatchRow } from './browser/dispatches.js';

const CELL_NAMES = { lstm: 'LSTM', gru: 'GRU', 'gru-reset-before': 'GRU (resetAfter: false)', rnn: 'SimpleRNN' };

/** The dispatch counts as a markdown table: a row per cell and case, a column pair per backend. */
function printDispatches(rows: DispatchRow[]): void {
  const backends = [...new Set(rows.map((r) => r.backend))];
  const caseOf = (r: DispatchRow) =>
    r.what === 'step' ? `cell.step, ${r.size} layer${r.size > 1 ? 's' : ''}` : `${r.what === 'fwd' ? 'forward' : 'fwd+bwd'}, T=${r.size}`;
  const columns = backends.flatMap((b) => [`${b}: rnn-migrate`, `${b}: tfjs`]);
  console.log('Programs dispatched, batch 1, input 8, hidden 16 (tfjs: tf.multiRNNCell(basicLSTMCell) per step, tf.layers per sequence)\n');
  console.log(`| cell | case | ${columns.join(' | ')} |`);
  console.log(`|---|---|${columns.map(() => '---:').join('|')}|`);
  const keys = [...new Set(rows.map((r) => `${r.cell}|${caseOf(r)}`))];
  for (const key of keys) {
    const own = rows.filter((r) => `${r.cell}|${caseOf(r)}` === key);
    const cells = backends.flatMap((b) => {
      const r = own.find((o) => o.backend === b);
      return [r ? String(r.ours) : '—', r?.tfjs == null ? '—' : String(r.tfjs)];
    });
    console.log(`| ${CELL_NAMES[own[0].cell]} | ${caseOf(own[0])} | ${cells.join(' | ')} |`);
  }
}

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'webgl,webgpu' },
    cells: { type: 'string', default: 'lstm' },
    lengths: { type: 'string', default: '10,30' },
    batch: { type: 'string', default: '8' },
    input: { type: 'string', default: '16' },
    hidden: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '3' },
    dispatches: { type: 'boolean', default: false },
  },
});
if (args.dispatches && process.argv.every((a) => !a.startsWith('--lengths'))) args.lengths = '20,40';
if (args.dispatches && process.argv.every((a) => !a.startsWith('--cells'))) args.cells = 'lstm,gru,gru-reset-before,rnn';

const server = await startDemoServer(0, { watch: false });
const browser = await chromium.launch({ executablePath: chromiumExecutable(), headless: true, args: chromiumArgs });
try {
  const page = await browser.newPage();
  const query = new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)])).toString();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  // Vite bundles tfjs on the first visit: do not wait for the load event.
  await page.goto(new URL(`../bench/browser/?${query}`, server.url).toString(), { waitUntil: 'commit' });
  await page.waitForFunction(() => (window as unknown as { benchResult?: unknown }).benchResult, undefined, {
    timeout: 30 * 60_000,
  });
  const result = (await page.evaluate(() => (window as unknown as { benchResult: unknown }).benchResult)) as {
    rows?: BenchRow[];
    dispatches?: DispatchRow[];
    error?: string;
  };
  if (result.error) throw new Error(result.error);
  if (result.dispatches) {
    mkdirSync('.bench-out', { recursive: true });
    writeFileSync('.bench-out/browser-dispatches.json', JSON.stringify({ args, chromium: browser.version(), rows: result.dispatches }, null, 2));
    printDispatches(result.dispatches);
    process.exit(0);
  }
  const rows = result.rows!;
  mkdirSync('.bench-out', { recursive: true });
  writeFileSync('.bench-out/browser.json', JSON.stringify({ args, chromium: browser.version(), rows }, null, 2));

  console.log(`Chromium ${browser.version()} headless; B=${args.batch} in=${args.input} H=${args.hidden}, median of ${args.repeats}`);
  for (const backend of new Set(rows.map((r) => r.backend))) {
    const own = rows.filter((r) => r.backend === backend);
    const label = own[0].software ? 'software rendering (SwiftShader)' : 'hardware';
    console.log(`\n${backend}: ${own[0].renderer} [${label}]`);
    const cellWidth = Math.max(5, ...own.map((r) => r.cell.length + 1));
    console.log(`${'cell'.padEnd(cellWidth)} T     mode    blocked ms  legacy loop ms  tf.layers ms  max|Δ| legacy/layers vs blocked`);
    for (const key of new Set(own.map((r) => `${r.cell}|${r.time}|${r.mode}`))) {
      const [cell, T, mode] = key.split('|');
      const of = (column: BenchRow['column']) => own.find((r) => `${r.cell}|${r.time}|${r.mode}` === key && r.column === column);
      const ms = (r?: BenchRow) => (r ? r.ms.toFixed(1) : '—').padStart(12);
      const diff = (r?: BenchRow) => (r?.maxDiffVsBlocked == null ? '—' : r.maxDiffVsBlocked.toExponential(1));
      console.log(
        `${cell.padEnd(cellWidth)} ${T.padEnd(5)} ${mode.padEnd(7)} ${ms(of('blocked'))} ${ms(of('legacy loop'))} ${ms(of('tf.layers'))}  ${diff(of('legacy loop'))} / ${diff(of('tf.layers'))}`,
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
}
