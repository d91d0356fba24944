/**
 * Probe: how fast can a fused kernel running on the wasm backend multiply matrices that live in
 * preallocated buffers on the wasm heap?
 *
 *   op        tf.matMul on tensors (what tfjs code pays: kernel dispatch, reshape, output malloc)
 *   raw       the backend's `_BatchMatMul` export called directly with tensor ids registered once
 *             (`register_tensor(id, size, offset)`) over sub-ranges of one preallocated heap block,
 *             shape arrays preallocated on the heap: no JS allocation per call
 *   rawT      the same with transposeB (tfjs then takes its naive slow_batch_matmul path, not XNNPACK)
 *   js        a cache-blocked JS matmul on Float32Array views (the cpu-backend route)
 *
 * It also checks the one trap of the raw route: XNNPACK caches the packed B operand per tensor id,
 * so a B whose contents change must get its id re-registered (dispose_data + register_tensor).
 *
 *   node --import tsx bench/probe-wasm-matmul.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { performance } from 'node:perf_hooks';
import type { WasmBackendModule } from '../src/runtime/kernels/host/wasm_math.js';

type WasmModule = WasmBackendModule;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, reps: number): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** C[m,n] = A[m,k]·B[k,n], blocked over k and n so B's rows stay in cache. */
function jsMatMul(a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number,
  m: number, k: number, n: number): void {
  c.fill(0, cOff, cOff + m * n);
  const KB = 64, NB = 256;
  for (let n0 = 0; n0 < n; n0 += NB) {
    const n1 = Math.min(n, n0 + NB);
    for (let k0 = 0; k0 < k; k0 += KB) {
      const k1 = Math.min(k, k0 + KB);
      for (let i = 0; i < m; i++) {
        const ci = cOff + i * n;
        const ai = aOff + i * k;
        for (let p = k0; p < k1; p++) {
          const av = a[ai + p];
          if (av === 0) continue;
          const bp = bOff + p * n;
          for (let j = n0; j < n1; j++) c[ci + j] += av * b[bp + j];
        }
      }
    }
  }
}

await tf.setBackend('wasm');
await tf.ready();
const backend = tf.backend() as unknown as { wasm: WasmModule };
const wasm = backend.wasm;

let nextId = 1 << 30; // far above the backend's own ids
function register(offsetBytes: number, size: number): number {
  const id = nextId++;
  wasm.tfjs.registerTensor(id, size, offsetBytes);
  return id;
}
function shapePtr(dims: number[]): number {
  const p = wasm._malloc(dims.length * 4);
  wasm.HEAP32.set(dims, p >> 2);
  return p;
}

const shapes: Array<[string, number, number, number]> = [
  ['step h·R  (B=32,H=128,4H)', 32, 128, 512],
  ['proj X·W  (B·T=2048,D=64,4H)', 2048, 64, 512],
  ['dW Xᵀ·dG  (D=64,B·T,4H)', 64, 2048, 512],
  ['dR Hᵀ·dG  (H=128,B·T,4H)', 128, 2048, 512],
  ['step dG·Rᵀ (B=32,4H,H)', 32, 512, 128],
  ['big (B=64,H=256)·R (4H)', 64, 256, 1024],
];

