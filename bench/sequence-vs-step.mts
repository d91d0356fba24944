// One-timestep batch-1 LSTM.apply against LSTMCell.step, warmed and interleaved (6 rounds of 100 calls): the fixed cost of a sequence call.
// node --import tsx bench/sequence-vs-step.mts [cpu|wasm]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { LSTM, LSTMCell } from '../src/index.js';
await tf.setBackend(process.argv[2] ?? 'wasm');
for (const H of [256, 512]) {
  const layer = new LSTM(H, H); const cell = new LSTMCell(H, H);
  const x3 = tf.randomNormal([1, 1, H]); const x2 = tf.randomNormal([1, H]) as tf.Tensor2D; const carry = cell.initialCarry(1);
  const fs = { apply: () => (layer.apply(x3) as any).output.dataSync(), step: () => cell.step(x2, carry).output.dataSync() };
  const res: Record<string, number[]> = { apply: [], step: [] };
  for (let round = 0; round < 6; round++) for (const [k, f] of Object.entries(fs)) {
    const t0 = performance.now(); for (let i = 0; i < 100; i++) tf.tidy(f); res[k].push((performance.now() - t0) / 100);
  }
  console.log(tf.getBackend(), H, Object.entries(res).map(([k, v]) => `${k} min ${Math.min(...v).toFixed(3)} med ${v.sort((a, b) => a - b)[3].toFixed(3)}`).join(' | '));
}
