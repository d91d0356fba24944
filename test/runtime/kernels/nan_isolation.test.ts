/**
 * No NaN poisoning on the host backends (issue 16 item 1): after calls that see a NaN, fresh layers
 * on clean data compute bit for bit what they computed before any NaN was seen in this process,
 * and every HostMath overwrites (never scales by zero) an output buffer holding NaN. The scenario
 * (nan_isolation.ts) also runs on webgl and webgpu in the browser suite.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend, testBackends, tf } from '../../helpers/backends.js';
import { jsHostMath, prepareRight, type HostMath } from '../../../src/runtime/kernels/host/host_math.js';
import { wasmTensorIO } from '../../../src/runtime/kernels/host/backend_io.js';
import { allocate } from '../../../src/runtime/kernels/host/simd/arena.js';
import { simdGateKernels } from '../../../src/runtime/kernels/host/simd/gate_kernels.js';
import { CELL_KINDS, HIDDEN_SIZES, POISONS, differences, hasNaN, maskedStepResults, runScenario, type CellKind, type Results } from './nan_isolation.js';

/** Clean results per backend, cell and hidden size, all taken before any NaN is fed in. */
const clean = new Map<string, Results>();
const key = (backend: string, kind: CellKind, hidden: number) => `${backend} ${kind} H${hidden}`;

beforeAll(async () => {
  for (const backend of testBackends) {
    await activateBackend(backend);
    for (const kind of CELL_KINDS) {
      for (const hidden of HIDDEN_SIZES) clean.set(key(backend, kind, hidden), await runScenario(kind, hidden));
    }
  }
});

describe.each(testBackends)('NaN isolation [%s]', (backend) => {
  beforeAll(() => activateBackend(backend));

  for (const kind of CELL_KINDS) {
    for (const hidden of HIDDEN_SIZES) {
      it(`${kind} H=${hidden}: forward, gradients, steps and legacy steps after NaN calls equal those before, and are finite`, async () => {
        const before = clean.get(key(backend, kind, hidden))!;
        expect(differences(before, before), 'the clean run itself is finite').toEqual([]);
        const tensorsBefore = tf.memory().numTensors;
        for (const [what, poison] of POISONS) {
          const poisoned = await runScenario(kind, hidden, poison);
          // The NaN reached the kernels (else this test could not fail).
          const reached = poison.upstream ? 'gradient d(weight 0)' : 'forward 0';
          expect(hasNaN(poisoned.get(reached)!), `${what} reaches '${reached}'`).toBe(true);
          expect(differences(await runScenario(kind, hidden), before), `after ${what}`).toEqual([]);
        }
        expect(tf.memory().numTensors).toBe(tensorsBefore);
      });
    }
  }
});

/** A product into an output buffer full of NaN, in every form a HostMath offers. */
function checkOverwrites(math: () => HostMath): void {
  const [m, k, n] = [5, 7, 6]; // a 4-row tile plus a remainder row, a 4-column strip plus a partial one
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.cos(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.sin(i));
  const expected = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) expected[i * n + j] += a[i * k + p] * b[p * n + j];
  const bT = Float32Array.from({ length: n * k }, (_, i) => b[(i % k) * n + Math.floor(i / k)]);
  const aT = Float32Array.from({ length: k * m }, (_, i) => a[(i % m) * k + Math.floor(i / m)]);
  const forms: Array<[string, (c: Float32Array) => void]> = [
    ['matmul', (c) => math().matmul(a, b, c, m, k, n)],
    ['matmul Aᵀ', (c) => math().matmul(aT, b, c, m, k, n, { transposeA: true })],
    ['matmul Bᵀ', (c) => math().matmul(a, bT, c, m, k, n, { transposeB: true })],
    ['matmul k = 0', (c) => math().matmul(a, b, c, m, 0, n)],
    ['prepared', (c) => {
      const prepared = prepareRight(math(), b, k, n);
      prepared.run(a, c, m);
      prepared.release();
    }],
  ];
  for (const [name, multiply] of forms) {
    it(`${name}: a NaN-filled output buffer is overwritten`, () => {
      const c = new Float32Array(m * n).fill(Number.NaN);
      multiply(c);
      const want = name === 'matmul k = 0' ? new Float32Array(m * n) : expected;
      let worst = 0;
      c.forEach((v, i) => (worst = Math.max(worst, Number.isFinite(v) ? Math.abs(v - want[i]) : Infinity)));
      expect(worst).toBeLessThan(1e-5);
    });
  }
  it('accumulate still adds to what is there (NaN included)', () => {
    const c = new Float32Array(m * n).fill(1);
    c[3] = Number.NaN;
    math().matmul(a, b, c, m, k, n, { accumulate: true });
    expect(Number.isNaN(c[3])).toBe(true);
    expect(Math.abs(c[0] - (1 + expected[0]))).toBeLessThan(1e-5);
  });
}

describe('the JS GEMM overwrites its output', () => checkOverwrites(() => jsHostMath));

describe('the wasm backend GEMM overwrites its output', () => {
  let math: HostMath;
  beforeAll(async () => {
    await activateBackend('wasm');
    math = wasmTensorIO.math!(tf.backend())!;
  });
  checkOverwrites(() => math);
});

describe('the SIMD arena', () => {
  it('garbage (NaN) left anywhere in it does not reach a later call', async () => {
    await activateBackend('cpu');
    const kernels = simdGateKernels()!;
    for (const kind of CELL_KINDS) {
      const [arena] = allocate(kernels, [kernels.memory.buffer.byteLength / 4]);
      arena.view.fill(Number.NaN);
      expect(differences(await runScenario(kind, 8), clean.get(key('cpu', kind, 8))!), kind).toEqual([]);
    }
  });
});

describe.each(testBackends)('a NaN at a masked step [%s]', (backend) => {
  beforeAll(() => activateBackend(backend));
  for (const kind of CELL_KINDS) {
    for (const hidden of HIDDEN_SIZES) {
      it(`${kind} H=${hidden}: reaches neither the output, the carries nor the recurrent-weight gradients`, async () => {
        const got = await maskedStepResults(kind, hidden, Number.NaN);
        expect(got).toEqual(await maskedStepResults(kind, hidden, 0));
        expect(got.every((v) => v.every(Number.isFinite))).toBe(true);
      });
    }
  }
});
