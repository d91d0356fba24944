/**
 * The sequence drivers' products with the weights (time_loops.ts: x·K, the fused [x | h]·[K; R],
 * dx = dGates·Kᵀ, h·R and dGates·Rᵀ) use forms of K, [K; R] and Kᵀ prepared once per weight
 * lifetime: repeated forward and backward calls read K and R out of the backend and prepare their
 * forms only at the first call, and keep no more forms after it; a Variable assigned between
 * calls is seen at the next call (values and gradients against the composite implementation),
 * and the forms of its old values are released.
 *
 * On wasm the per-step products with R (h·R, dStep·Rᵀ, the reset-before GRU's second weight) run
 * on the SIMD panel product at every batch (stepForms), on the forms a step streams:
 * every cell, masks, reverse, time-major and odd sizes as the composite; XNNPACK never multiplies
 * by R nor a form of it; a model stepped and run over sequences prepares no form besides the
 * step's; nothing grows over repeated calls; without SIMD the XNNPACK path stays.
 */
import { describe, expect, it, vi } from 'vitest';
import { activateBackend, describeBackends, tf } from '../../../helpers/backends.js';
import { cpuTensorIO, wasmTensorIO } from '../../../../src/runtime/kernels/host/backend_io.js';
import { GEMV_MAX_ROWS, hostMathFor } from '../../../../src/runtime/kernels/host/host_math.js';
import { keptOperandCount } from '../../../../src/runtime/kernels/host/prepared_weights.js';
import { simdHostMath, simdHostMathMemoryBytes } from '../../../../src/runtime/kernels/host/simd/simd_host_math.js';
import type { WasmBackendModule, WasmHostMath } from '../../../../src/runtime/kernels/host/wasm_math.js';
import { differentiableNames, makeSequenceInputs, maxAbsDiff, runSequence, runStep, weightedSum, type SequenceCase } from '../cases.js';

const TOLERANCE = 1e-5;

const base = { timeMajor: false, reverse: false, masked: false, activation: 'tanh' } as const;
const cases: SequenceCase[] = [
  // Batch 1, few steps: like a stateful layer's call per frame (SIMD gates, fused [K; R]). Not
  // T = 1: the composite's gradient fails there (tfjs's Unpack gradient with one slice).
  { ...base, cell: 'lstm', batch: 1, time: 2, inputSize: 6, hidden: 8, seed: 401 },
  { ...base, cell: 'lstm', batch: 3, time: 4, inputSize: 5, hidden: 5, seed: 402 }, // JavaScript rows
  { ...base, cell: 'rnn', batch: 9, time: 3, inputSize: 4, hidden: 8, seed: 403 },
  { ...base, cell: 'gru', batch: 2, time: 5, inputSize: 3, hidden: 8, seed: 404 }, // x·K apart from h·R
  { ...base, cell: 'gru', batch: 1, time: 3, inputSize: 4, hidden: 5, seed: 405, resetAfter: false },
];

const label = (c: SequenceCase) => `${c.cell}${c.resetAfter === false ? ' reset-before' : ''} B${c.batch} T${c.time} I${c.inputSize} H${c.hidden}`;

