import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { LSTM, LSTMCell } from '../src/index.js';
const backend = process.argv[2] ?? 'cpu';
await tf.setBackend(backend);
for (const H of [256, 512]) {
  const layer = new LSTM(H, H);
  const cell = new LSTMCell(H, H);
  const x3 = tf.randomNormal([1, 1, H]); const x2 = tf.randomNormal([1, H]) as tf.Tensor2D;
  const carry = cell.initialCarry(1);
  const time = (f: () => void) => { for (let i = 0; i < 5; i++) f(); const t0 = performance.now(); for (let i = 0; i < 20; i++) f(); return (performance.now() - t0) / 20; };
  const a = time(() => tf.tidy(() => { const r = layer.apply(x3); (Array.isArray(r) ? r[0] : r.output ?? r).dataSync?.(); }));
  const b = time(() => tf.tidy(() => { const r = cell.step(x2, carry); r.output.dataSync(); }));
  const c = time(() => tf.tidy(() => { const r = layer.apply(tf.randomNormal([1, 64, H])); }));
  console.log(backend, H, 'apply T=1', a.toFixed(2), 'step', b.toFixed(2), 'apply T=64', c.toFixed(2));
}
