/**
 * A reset-before GRU step (tf.layers' GRU, Keras reset_after=False) at batch 1, as CPU time per
 * step (process.cpuUsage, the minimum of interleaved rounds): its three products x·K, h·R[:, :2H]
 * and (r⊙h)·Rn inside one step kernel; with --layers L, a step of L layers of their own weights
 * (input size H: more weights than the caches hold). Rows:
 *   kernel        the registered GRUStep kernel called directly (operands, gate math, output tensor)
 *   gruStep       the op: the engine's runKernel around it
 * and, for scale, the reset-after GRU's gruStep on weights of the same size (two products, x·K
 * and h·R, over all of R).
 *
 *   node --import tsx bench/gru-step.ts [--backend wasm|cpu] [--hidden 128,256,512,1024] [--layers 1] [--rounds 9]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { parseArgs } from 'node:util';
import { CELLS } from '../src/runtime/kernels/cell_table.js';
import { gruStep } from '../src/runtime/kernels/ops.js';
import { cpuMicrosPerCall } from './cpu-time.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' }, hidden: { type: 'string', default: '128,256,512,1024' }, layers: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '9' },
  },
});
const layers = Number(args.layers);
await tf.setBackend(args.backend!);
const backend = tf.backend();
const stepKernel = tf.getKernel(CELLS.gru.kernels.step, args.backend!)!;

for (const H of args.hidden!.split(',').map(Number)) {
  const scale = 1 / Math.sqrt(H);
  const [x, h] = [2, 3].map((seed) => tf.randomNormal([1, H], 0, 1, 'float32', seed) as tf.Tensor2D);
  const stack = Array.from({ length: layers }, (_, l) => ({
    kernel: tf.randomNormal([H, 3 * H], 0, scale, 'float32', 10 * l + 4) as tf.Tensor2D,
    recurrentKernel: tf.randomNormal([H, 3 * H], 0, scale, 'float32', 10 * l + 5) as tf.Tensor2D,
    bias: tf.randomNormal([3 * H], 0, 0.1, 'float32', 10 * l + 6),
    biasAfter: tf.randomNormal([2, 3 * H], 0, 0.1, 'float32', 10 * l + 7),
  }));
  const variant = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
  const cases: Record<string, () => void> = {
    kernel: () => {
      for (const { kernel, recurrentKernel, bias } of stack) {
        const inputs = { x, h, kernel, recurrentKernel, bias };
        const outputs = stepKernel.kernelFunc({ inputs, backend, attrs: { saveForBackward: false, ...variant, resetAfter: false } }) as tf.TensorInfo[];
        for (const output of outputs) backend.disposeData(output.dataId);
      }
    },
    gruStep: () => {
      for (const { kernel, recurrentKernel, bias } of stack) gruStep({ x, h, kernel, recurrentKernel, bias, ...variant, resetAfter: false }).h.dispose();
    },
    'gruStep reset-after (for scale)': () => {
      for (const { kernel, recurrentKernel, biasAfter } of stack) gruStep({ x, h, kernel, recurrentKernel, bias: biasAfter, ...variant, resetAfter: true }).h.dispose();
    },
  };
  const best = cpuMicrosPerCall(cases, Number(args.rounds), Math.max(50, Math.round(1e5 / H / layers)));
  const bytes = layers * 2 * H * 3 * H * 4;
  console.log(`\n${args.backend} reset-before GRU ${layers}×H${H}, batch 1, weights ${(bytes / 2 ** 20).toFixed(2)} MiB: CPU µs per step (min of ${args.rounds} interleaved rounds)`);
  for (const [name, us] of Object.entries(best)) console.log(`  ${name.padEnd(34)} ${us.toFixed(1).padStart(8)}`);
  console.log(`  gruStep streams the weights at ${(bytes / best.gruStep / 1e3).toFixed(1)} GB/s`);
  tf.dispose([x, h, ...stack.flatMap((layer) => Object.values(layer))]);
}