describeBackends('sequence calls prepare the forms of K, [K; R] and Kᵀ once per weight lifetime', (backend) => {
  for (const c of cases) {
    it(`${label(c)}: repeated forwards and backwards read the weights once; an assign is seen`, () => {
      const kb = tf.backend();
      const math = hostMathFor(backend, () => (backend === 'wasm' ? wasmTensorIO : cpuTensorIO).math?.(kb));
      const { tensors } = makeSequenceInputs(c);
      const kernel = tf.variable(tensors.kernel);
      const recurrentKernel = tf.variable(tensors.recurrentKernel);
      const t = { ...tensors, kernel, recurrentKernel };
      const names = differentiableNames(c.cell);
      const loss = (implementation: 'fused' | 'composite') => (...values: tf.Tensor[]) =>
        weightedSum(runSequence(implementation, c, Object.fromEntries(names.map((n, i) => [n, values[i]]))), c.seed);
      let weightReads = 0;
      const readSync = kb.readSync.bind(kb);
      kb.readSync = (dataId: object) => {
        if (dataId === kernel.dataId || dataId === recurrentKernel.dataId) weightReads++;
        return readSync(dataId);
      };
      const keptBefore = keptOperandCount(math);
      /** One forward and backward; checked against the composite when `check`. */
      const call = (check: boolean) => {
        const inputs = names.map((n) => t[n as keyof typeof t]);
        const fused = runSequence('fused', c, t);
        const grads = tf.grads(loss('fused'))(inputs);
        if (check) {
          const reference = runSequence('composite', c, t);
          for (const name of ['output', 'h', 'c'] as const) {
            if (reference[name]) expect(maxAbsDiff(fused[name]!, reference[name]!), name).toBeLessThan(TOLERANCE);
          }
          const referenceGrads = tf.grads(loss('composite'))(inputs);
          grads.forEach((g, i) => expect(maxAbsDiff(g, referenceGrads[i]), `d${names[i]}`).toBeLessThan(TOLERANCE));
          tf.dispose([...Object.values(reference), ...referenceGrads]);
        }
        tf.dispose([...Object.values(fused), ...grads]);
      };
      try {
        for (let round = 0; round < 2; round++) {
          call(true);
          const [readsFirst, keptFirst] = [weightReads, keptOperandCount(math)];
          if (backend === 'cpu') expect(keptFirst).toBeGreaterThan(keptBefore); // the forms are kept at all
          for (let i = 0; i < 3; i++) call(false);
          expect(weightReads, 'reads of K and R after the first call').toBe(readsFirst);
          expect(keptOperandCount(math)).toBe(keptFirst);
          // New dataIds: the next call prepares from the new values and releases the old forms.
          tf.tidy(() => {
            kernel.assign(tf.mul(tf.add(kernel, 0.2), -0.8));
            recurrentKernel.assign(tf.mul(recurrentKernel, -1.3));
          });
          weightReads = 0;
        }
      } finally {
        kb.readSync = readSync;
      }
      tf.dispose([...Object.values(tensors), kernel, recurrentKernel]);
      expect(keptOperandCount(math)).toBe(keptBefore);
    });
  }
});

// --- A batch-1/2 sequence on the forms a step streams (time_loops.ts: stepForms) ----------------

/** The wasm backend's tensor id of `t` (what XNNPACK keeps its packing of a right operand under). */
function wasmId(t: tf.Tensor): number {
  return (tf.backend() as unknown as { dataIdMap: { get(dataId: object): { id: number } } }).dataIdMap.get(t.dataId).id;
}

/** What XNNPACK was given during a call: the tensor ids it multiplied by, and the [k×n] operands prepared for it. */
interface XnnpackUse {
  rightIds: Set<number>;
  /** `${k}x${n}` (ᵀ when transposed) of each operand prepared on the wasm HostMath. */
  prepared: string[];
}

/**
 * Runs `body` recording what XNNPACK multiplies by on wasm (nothing elsewhere): a weight tensor
 * among its right operands, or a form of a weight prepared for it, is a packed copy of that weight
 * besides the panel product's.
 */
function xnnpackUse(backend: string, body: () => void): XnnpackUse {
  const use: XnnpackUse = { rightIds: new Set(), prepared: [] };
  if (backend !== 'wasm') {
    body();
    return use;
  }
  const module = (tf.backend() as unknown as { wasm: WasmBackendModule }).wasm;
  const math = wasmTensorIO.math!(tf.backend()) as WasmHostMath;
  const [batchMatMul, prepareRight] = [module._BatchMatMul, math.prepareRight];
  module._BatchMatMul = (aId, aShape, aRank, bId, ...rest) => {
    use.rightIds.add(bId);
    return batchMatMul(aId, aShape, aRank, bId, ...rest);
  };
  math.prepareRight = (b, k, n, options) => {
    use.prepared.push(`${k}x${n}${options?.transposeB ? 'ᵀ' : ''}`);
    return prepareRight.call(math, b, k, n, options);
  };
  try {
    body();
  } finally {
    module._BatchMatMul = batchMatMul;
    math.prepareRight = prepareRight;
  }
  return use;
}

/** Forms kept on the backend's HostMath and on the panel product (one HostMath on cpu). */
function keptForms(backend: string): number {
  const kb = tf.backend();
  const maths = new Set([hostMathFor(backend, () => (backend === 'wasm' ? wasmTensorIO : cpuTensorIO).math?.(kb)), simdHostMath()!]);
  return [...maths].reduce((count, math) => count + keptOperandCount(math), 0);
}

