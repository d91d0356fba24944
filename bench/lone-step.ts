/**
 * `npm run bench:lone-step`: what a lone `tf.multiRNNCell` step (one step per call, the state kept
 * by the caller: piano_genie's `update()`) costs as written and as the codemod would rewrite it
 * in place, at batch 1. The rewrite cannot hoist anything out of the call (nothing proves the
 * weights outlive it or stay the same), so each call imports the cells with cellFromBasicLSTMCell,
 * steps them and releases them. Columns, per call (ms, median of interleaved rounds):
 *   - as written: `tf.tidy(() => tf.multiRNNCell(cells, x, c, h))` over tf.basicLSTMCell closures;
 *   - import per call: cellFromBasicLSTMCell per layer + cell.step + dispose (the in-place rewrite);
 *   - imported once: cell.step on cells imported beforehand (what a stepping loop gets: the bound
 *     a lone step could reach only if the import were free).
 * Every column steps the same inputs from zeros; their top outputs are checked against the first.
 *
 *   --backend cpu,wasm --layers 1,2 --hidden 64,256,512 --calls 16 --reps 7
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cellFromBasicLSTMCell, type LSTMCell } from '../src/index.js';
import { median } from './measure.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu,wasm' },
    layers: { type: 'string', default: '1,2' },
    hidden: { type: 'string', default: '64,256,512' },
    calls: { type: 'string', default: '16' },
    reps: { type: 'string', default: '7' },
  },
});
const list = (text: string, flag: string) => text.split(',').filter(Boolean).map((word) => {
  const n = Number(word);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag}: expected positive integers, got "${word}"`);
  return n;
});
const backends = args.backend!.split(',').filter(Boolean);
for (const backend of backends) if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--backend: expected cpu or wasm, got "${backend}"`);
const [calls] = list(args.calls!, 'calls');
const [reps] = list(args.reps!, 'reps');

type State = { c: tf.Tensor2D[]; h: tf.Tensor2D[] };
type Step = (x: tf.Tensor2D, state: State) => State;

function columns(layers: number, H: number) {
  const kernels = Array.from({ length: layers }, (_, l) => tf.randomUniform([2 * H, 4 * H], -0.1, 0.1, 'float32', 7 + l) as tf.Tensor2D);
  const biases = Array.from({ length: layers }, (_, l) => tf.randomUniform([4 * H], -0.1, 0.1, 'float32', 70 + l) as tf.Tensor1D);
  const forgetBias = tf.scalar(1);
  const closures = kernels.map((kernel, l) => (x: tf.Tensor2D, c: tf.Tensor2D, h: tf.Tensor2D) => tf.basicLSTMCell(forgetBias, kernel, biases[l]!, x, c, h));
  const stepCells = (cells: LSTMCell[], x: tf.Tensor2D, state: State): State => {
    let input = x;
    const carries = cells.map((cell, l) => {
      const { output, carry } = cell.step(input, { h: state.h[l]!, c: state.c[l]! });
      input = output;
      return carry;
    });
    return { c: carries.map((carry) => carry.c), h: carries.map((carry) => carry.h) };
  };
  const once = kernels.map((kernel, l) => cellFromBasicLSTMCell(kernel, biases[l]!, 1));
  const steps: Array<[string, Step]> = [
    ['as written (tf.multiRNNCell)', (x, state) => {
      const [c, h] = tf.tidy(() => tf.multiRNNCell(closures, x, state.c, state.h));
      return { c: c as tf.Tensor2D[], h: h as tf.Tensor2D[] };
    }],
    ['import per call (the rewrite)', (x, state) => tf.tidy(() => {
      const cells = kernels.map((kernel, l) => cellFromBasicLSTMCell(kernel, biases[l]!, forgetBias));
      try {
        return stepCells(cells, x, state);
      } finally {
        cells.forEach((cell) => cell.dispose());
      }
    })],
    ['imported once (bound)', (x, state) => tf.tidy(() => stepCells(once, x, state))],
  ];
  const dispose = () => tf.dispose([...kernels, ...biases, forgetBias, ...once.flatMap((cell) => cell.getWeights())]);
  return { steps, dispose };
}

/** `calls` streaming calls from zeros; the top h of each call read back (as piano_genie samples from it). */
function stream(step: Step, xs: tf.Tensor2D[], layers: number, H: number): Float32Array[] {
  let state: State = { c: Array.from({ length: layers }, () => tf.zeros([1, H])), h: Array.from({ length: layers }, () => tf.zeros([1, H])) };
  const tops = xs.map((x) => {
    const next = step(x, state);
    tf.dispose([...state.c, ...state.h]);
    state = next;
    return state.h[layers - 1]!.dataSync() as Float32Array;
  });
  tf.dispose([...state.c, ...state.h]);
  return tops;
}

async function main(): Promise<void> {
  console.log(`# lone step per call, batch 1, input = H, ms per call (median of ${reps} interleaved rounds of ${calls} calls)`);
  console.log(`${os.cpus()[0]?.model ?? 'cpu'}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  for (const backend of backends) {
    await tf.setBackend(backend);
    await tf.ready();
    console.log(`## ${backend}\n| layers | H | as written | import per call | imported once | per call / as written | once / as written | max |Δ| |`);
    console.log('|---|---|---|---|---|---|---|---|');
    for (const layers of list(args.layers!, 'layers')) {
      for (const H of list(args.hidden!, 'hidden')) {
        const { steps, dispose } = columns(layers, H);
        const xs = Array.from({ length: calls }, (_, t) => tf.randomUniform([1, H], -1, 1, 'float32', 500 + t) as tf.Tensor2D);
        const reference = stream(steps[0]![1], xs, layers, H);
        const error = Math.max(...steps.slice(1).flatMap(([, step]) => stream(step, xs, layers, H).flatMap((top, t) => [...top].map((v, i) => Math.abs(v - reference[t]![i]!)))));
        const samples = steps.map(() => [] as number[]);
        for (let round = 0; round < reps; round++) {
          for (let k = 0; k < steps.length; k++) {
            const index = (k + round) % steps.length;
            const t0 = performance.now();
            stream(steps[index]![1], xs, layers, H);
            samples[index]!.push((performance.now() - t0) / calls);
          }
        }
        const [written, perCall, once] = samples.map(median) as [number, number, number];
        console.log(`| ${layers} | ${H} | ${written.toFixed(3)} | ${perCall.toFixed(3)} | ${once.toFixed(3)} | ${(perCall / written).toFixed(2)}× | ${(once / written).toFixed(2)}× | ${error.toExponential(1)} |`);
        tf.dispose(xs);
        dispose();
      }
    }
    console.log('');
  }
}

await main();
