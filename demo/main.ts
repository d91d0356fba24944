/** The demo page's wiring: read the controls, switch the backend, run the comparison, draw. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { lineChart } from './chart.js';
import { type CellKind, type CompareRow, compareAt } from './compare.js';

// The wasm backend fetches its binaries at runtime; the demo server serves them from node_modules.
setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');
const runButton = $<HTMLButtonElement>('run');

function setStatus(text: string, state: 'running' | 'done' | 'error'): void {
  status.textContent = text;
  status.dataset.state = state;
  status.className = state === 'error' ? 'error' : '';
}

function readNumber(id: string): number {
  const value = Math.floor(Number($<HTMLInputElement>(id).value));
  if (!(value >= 1)) throw new Error(`${id} must be a positive integer`);
  return value;
}

function readLengths(): number[] {
  const lengths = $<HTMLInputElement>('lengths')
    .value.split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (lengths.length === 0 || lengths.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error('sequence lengths must be positive integers separated by commas');
  }
  return lengths;
}

function renderRows(rows: CompareRow[]): void {
  const table = $<HTMLTableElement>('results');
  table.hidden = false;
  table.tBodies[0].innerHTML = rows
    .map((r) => {
      const agree = r.maxDiff <= 1e-4;
      return `<tr><td>${r.time}</td><td>${r.legacyMs.toFixed(1)}</td><td>${r.blockedMs.toFixed(1)}</td>
        <td>${(r.legacyMs / r.blockedMs).toFixed(1)}×</td>
        <td class="${agree ? 'agree' : 'disagree'}" data-max-diff="${r.maxDiff}">${r.maxDiff.toExponential(1)} ${agree ? '✓' : '✗'}</td></tr>`;
    })
    .join('');
  $('chart').innerHTML = lineChart(
    [
      { name: 'legacy Recur loop', color: '#dd6b20', points: rows.map((r) => [r.time, r.legacyMs]) },
      { name: 'blocked call', color: '#2b6cb0', points: rows.map((r) => [r.time, r.blockedMs]) },
    ],
    'sequence length (time steps)',
    'milliseconds',
  );
}

async function run(): Promise<void> {
  runButton.disabled = true;
  try {
    const backend = $<HTMLSelectElement>('backend').value;
    const options = {
      kind: $<HTMLSelectElement>('cell').value as CellKind,
      batch: readNumber('batch'),
      inputSize: readNumber('inputSize'),
      hidden: readNumber('hidden'),
      repeats: readNumber('repeats'),
    };
    const lengths = readLengths();
    setStatus(`Starting the ${backend} backend…`, 'running');
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend is not available in this browser`);
    await tf.ready();
    const rows: CompareRow[] = [];
    for (const time of lengths) {
      setStatus(`Running ${backend}: ${time} time steps…`, 'running');
      rows.push(await compareAt(options, time));
      renderRows(rows);
    }
    const worst = Math.max(...rows.map((r) => r.maxDiff));
    setStatus(
      `Done on ${tf.getBackend()}: outputs ${worst <= 1e-4 ? 'agree' : 'DISAGREE'} (max |Δ| ${worst.toExponential(1)}).`,
      'done',
    );
  } catch (error) {
    setStatus(`Error: ${(error as Error).message}`, 'error');
  } finally {
    runButton.disabled = false;
  }
}

$<HTMLFormElement>('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