/**
 * Float32 sums over H terms through 7 chained steps (RNN gradients reach ~10): relative to the
 * reference's scale, 1e-5 at H ≈ 33 and 1e-4 at H ≥ 256 (errors of ~6e-5 there, cpu as wasm).
 */
const relativeTolerance = (c: SequenceCase) => (c.hidden >= 256 ? 1e-4 : 1e-5);
function expectClose(value: tf.Tensor, reference: tf.Tensor, name: string, tolerance: number): void {
  const scale = tf.tidy(() => tf.max(tf.abs(reference)).dataSync()[0]);
  expect(maxAbsDiff(value, reference), name).toBeLessThan(tolerance * Math.max(1, scale));
}

/**
 * Outputs and every gradient of one call against the composite implementation; what XNNPACK was
 * given in the fused call (the composite's own matMuls not counted).
 */
function expectAsComposite(backend: string, c: SequenceCase, t: Record<string, tf.Tensor>, mask?: tf.Tensor2D): XnnpackUse {
  const names = differentiableNames(c.cell);
  const loss = (implementation: 'fused' | 'composite') => (...values: tf.Tensor[]) =>
    weightedSum(runSequence(implementation, c, Object.fromEntries(names.map((n, i) => [n, values[i]])), mask), c.seed);
  const inputs = names.map((n) => t[n]);
  let fused: Record<string, tf.Tensor | undefined> = {};
  let grads: tf.Tensor[] = [];
  const use = xnnpackUse(backend, () => {
    fused = runSequence('fused', c, t, mask);
    grads = tf.grads(loss('fused'))(inputs);
  });
  const reference = runSequence('composite', c, t, mask);
  for (const name of ['output', 'h', 'c'] as const) if (reference[name]) expectClose(fused[name]!, reference[name]!, name, relativeTolerance(c));
  const referenceGrads = tf.grads(loss('composite'))(inputs);
  grads.forEach((g, i) => expectClose(g, referenceGrads[i], `d${names[i]}`, relativeTolerance(c)));
  tf.dispose([...Object.values(fused).filter((x) => x !== undefined), ...Object.values(reference), ...grads, ...referenceGrads]);
  return use;
}

/**
 * No packed copy of R, nor of a form of it for XNNPACK (h·R, dStep·Rᵀ, the second weight: both
 * sides multiples of H, where K's forms have D, not one, on a side).
 */
function expectNoXnnpackR(use: XnnpackUse, recurrentKernel: tf.Tensor, hidden: number): void {
  expect(use.rightIds, 'XNNPACK multiplied by R itself').not.toContain(wasmId(recurrentKernel));
  const ofR = (form: string) => form.split(/x|ᵀ/).slice(0, 2).every((side) => Number(side) % hidden === 0);
  expect(use.prepared.filter(ofR), 'forms of R prepared for XNNPACK').toEqual([]);
}

const variants = [{ cell: 'lstm' }, { cell: 'gru' }, { cell: 'gru', resetAfter: false }, { cell: 'rnn' }] as const;
const small = { timeMajor: false, reverse: false, masked: false, activation: 'tanh', time: 7, inputSize: 5 } as const;
const panelCases: SequenceCase[] = variants.flatMap((variant) => [
  { ...small, ...variant, batch: 1, hidden: 33, seed: 501 }, // the JavaScript rows
  { ...small, ...variant, batch: 2, hidden: 32, timeMajor: true, reverse: true, seed: 502 }, // SIMD gates
  { ...small, ...variant, batch: 2, hidden: 33, masked: true, reverse: true, seed: 503 },
  { ...small, ...variant, batch: 1, hidden: 32, timeMajor: true, masked: true, seed: 504 },
  { ...small, ...variant, batch: 2, time: 40, inputSize: 3, hidden: 8, seed: 505 }, // rows outweigh the weights: LSTM, RNN fuse [K; R]
  { ...small, ...variant, batch: 5, hidden: 33, masked: true, seed: 506 }, // above GEMV_MAX_ROWS: the panel GEMM
  { ...small, ...variant, batch: 9, time: 4, hidden: 32, timeMajor: true, reverse: true, seed: 507 },
]);
const flags = (c: SequenceCase) => `${c.timeMajor ? ' timeMajor' : ''}${c.reverse ? ' reverse' : ''}${c.masked ? ' masked' : ''}`;

