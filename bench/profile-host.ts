/**
 * Where the time of a host kernel goes: the LSTM/GRU/RNN host forward and backward called
 * directly (no tfjs dispatch), with the backend's HostMath wrapped in a timer.
 *
 *   node --import tsx bench/profile-host.ts [--backend wasm|cpu] [--cell lstm] [--size 32x64x64x128] [--reps 10]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseSize, type CellKind } from './cases.js';
import { hostMathFor, type HostMath } from '../src/runtime/kernels/host/host_math.js';
import { wasmTensorIO } from '../src/runtime/kernels/host/backend_io.js';
import { hostBackward, hostForward } from '../src/runtime/kernels/host/host_driver.js';
import { CELLS, DEFAULT_VARIANT, weightShapes } from '../src/runtime/kernels/cell_table.js';

const { values: args } = parseArgs({
  options: { backend: { type: 'string', default: 'wasm' }, cell: { type: 'string', default: 'lstm' }, size: { type: 'string', default: '32x64x64x128' }, reps: { type: 'string', default: '10' } },
});
await tf.setBackend(args.backend!);
const backend = tf.backend();
const base = hostMathFor(args.backend!, () => (args.backend === 'wasm' ? wasmTensorIO.math?.(backend) : undefined));
let matmulMs = 0;
/** Time per matmul shape (m×k×n and transposes), accumulated over the measured iterations. */
const byShape = new Map<string, number>();
let measuring = false;
const record = (key: string, ms: number) => {
  matmulMs += ms;
  if (measuring) byShape.set(key, (byShape.get(key) ?? 0) + ms);
};
const timed: HostMath = {
  matmul(...a: Parameters<HostMath['matmul']>) {
    const t0 = performance.now();
    base.matmul(...a);
    const [, , , m, k, n, o] = a;
    record(`${m}x${k}x${n}${o?.transposeA ? ' Aᵀ' : ''}${o?.transposeB ? ' Bᵀ' : ''}`, performance.now() - t0);
  },
  prepareRight(b, k, n, options) {
    const t0 = performance.now();
    const prepared = base.prepareRight!(b, k, n, options);
    record(`prepare ${k}x${n}${options?.transposeB ? ' Bᵀ' : ''}`, performance.now() - t0);
    return {
      run(a, c, m, accumulate) {
        const t1 = performance.now();
        prepared.run(a, c, m, accumulate);
        record(`prepared ·x${k}x${n}${options?.transposeB ? ' Bᵀ' : ''}`, performance.now() - t1);
      },
      release: () => prepared.release(),
    };
  },
};

const cell = args.cell as CellKind;
const { B, T, D, H } = parseSize(args.size!);
const G = CELLS[cell].gates * H;
const rnd = (n: number) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 0.2);
const g = { batch: B, time: T, inputSize: D, hidden: H, timeMajor: false, reverse: false };
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const inputs = {
  x: rnd(B * T * D), kernel: rnd(D * G), recurrentKernel: rnd(H * G), bias: rnd(size(weightShapes(cell, D, H).bias)),
  carries: CELLS[cell].carries.map(() => new Float32Array(B * H)), mask: null,
};
const dOutput = rnd(B * T * H);
const forward = (math: HostMath) => hostForward(cell, g, inputs, DEFAULT_VARIANT, true, math);
// The backward rebuilds each step's previous hidden state from the forward's output.
const backward = (workspace: Float32Array, output: Float32Array, math: HostMath) =>
  hostBackward(cell, g, { ...inputs, output }, DEFAULT_VARIANT, workspace, { dOutput, dCarries: [] }, math);

const rows: Array<{ fwd: number; fwdMatmul: number; bwd: number; bwdMatmul: number }> = [];
for (let i = 0; i < 2 + Number(args.reps); i++) {
  matmulMs = 0;
  const t0 = performance.now();
  const f = forward(timed);
  const t1 = performance.now();
  const fwdMatmul = matmulMs;
  matmulMs = 0;
  backward(f.workspace.slice(), f.output.slice(), timed); // the forward's arrays are arena views
  const t2 = performance.now();
  measuring = i >= 1;
  if (i >= 2) rows.push({ fwd: t1 - t0, fwdMatmul, bwd: t2 - t1, bwdMatmul: matmulMs });
}
const med = (k: keyof (typeof rows)[0]) => rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1].toFixed(1);
const flops = 2 * B * T * (D + H) * G;
console.log(`${args.backend} ${cell} ${args.size}: forward ${med('fwd')} ms (matmul ${med('fwdMatmul')}), backward ${med('bwd')} ms (matmul ${med('bwdMatmul')}); forward ${(flops / 1e6).toFixed(0)} MFLOP`);
const iterations = Number(args.reps) + 1;
for (const [key, ms] of [...byShape].sort((p, q) => q[1] - p[1])) console.log(`  ${key.padEnd(28)} ${(ms / iterations).toFixed(2)} ms per fwd+bwd`);
