/**
 * Where the time of a batch-1 LSTM step goes on a backend, layer by layer, as CPU time per step
 * (process.cpuUsage: steadier than wall time on a shared machine; the minimum of interleaved
 * rounds). Each row adds one layer of the path on top of the row before it:
 *   products      x·K + h·R alone, as the step computes them: on our SIMD panel product, K and R
 *                 packed once, x and h read where the backend keeps them (without WebAssembly
 *                 SIMD: XNNPACK on the tensors' ids, summed on the heap, on wasm): the step's floor
 *   kernel        the registered step kernel called directly (operands, gate math, output tensors)
 *   op            lstmStep: the engine's runKernel around it
 *   cell.step     validation of x and the carry
 *   Recur.step    the legacy wrapper (state bookkeeping, the clone of h it stores)
 * and, for scale, the same products on XNNPACK (wasm), tf.matMul [1, 2H]·[2H, 4H] (what tfjs does),
 * tf.multiRNNCell over tf.basicLSTMCell, LSTM.apply on one timestep [1, 1, H] (the fixed cost of a
 * sequence call over a step), and the products on a weight never multiplied before (packed then:
 * what every step would cost if packings were not kept per weight).
 *
 *   node --import tsx bench/step-overhead.ts [--backend wasm|cpu] [--hidden 128,256] [--rounds 9]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { parseArgs } from 'node:util';
import { LSTM, LSTMCell } from '../src/index.js';
import { LSTM as LegacyLSTM, configureChecker } from '../src/legacy/index.js';
import { CELLS } from '../src/runtime/kernels/cell_table.js';
import { lstmStep } from '../src/runtime/kernels/ops.js';
import { cpuTensorIO, wasmTensorIO } from '../src/runtime/kernels/host/backend_io.js';
import { simdHostMath } from '../src/runtime/kernels/host/simd/simd_host_math.js';
import { cpuMicrosPerCall as measure } from './cpu-time.js';

const { values: args } = parseArgs({
  options: { backend: { type: 'string', default: 'wasm' }, hidden: { type: 'string', default: '128,256' }, rounds: { type: 'string', default: '9' } },
});
await tf.setBackend(args.backend!);
configureChecker({ mode: 'off' });
const backend = tf.backend();
const io = args.backend === 'wasm' ? wasmTensorIO : cpuTensorIO;
const stepKernel = tf.getKernel(CELLS.lstm.kernels.step, args.backend!)!;

for (const H of args.hidden!.split(',').map(Number)) {
  const cell = new LSTMCell(H, H, { seed: 1 });
  const recur = LegacyLSTM(H, H);
  recur.cell.setWeights(cell.getWeights());
  const layer = new LSTM(H, H);
  layer.cell.setWeights(cell.getWeights());
  const x3 = tf.reshape(tf.randomNormal([1, H], 0, 1, 'float32', 2), [1, 1, H]);
  const x = tf.randomNormal([1, H], 0, 1, 'float32', 2) as tf.Tensor2D;
  const carry = { h: tf.randomNormal([1, H], 0, 0.5, 'float32', 3) as tf.Tensor2D, c: tf.zeros([1, H]) as tf.Tensor2D };
  const weights = { kernel: cell.kernel, recurrentKernel: cell.recurrentKernel, bias: cell.bias as tf.Tensor1D };
  const sum = new Float32Array(4 * H);
  const xh = tf.concat([x, carry.h], 1);
  const stacked = tf.concat([cell.kernel, cell.recurrentKernel], 0);
  const basicKernel = tf.randomNormal([2 * H, 4 * H], 0, 0.05, 'float32', 4) as tf.Tensor2D;
  const basicBias = tf.zeros([4 * H]) as tf.Tensor1D;
  const forgetBias = tf.scalar(1);
  const basic = (data: tf.Tensor2D, c: tf.Tensor2D, h: tf.Tensor2D) => tf.basicLSTMCell(forgetBias, basicKernel, basicBias, data, c, h);
  const xnnpack = () => {
    if (io.productSum?.(backend, x, cell.kernel, carry.h, cell.recurrentKernel, sum)) return;
    io.product?.(backend, x, cell.kernel, sum);
    io.product?.(backend, carry.h, cell.recurrentKernel, sum, true);
  };
  // The step's own path: K and R packed once into the panel product's memory, x and h read in place.
  const simd = simdHostMath();
  const panels = simd?.prepareRight
    ? [simd.prepareRight(io.read(backend, cell.kernel), H, 4 * H), simd.prepareRight(io.read(backend, cell.recurrentKernel), H, 4 * H)]
    : null;
  const view = (t: tf.Tensor) => (io.view ? io.view(backend, t) : io.read(backend, t));
  const products = panels
    ? () => {
      panels[0].run(view(x), sum, 1);
      panels[1].run(view(carry.h), sum, 1, true);
    }
    : xnnpack;
  const cases: Record<string, () => void> = {
    products,
    kernel: () => {
      const inputs = { x, h: carry.h, c: carry.c, ...weights };
      const outputs = stepKernel.kernelFunc({ inputs, backend, attrs: { saveForBackward: false, backend: args.backend! } }) as tf.TensorInfo[];
      for (const output of outputs) backend.disposeData(output.dataId);
    },
    op: () => tf.dispose(lstmStep({ x, ...carry, ...weights, activation: 'tanh', recurrentActivation: 'sigmoid' })),
    'cell.step': () => tf.dispose(cell.step(x, carry).carry),
    'Recur.step': () => void tf.tidy(() => void recur.step(x)),
    ...(panels && io.product ? { 'products on XNNPACK (wasm without SIMD)': xnnpack } : {}),
    'tf.matMul [1,2H]·[2H,4H]': () => tf.matMul(xh, stacked).dispose(),
    'tf.multiRNNCell(basicLSTMCell)': () => tf.dispose(tf.tidy(() => tf.multiRNNCell([basic], x, [carry.c], [carry.h]))),
    'LSTM.apply, one timestep [1, 1, H]': () => void tf.tidy(() => void layer.apply(x3, carry)),
  };
  recur.step(x); // a stored state: the steps measured start from one
  const calls = Math.max(200, Math.round(2e5 / H));
  const best = measure(cases, Number(args.rounds), calls);
  // A weight multiplied for the first time through the op: it is packed then (once per weight lifetime).
  const fresh = measure({
    'op, weights never multiplied before': () => {
      const [kernel, recurrentKernel] = [tf.add(cell.kernel, 0), tf.add(cell.recurrentKernel, 0)] as tf.Tensor2D[];
      tf.dispose(lstmStep({ x, ...carry, kernel, recurrentKernel, bias: weights.bias, activation: 'tanh', recurrentActivation: 'sigmoid' }));
      tf.dispose([kernel, recurrentKernel]);
    },
    'the same, with weights multiplied before': () => {
      const [kernel, recurrentKernel] = [tf.add(cell.kernel, 0), tf.add(cell.recurrentKernel, 0)];
      tf.dispose(lstmStep({ x, ...carry, ...weights, activation: 'tanh', recurrentActivation: 'sigmoid' }));
      tf.dispose([kernel, recurrentKernel]);
    },
  }, 3, Math.max(20, Math.round(calls / 20)));
  const mib = (2 * H * 4 * H * 4) / 2 ** 20;
  console.log(`\n${args.backend} LSTM 1×H${H}, batch 1, weights ${mib.toFixed(2)} MiB: CPU µs per step (min of ${args.rounds} interleaved rounds)`);
  let previous = 0;
  for (const [name, us] of Object.entries(best)) {
    const layered = ['kernel', 'op', 'cell.step', 'Recur.step'].includes(name);
    const added = layered ? `  (+${(us - (name === 'Recur.step' ? best['cell.step'] : previous)).toFixed(1)})` : '';
    console.log(`  ${name.padEnd(44)} ${us.toFixed(1).padStart(7)}${added}`);
    if (name !== 'Recur.step') previous = us;
  }
  for (const [name, us] of Object.entries(fresh)) console.log(`  ${name.padEnd(44)} ${us.toFixed(1).padStart(7)}`);
  console.log(`  cell.step vs multiRNNCell ${(best['tf.multiRNNCell(basicLSTMCell)'] / best['cell.step']).toFixed(2)}×, Recur / cell.step ${(best['Recur.step'] / best['cell.step']).toFixed(2)}, products ${((mib * 2 ** 20) / best.products / 1e3).toFixed(1)} GB/s`);
  tf.dispose([x, x3, carry.h, carry.c, xh, stacked, basicKernel, basicBias, forgetBias]);
  for (const panel of panels ?? []) panel.release();
  layer.dispose();
  recur.reset();
  cell.dispose();
  recur.cell.dispose();
}