describeBackends('a sequence multiplies by R as a step streams it (the panel product), at every batch', (backend) => {
  for (const c of panelCases) {
    it(`${label(c)}${flags(c)}: as the composite before and after an assign; R's forms on the panel product, released with R`, () => {
      const { tensors, mask } = makeSequenceInputs(c);
      const kernel = tf.variable(tensors.kernel);
      const recurrentKernel = tf.variable(tensors.recurrentKernel);
      const t = { ...tensors, kernel, recurrentKernel };
      const keptBefore = keptForms(backend);
      const panelBefore = keptOperandCount(simdHostMath()!);
      for (let round = 0; round < 2; round++) {
        const use = expectAsComposite(backend, c, t, mask);
        expect(keptOperandCount(simdHostMath()!), 'forms on the panel product').toBeGreaterThan(panelBefore);
        if (backend === 'wasm') expectNoXnnpackR(use, recurrentKernel, c.hidden);
        tf.tidy(() => {
          kernel.assign(tf.mul(tf.add(kernel, 0.2), -0.8));
          recurrentKernel.assign(tf.mul(recurrentKernel, -1.3));
        });
      }
      tf.dispose([...Object.values(tensors), kernel, recurrentKernel, mask].filter((x) => x !== undefined));
      expect(keptForms(backend), 'every form released with its weights').toBe(keptBefore);
    });
  }
});