console.log(`node ${process.version}, tfjs ${tf.version_core}, wasm simd=${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')} threads=${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`);
console.log('shape'.padEnd(32), 'MFLOP', '   op ms', '  raw ms', ' rawT ms', '   js ms', ' raw GF/s', ' op GF/s', ' js GF/s');
for (const [name, m, k, n] of shapes) {
  const flop = 2 * m * k * n;
  const reps = Math.max(10, Math.min(200, Math.round(2e9 / flop / 20)));
  const rnd = (len: number) => Float32Array.from({ length: len }, () => Math.random() - 0.5);
  const aData = rnd(m * k), bData = rnd(k * n);

  // op: the ordinary tfjs path
  const at = tf.tensor2d(aData, [m, k]), bt = tf.tensor2d(bData, [k, n]);
  const opMs = time(() => tf.matMul(at, bt).dispose(), reps);
  const ref = tf.matMul(at, bt).dataSync();
  const bT = tf.transpose(bt);

  // raw: one heap block holding A, B, Bᵀ, C; ids registered once
  const block = wasm._malloc((m * k + 2 * k * n + m * n) * 4);
  const aOff = block, bOff = aOff + m * k * 4, btOff = bOff + k * n * 4, cOff = btOff + k * n * 4;
  wasm.HEAPF32.set(aData, aOff >> 2);
  wasm.HEAPF32.set(bData, bOff >> 2);
  wasm.HEAPF32.set(bT.dataSync(), btOff >> 2);
  const aId = register(aOff, m * k), bId = register(bOff, k * n), btId = register(btOff, k * n), cId = register(cOff, m * n);
  const aShape = shapePtr([1, m, k]), bShape = shapePtr([1, k, n]), btShape = shapePtr([1, n, k]);
  const rawMs = time(() => wasm._BatchMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, cId), reps);
  const raw = wasm.HEAPF32.slice(cOff >> 2, (cOff >> 2) + m * n);
  const rawTMs = time(() => wasm._BatchMatMul(aId, aShape, 3, btId, btShape, 3, 0, 1, cId), Math.min(reps, 10));
  const rawT = wasm.HEAPF32.slice(cOff >> 2, (cOff >> 2) + m * n);

  // js: blocked matmul on plain Float32Arrays
  const cJs = new Float32Array(m * n);
  const jsMs = time(() => jsMatMul(aData, 0, bData, 0, cJs, 0, m, k, n), Math.min(reps, 20));

  const maxErr = (x: ArrayLike<number>) => { let e = 0; for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - ref[i])); return e; };
  if (maxErr(raw) > 1e-3 || maxErr(rawT) > 1e-3 || maxErr(cJs) > 1e-3) throw new Error(`${name}: results differ ${maxErr(raw)} ${maxErr(rawT)} ${maxErr(cJs)}`);
  const gf = (ms: number) => (flop / ms / 1e6).toFixed(1).padStart(9);
  console.log(name.padEnd(32), (flop / 1e6).toFixed(1).padStart(5), opMs.toFixed(3).padStart(8), rawMs.toFixed(3).padStart(8),
    rawTMs.toFixed(3).padStart(8), jsMs.toFixed(3).padStart(8), gf(rawMs), gf(opMs), gf(jsMs));

  for (const id of [aId, bId, btId, cId]) wasm.tfjs.disposeData(id);
  for (const p of [block, aShape, bShape, btShape]) wasm._free(p);
  tf.dispose([at, bt, bT]);
}

// The trap: XNNPACK packs B once per (b id, bias id); changing B's bytes under the same id is not seen.
{
  const m = 4, k = 8, n = 8;
  const block = wasm._malloc((m * k + k * n + m * n) * 4);
  const aOff = block, bOff = aOff + m * k * 4, cOff = bOff + k * n * 4;
  wasm.HEAPF32.fill(1, aOff >> 2, (aOff >> 2) + m * k);
  wasm.HEAPF32.fill(1, bOff >> 2, (bOff >> 2) + k * n);
  const aId = register(aOff, m * k), cId = register(cOff, m * n);
  let bId = register(bOff, k * n);
  const aShape = shapePtr([1, m, k]), bShape = shapePtr([1, k, n]);
  wasm._BatchMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, cId);
  const first = wasm.HEAPF32[cOff >> 2];
  wasm.HEAPF32.fill(2, bOff >> 2, (bOff >> 2) + k * n);
  wasm._BatchMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, cId);
  const stale = wasm.HEAPF32[cOff >> 2];
  wasm.tfjs.disposeData(bId);
  bId = register(bOff, k * n);
  wasm._BatchMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, cId);
  const fresh = wasm.HEAPF32[cOff >> 2];
  console.log(`B-operand cache: first=${first} after changing B, same id=${stale} (stale if 8), re-registered id=${fresh} (want 16)`);
  for (const id of [aId, bId, cId]) wasm.tfjs.disposeData(id);
  for (const p of [block, aShape, bShape]) wasm._free(p);
}

// Re-registering an id per call: what does the repacking cost?
{
  const m = 2048, k = 64, n = 512;
  const block = wasm._malloc((m * k + k * n + m * n) * 4);
  const aOff = block, bOff = aOff + m * k * 4, cOff = bOff + k * n * 4;
  const aId = register(aOff, m * k), cId = register(cOff, m * n);
  const aShape = shapePtr([1, m, k]), bShape = shapePtr([1, k, n]);
  const ms = time(() => {
    const bId = register(bOff, k * n);
    wasm._BatchMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, cId);
    wasm.tfjs.disposeData(bId);
  }, 50);
  console.log(`raw with B re-registered per call (${m}x${k}x${n}): ${ms.toFixed(3)} ms, ${(2 * m * k * n / ms / 1e6).toFixed(1)} GFLOP/s`);
  for (const id of [aId, cId]) wasm.tfjs.disposeData(id);
  for (const p of [block, aShape, bShape]) wasm._free(p);
}
