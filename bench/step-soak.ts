/**
 * node --import tsx bench/step-soak.ts [steps=10000]
 *
 * The memory soak of issue 12: a 2-layer LSTM (H = 128) stepped at batch 1 with LSTMCell.step and
 * with the legacy Recur.step, and a reset-before GRU (a second product inside its step, its weight
 * prepared once per R) with GRUCell.step, on cpu and wasm; tf.memory(), the wasm heap and the memory of
 * the cpu backend's SIMD product (weights prepared per lifetime) after the first 100 steps and after the last must be equal (a tensor leaked per step shows in tf.memory(); heap blocks
 * leaked per step grow the wasm memory, whose size is what is compared).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { GRUCell, LSTMCell } from '../src/index.js';
import { Recur } from '../src/legacy/index.js';
import { simdHostMathMemoryBytes } from '../src/runtime/kernels/host/simd/simd_host_math.js';

const steps = Number(process.argv[2] ?? 10000);
const [layers, hidden] = [2, 128];

/** tf.memory(), the wasm backend's heap, and the memory of the cpu backend's SIMD product (its prepared weights). */
function usage(): { tensors: number; bytes: number; heap: number; simdProduct: number } {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  return { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: wasm ? wasm.HEAPU8.length : 0, simdProduct: simdHostMathMemoryBytes() };
}

function soak(label: string, step: () => void): boolean {
  for (let s = 0; s < 100; s++) step();
  const before = usage();
  for (let s = 100; s < steps; s++) step();
  const after = usage();
  const same = before.tensors === after.tensors && before.bytes === after.bytes && before.heap === after.heap && before.simdProduct === after.simdProduct;
  console.log(`${tf.getBackend()} ${label}: after 100 steps ${JSON.stringify(before)}, after ${steps} ${JSON.stringify(after)}: ${same ? 'no growth' : 'GROWTH'}`);
  return same;
}

let ok = true;
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  const cells = Array.from({ length: layers }, () => new LSTMCell(hidden, hidden));
  const x = tf.randomNormal([1, hidden]) as tf.Tensor2D;
  let carries = cells.map((cell) => cell.initialCarry(1));
  ok = soak('LSTMCell.step', () => {
    const next = tf.tidy(() => {
      let input = x;
      return cells.map((cell, l) => {
        const r = cell.step(input, carries[l]);
        input = r.output;
        return r.carry;
      });
    });
    tf.dispose(carries);
    carries = next;
  }) && ok;
  tf.dispose(carries);
  const recurs = cells.map((cell) => new Recur(cell));
  ok = soak('Recur.step', () => {
    const top = tf.tidy(() => recurs.reduce<tf.Tensor>((input, recur) => recur.step(input), x));
    top.dispose();
  }) && ok;
  for (const recur of recurs) recur.reset();
  const gru = new GRUCell(hidden, hidden, { resetAfter: false });
  let gruCarry = gru.initialCarry(1);
  ok = soak('GRUCell.step (reset before)', () => {
    const next = tf.tidy(() => gru.step(x, gruCarry).carry);
    tf.dispose(gruCarry);
    gruCarry = next;
  }) && ok;
  tf.dispose(gruCarry);
  gru.dispose();
  x.dispose();
  for (const cell of cells) cell.dispose();
}
process.exitCode = ok ? 0 : 1;