describeBackends('a model stepped and run over sequences at batch 1 keeps one packed copy of each weight form', (backend) => {
  // R of ≥ 1 MiB (H = 256; 512 for the RNN's one gate): where the cpu forward also reads R alone
  // per step (simd_driver.ts: projectedPays). The reset-before GRU's step and sequences share R's
  // z and r columns and its second weight.
  for (const variant of variants) {
    const c: SequenceCase = { ...small, ...variant, batch: 1, hidden: variant.cell === 'rnn' ? 512 : 256, seed: 510 };
    it(`${label(c)}: sequences prepare no form besides the step's; XNNPACK never packs R`, () => {
      const { tensors: inputs } = makeSequenceInputs(c);
      // R scaled to keep pre-activations O(1) at this H (saturated float32 chains drift apart).
      const tensors: Record<string, tf.Tensor> = { ...inputs, recurrentKernel: tf.tidy(() => tf.mul(inputs.recurrentKernel, 2 / Math.sqrt(c.hidden))) };
      const step: Record<string, tf.Tensor> = { ...tensors, x: tf.tidy(() => tf.squeeze(tf.slice(tensors.x, [0, 0, 0], [1, 1, c.inputSize]), [1])) };
      const keptBefore = keptForms(backend);
      const stepUse = xnnpackUse(backend, () => tf.dispose(Object.values(runStep('fused', c, step))));
      const keptByStep = keptForms(backend);
      expect(keptByStep).toBeGreaterThan(keptBefore);
      const forwardUse = xnnpackUse(backend, () => tf.dispose(Object.values(runSequence('fused', c, tensors))));
      expect(keptForms(backend), 'forms the sequence forward prepared besides the step\'s').toBe(keptByStep);
      const use = expectAsComposite(backend, c, tensors);
      if (backend === 'wasm') for (const u of [stepUse, forwardUse, use]) expectNoXnnpackR(u, tensors.recurrentKernel, c.hidden);
      tf.dispose([...Object.values(inputs), tensors.recurrentKernel, step.x]);
      expect(keptForms(backend)).toBe(keptBefore);
    });
  }

  it('a K of ≥ 1 MiB: x·K and dGates·Kᵀ on the panel product too, K packed once for steps and sequences', () => {
    const c: SequenceCase = { ...small, cell: 'lstm', batch: 1, time: 3, inputSize: 2048, hidden: 32, seed: 511 };
    const { tensors } = makeSequenceInputs(c);
    // Small weights keep 2048-term sums well inside the tolerance.
    const kernel = tf.tidy(() => tf.mul(tensors.kernel, 0.05));
    const t = { ...tensors, kernel };
    const keptBefore = keptForms(backend);
    const stepX = tf.tidy(() => tf.squeeze(tf.slice(tensors.x, [0, 0, 0], [1, 1, c.inputSize]), [1]));
    tf.dispose(Object.values(runStep('fused', c, { ...t, x: stepX })));
    const keptByStep = keptForms(backend);
    const use = xnnpackUse(backend, () => tf.dispose(Object.values(runSequence('fused', c, t))));
    expect(keptForms(backend), 'forms the sequence forward prepared besides the step\'s').toBe(keptByStep);
    if (backend === 'wasm') expect(use.rightIds, 'XNNPACK multiplied by K itself').not.toContain(wasmId(kernel));
    // dx: Kᵀ on the panel product too (XNNPACK prepares a transposed operand slowly).
    const { prepared } = expectAsComposite(backend, c, t);
    expect(prepared, 'Kᵀ prepared for XNNPACK').not.toContain(`${4 * c.hidden}x${c.inputSize}ᵀ`);
    tf.dispose([...Object.values(tensors), kernel, stepX]);
    expect(keptForms(backend)).toBe(keptBefore);
  });

  for (const batch of [1, 5]) {
    it(`a K of ≥ 1 MiB at batch ${batch}: no product of a forward and backward runs on XNNPACK (the weight gradients on the panel product too)`, () => {
      const c: SequenceCase = { ...small, cell: 'lstm', batch, time: 3, inputSize: 2048, hidden: 32, seed: 513 };
      const { tensors } = makeSequenceInputs(c);
      const kernel = tf.tidy(() => tf.mul(tensors.kernel, 0.05));
      const use = expectAsComposite(backend, c, { ...tensors, kernel });
      expect([...use.rightIds], 'XNNPACK right operands').toEqual([]);
      expect(use.prepared, 'operands prepared for XNNPACK').toEqual([]);
      tf.dispose([...Object.values(tensors), kernel]);
    });
  }

  it('repeated batch-1 sequences (forward and gradients) hold no more tensors or memory than the first', () => {
    const c: SequenceCase = { ...small, cell: 'lstm', batch: 1, hidden: 32, seed: 512 };
    const { tensors } = makeSequenceInputs(c);
    const names = differentiableNames(c.cell);
    const loss = (...values: tf.Tensor[]) => weightedSum(runSequence('fused', c, Object.fromEntries(names.map((n, i) => [n, values[i]]))), c.seed);
    const run = () => tf.dispose(tf.grads(loss)(names.map((n) => tensors[n])));
    const wasmMath = backend === 'wasm' ? (wasmTensorIO.math!(tf.backend()) as WasmHostMath) : null;
    const held = () => [tf.memory().numTensors, simdHostMathMemoryBytes(), wasmMath?.heapBytes() ?? 0, keptForms(backend)];
    run();
    const first = held();
    for (let i = 0; i < 20; i++) run();
    expect(held()).toEqual(first);
    tf.dispose(Object.values(tensors));
  });
});

describe('without WebAssembly SIMD a wasm sequence keeps XNNPACK', () => {
  it('the step operands offer no panel-product forms (panelForms undefined) where SIMD does not validate, and do where it does', async () => {
    await activateBackend('wasm');
    const kb = tf.backend();
    const [kernel, recurrentKernel] = [tf.ones([3, 8]), tf.ones([2, 8])];
    const operands = (module: typeof import('../../../../src/runtime/kernels/host/step_operands.js'), io: typeof wasmTensorIO) =>
      new module.BackendStepOperands({
        io, backend: kb, math: io.math!(kb)!, inputs: { kernel, recurrentKernel }, carryNames: [], secondWeight: null, kernelName: 'test',
      });
    const current = await import('../../../../src/runtime/kernels/host/step_operands.js');
    expect(operands(current, wasmTensorIO).panelForms(), 'with SIMD: the panel product').toBeDefined();
    vi.resetModules();
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const fresh = await import('../../../../src/runtime/kernels/host/step_operands.js');
      const io = await import('../../../../src/runtime/kernels/host/backend_io.js');
      expect(operands(fresh, io.wasmTensorIO).panelForms()).toBeUndefined();
    } finally {
      vi.restoreAllMocks();
      vi.resetModules();
    }
    tf.dispose([kernel, recurrentKernel]);
  });
});
