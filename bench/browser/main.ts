/**
 * The in-page half of `npm run bench:browser`: on each requested backend, times the blocked layer
 * (fused kernels), the legacy Recur loop and tf.layers on the same weights, forward and
 * forward+backward, checks that they agree, and reports the renderer (SwiftShader = software).
 * Parameters come from the query string; results land in window.benchResult.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// tf.layers calls chained tensor methods (x.flatten()), which the @tensorflow/tfjs union registers.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { GRU, LSTM, RNN } from 'rnn-migrate';
import { GRUCell, GRU as LegacyGRU, LSTM as LegacyLSTM, RNN as LegacyRNN, Recur } from 'rnn-migrate/legacy';
import { medianTime } from '../../demo/compare.js';
import { type BenchCell, dispatchRows } from './dispatches.js';

export type { BenchCell };

export interface BenchRow {
  backend: string;
  renderer: string;
  software: boolean;
  cell: BenchCell;
  batch: number;
  time: number;
  inputSize: number;
  hidden: number;
  mode: 'fwd' | 'fwdbwd';
  column: 'blocked' | 'legacy loop' | 'tf.layers';
  ms: number;
  maxDiffVsBlocked: number | null;
}

const params = new URLSearchParams(location.search);
const backends = (params.get('backends') ?? 'webgl,webgpu').split(',');
const cells = (params.get('cells') ?? 'lstm').split(',') as BenchCell[];
const lengths = (params.get('lengths') ?? '10,30').split(',').map(Number);
const batch = Number(params.get('batch') ?? 8);
const inputSize = Number(params.get('input') ?? 16);
const hidden = Number(params.get('hidden') ?? 32);
const repeats = Number(params.get('repeats') ?? 3);
const log = document.getElementById('log')!;

/** The GPU behind a backend, and whether it is a software rasteriser (SwiftShader, llvmpipe). */
async function rendererOf(backend: string): Promise<string> {
  if (backend === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    return gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : 'none';
  }
  if (backend === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
    const adapter = await gpu?.requestAdapter();
    const info = adapter?.info ?? {};
    return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  }
  return 'cpu';
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, k) => arr.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i])))));
  return worst;
}

const blockedClass = { lstm: LSTM, gru: GRU, rnn: RNN };
const legacyFactory = { lstm: LegacyLSTM, gru: LegacyGRU, rnn: LegacyRNN };

/** The blocked layer and the legacy Recur of a bench cell. */
function layersOf(cell: BenchCell) {
  if (cell === 'gru-reset-before') {
    return { blocked: new GRU(inputSize, hidden, { resetAfter: false }), recur: new Recur(new GRUCell(inputSize, hidden, { resetAfter: false })) };
  }
  return { blocked: new blockedClass[cell](inputSize, hidden), recur: legacyFactory[cell](inputSize, hidden) };
}

async function benchOne(backend: string, renderer: string, cell: BenchCell, T: number): Promise<BenchRow[]> {
  const software = /swiftshader|llvmpipe|software/i.test(renderer);
  const { blocked, recur } = layersOf(cell);
  recur.cell.setWeights(blocked.cell.getWeights());
  const x = tf.randomUniform([batch, T, inputSize], -1, 1) as tf.Tensor3D;
  const steps = tf.unstack(x, 1) as tf.Tensor2D[];
  // tf.layers on the same weights (Keras layout). Its GRU is reset_before: it computes the same
  // function as 'gru-reset-before'; the reset-after 'gru' row is timed but not compared.
  const layer =
    cell === 'lstm'
      ? tfl.layers.lstm({ units: hidden, returnSequences: true, recurrentActivation: 'sigmoid' })
      : cell === 'rnn'
        ? tfl.layers.simpleRNN({ units: hidden, returnSequences: true })
        : tfl.layers.gru({ units: hidden, returnSequences: true, recurrentActivation: 'sigmoid' });
  tf.dispose(layer.apply(x) as tf.Tensor); // builds it (build() alone leaves it unbuilt for apply)
  const comparable = cell !== 'gru';
  if (comparable) layer.setWeights(blocked.cell.getWeights());
  const layerVariables = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const blockedVariables = blocked.trainableVariables();

  const row = (mode: BenchRow['mode'], column: BenchRow['column'], ms: number, diff: number | null): BenchRow => ({
    backend, renderer, software, cell, batch, time: T, inputSize, hidden, mode, column, ms, maxDiffVsBlocked: diff,
  });
  const fwdBlocked = await medianTime(() => [blocked.apply(x).output], repeats);
  const fwdLegacy = await medianTime(
    () => [
      tf.tidy(() => {
        recur.reset();
        return tf.stack(steps.map((xt) => recur.step(xt)), 1);
      }),
    ],
    repeats,
  );
  const fwdLayers = await medianTime(() => [layer.apply(x) as tf.Tensor], repeats);
  const grads = (variables: tf.Variable[], forward: () => tf.Tensor) => () => {
    const { value, grads: g } = tf.variableGrads(() => tf.sum(forward()) as tf.Scalar, variables);
    value.dispose();
    return variables.map((v) => g[v.name]);
  };
  const bwdBlocked = await medianTime(grads(blockedVariables, () => blocked.apply(x).output), repeats);
  const bwdLayers = await medianTime(grads(layerVariables, () => layer.apply(x) as tf.Tensor), repeats);
  recur.reset();
  const rows = [
    row('fwd', 'blocked', fwdBlocked.ms, 0),
    row('fwd', 'legacy loop', fwdLegacy.ms, maxDiff(fwdLegacy.values, fwdBlocked.values)),
    row('fwd', 'tf.layers', fwdLayers.ms, comparable ? maxDiff(fwdLayers.values, fwdBlocked.values) : null),
    row('fwdbwd', 'blocked', bwdBlocked.ms, 0),
    row('fwdbwd', 'tf.layers', bwdLayers.ms, comparable ? maxDiff(bwdLayers.values, bwdBlocked.values) : null),
  ];
  tf.dispose([x, ...steps]);
  layer.dispose();
  blocked.dispose();
  return rows;
}

/** `--dispatches`: programs dispatched per step and per sequence, instead of times. */
async function countPrograms(): Promise<void> {
  const rows = [];
  for (const backend of backends) {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
    await tf.ready();
    log.textContent = `${backend}: counting programs…`;
    rows.push(...dispatchRows(backend, cells, lengths));
  }
  (window as unknown as { benchResult: unknown }).benchResult = { dispatches: rows };
}

async function main(): Promise<void> {
  if (params.get('dispatches') === 'true') return countPrograms();
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
    await tf.ready();
    const renderer = await rendererOf(backend);
    for (const cell of cells) {
      for (const T of lengths) {
        log.textContent = `${backend} ${cell} T=${T}…`;
        rows.push(...(await benchOne(backend, renderer, cell, T)));
      }
    }
  }
  log.textContent = JSON.stringify(rows, null, 1);
  (window as unknown as { benchResult: unknown }).benchResult = { rows };
}

main().catch((error: Error) => {
  (window as unknown as { benchResult: unknown }).benchResult = { error: String(error?.stack ?? error) };
});
