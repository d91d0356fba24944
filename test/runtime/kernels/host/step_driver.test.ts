/**
 * The step kernels' path (host/step_driver.ts with the projections computed where the backend keeps
 * the tensors: XNNPACK on the wasm heap by tensor id, on cpu the SIMD panel product over weights
 * packed once per lifetime): every cell, batch 1 and odd sizes, the SIMD
 * and JavaScript gate paths, against the composite step (values and gradients) and an LSTM step
 * written as plain loops; weights assigned between steps are seen at once; prepared forms live as
 * long as their weights, with no size budget; 200 stacked steps leave tf.memory() and the wasm
 * heap where they were.
 */
import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../../helpers/backends.js';
import { cpuTensorIO, wasmTensorIO } from '../../../../src/runtime/kernels/host/backend_io.js';
import { hostMathFor } from '../../../../src/runtime/kernels/host/host_math.js';
import { keptOperandCount, withPreparedWeights } from '../../../../src/runtime/kernels/host/prepared_weights.js';
import { simdHostMath, simdHostMathMemoryBytes } from '../../../../src/runtime/kernels/host/simd/simd_host_math.js';
import { gruStep, lstmStep } from '../../../../src/runtime/kernels/ops.js';
import { cellNames, differentiableNames, makeSequenceInputs, maxAbsDiff, runStep, weightedSum, type SequenceCase } from '../cases.js';

const TOLERANCE = 1e-5;

/** One LSTM step as plain loops over the canonical layout (gates i, f, g, o; σ the logistic). */
function plainLstmStep(x: Float32Array, h: Float32Array, c: Float32Array, kernel: Float32Array, recurrentKernel: Float32Array, bias: Float32Array,
  batch: number, inputSize: number, hidden: number): { h: Float64Array; c: Float64Array } {
  const G = 4 * hidden;
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const hOut = new Float64Array(batch * hidden);
  const cOut = new Float64Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const z = new Float64Array(G);
    for (let j = 0; j < G; j++) {
      let sum = bias[j];
      for (let p = 0; p < inputSize; p++) sum += x[b * inputSize + p] * kernel[p * G + j];
      for (let p = 0; p < hidden; p++) sum += h[b * hidden + p] * recurrentKernel[p * G + j];
      z[j] = sum;
    }
    for (let j = 0; j < hidden; j++) {
      const cNext = sigmoid(z[hidden + j]) * c[b * hidden + j] + sigmoid(z[j]) * Math.tanh(z[2 * hidden + j]);
      cOut[b * hidden + j] = cNext;
      hOut[b * hidden + j] = sigmoid(z[3 * hidden + j]) * Math.tanh(cNext);
    }
  }
  return { h: hOut, c: cOut };
}

/** One reset-before GRU step as plain loops (gates z, r, n; bias [3H]; σ the logistic, tanh). */
function plainResetBeforeGruStep(x: Float32Array, h: Float32Array, kernel: Float32Array, recurrentKernel: Float32Array, bias: Float32Array,
  batch: number, inputSize: number, hidden: number): Float64Array {
  const G = 3 * hidden;
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const hOut = new Float64Array(batch * hidden);
  const product = (left: ArrayLike<number>, weight: Float32Array, rows: number, column: number) => {
    let sum = 0;
    for (let p = 0; p < rows; p++) sum += left[p] * weight[p * G + column];
    return sum;
  };
  for (let b = 0; b < batch; b++) {
    const xb = x.subarray(b * inputSize, (b + 1) * inputSize);
    const hb = h.subarray(b * hidden, (b + 1) * hidden);
    const z = new Float64Array(hidden);
    const rh = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) {
      z[j] = sigmoid(product(xb, kernel, inputSize, j) + bias[j] + product(hb, recurrentKernel, hidden, j));
      const r = sigmoid(product(xb, kernel, inputSize, hidden + j) + bias[hidden + j] + product(hb, recurrentKernel, hidden, hidden + j));
      rh[j] = r * hb[j];
    }
    for (let j = 0; j < hidden; j++) {
      const n = Math.tanh(product(xb, kernel, inputSize, 2 * hidden + j) + bias[2 * hidden + j] + product(rh, recurrentKernel, hidden, 2 * hidden + j));
      hOut[b * hidden + j] = (1 - z[j]) * n + z[j] * hb[j];
    }
  }
  return hOut;
}

const stepCase = (cell: SequenceCase['cell'], batch: number, inputSize: number, hidden: number, seed: number, resetAfter?: boolean): SequenceCase => ({
  cell, batch, time: 1, inputSize, hidden, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed, resetAfter,
});

/** The cells as the step tests run them: every cell, and the reset-before GRU (a second product inside the step). */
const STEP_CELLS: Array<[label: string, cell: SequenceCase['cell'], resetAfter?: boolean]> = [
  ...cellNames.map((cell): [string, SequenceCase['cell']] => [cell, cell]),
  ['gru reset-before', 'gru', false],
];

/** Batch 1 and 2 (GEMV), 3 and 5 (packed); hidden 8 (SIMD gates) and 7 (JavaScript rows). */
const SHAPES: Array<[batch: number, inputSize: number, hidden: number]> = [[1, 5, 8], [1, 3, 7], [2, 9, 4], [3, 6, 8], [5, 1, 7], [1, 1, 1]];

describeBackends('step kernels on the backend-held projections', () => {
  for (const [label, cell, resetAfter] of STEP_CELLS) {
    for (const [batch, inputSize, hidden] of SHAPES) {
      it(`${label} B${batch} D${inputSize} H${hidden}: values and every gradient match the composite`, () => {
        const c = stepCase(cell, batch, inputSize, hidden, 11 + batch * 3 + hidden, resetAfter);
        const { tensors } = makeSequenceInputs(c);
        const inputs: Record<string, tf.Tensor> = { ...tensors, x: tf.randomNormal([batch, inputSize], 0, 1, 'float32', 7) };
        const names = differentiableNames(cell);
        const results = (['fused', 'composite'] as const).map((implementation) => {
          const out = runStep(implementation, c, inputs);
          const loss = (...xs: tf.Tensor[]) => weightedSum(runStep(implementation, c, Object.fromEntries(names.map((n, i) => [n, xs[i]]))), 5);
          const grads = tf.grads(loss)(names.map((n) => inputs[n]));
          return { out, grads };
        });
        const [fused, composite] = results;
        expect(maxAbsDiff(fused.out.h, composite.out.h)).toBeLessThan(TOLERANCE);
        if (fused.out.c) expect(maxAbsDiff(fused.out.c, composite.out.c!)).toBeLessThan(TOLERANCE);
        fused.grads.forEach((g, i) => expect(maxAbsDiff(g, composite.grads[i]), names[i]).toBeLessThan(TOLERANCE));
        tf.dispose([...Object.values(inputs), ...results.flatMap((r) => [r.out.h, r.out.c, ...r.grads]).filter((t): t is tf.Tensor => t !== undefined)]);
      });
    }
  }

  for (const [batch, inputSize, hidden] of [[1, 5, 8], [1, 3, 7], [3, 6, 12]] as const) {
    it(`LSTM B${batch} D${inputSize} H${hidden} matches plain loops`, () => {
      const c = stepCase('lstm', batch, inputSize, hidden, 3);
      const { tensors: t } = makeSequenceInputs(c);
      const x = tf.randomNormal([batch, inputSize], 0, 1, 'float32', 9) as tf.Tensor2D;
      const out = lstmStep({ x, h: t.h0 as tf.Tensor2D, c: t.c0 as tf.Tensor2D, kernel: t.kernel as tf.Tensor2D, recurrentKernel: t.recurrentKernel as tf.Tensor2D, bias: t.bias as tf.Tensor1D });
      const read = (tensor: tf.Tensor) => tensor.dataSync() as Float32Array;
      const expected = plainLstmStep(read(x), read(t.h0), read(t.c0), read(t.kernel), read(t.recurrentKernel), read(t.bias), batch, inputSize, hidden);
      const diff = (actual: tf.Tensor, want: Float64Array) => Math.max(...Array.from(read(actual), (v, i) => Math.abs(v - want[i])));
      expect(diff(out.h, expected.h)).toBeLessThan(TOLERANCE);
      expect(diff(out.c, expected.c)).toBeLessThan(TOLERANCE);
      tf.dispose([x, out.h, out.c, ...Object.values(t)]);
    });
  }

  for (const [batch, inputSize, hidden] of [[1, 5, 8], [1, 3, 7], [2, 4, 12], [3, 6, 8], [5, 9, 5]] as const) {
    it(`reset-before GRU B${batch} D${inputSize} H${hidden} matches plain loops, with R assigned between steps`, () => {
      const c = stepCase('gru', batch, inputSize, hidden, 8, false);
      const { tensors: t } = makeSequenceInputs(c);
      const recurrentKernel = tf.variable(t.recurrentKernel);
      const x = tf.randomNormal([batch, inputSize], 0, 1, 'float32', 6) as tf.Tensor2D;
      const read = (tensor: tf.Tensor) => tensor.dataSync() as Float32Array;
      for (let round = 0; round < 2; round++) {
        // Its second weight (the n columns of R) is prepared from R: the new R must be seen.
        const out = gruStep({ x, h: t.h0 as tf.Tensor2D, kernel: t.kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: t.bias, resetAfter: false });
        const expected = plainResetBeforeGruStep(read(x), read(t.h0), read(t.kernel), read(recurrentKernel), read(t.bias), batch, inputSize, hidden);
        expect(Math.max(...Array.from(read(out.h), (v, i) => Math.abs(v - expected[i])))).toBeLessThan(TOLERANCE);
        // The backward's prepared Rᵀ, Kᵀ and Rnᵀ must follow the assignment too.
        const grads = (['fused', 'composite'] as const).map((implementation) => tf.grads((k: tf.Tensor, r: tf.Tensor, h: tf.Tensor) =>
          weightedSum(runStep(implementation, c, { x, h0: h, kernel: k, recurrentKernel: r, bias: t.bias }), 5))([t.kernel, recurrentKernel, t.h0]));
        grads[0].forEach((g, i) => expect(maxAbsDiff(g, grads[1][i])).toBeLessThan(TOLERANCE));
        tf.dispose([out.h, ...grads.flat()]);
        tf.tidy(() => recurrentKernel.assign(tf.mul(recurrentKernel, -0.75)));
      }
      tf.dispose([recurrentKernel, x, ...Object.values(t)]);
    });
  }

  for (const batch of [1, 2, 3]) {
    it(`B${batch}: a weight Variable assigned between steps is seen at the next step`, () => {
      const [inputSize, hidden] = [5, 8];
      const c = stepCase('lstm', batch, inputSize, hidden, 21);
      const { tensors: t } = makeSequenceInputs(c);
      const kernel = tf.variable(t.kernel);
      const recurrentKernel = tf.variable(t.recurrentKernel);
      const x = tf.randomNormal([batch, inputSize], 0, 1, 'float32', 4) as tf.Tensor2D;
      for (let round = 0; round < 3; round++) {
        const step = lstmStep({ x, h: t.h0 as tf.Tensor2D, c: t.c0 as tf.Tensor2D, kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: t.bias as tf.Tensor1D });
        const read = (tensor: tf.Tensor) => tensor.dataSync() as Float32Array;
        const expected = plainLstmStep(read(x), read(t.h0), read(t.c0), read(kernel), read(recurrentKernel), read(t.bias), batch, inputSize, hidden);
        expect(Math.max(...Array.from(read(step.h), (v, i) => Math.abs(v - expected.h[i])))).toBeLessThan(TOLERANCE);
        tf.dispose([step.h, step.c]);
        tf.tidy(() => {
          kernel.assign(tf.add(kernel, 0.25));
          recurrentKernel.assign(tf.mul(recurrentKernel, -0.5));
        });
      }
      tf.dispose([kernel, recurrentKernel, x, ...Object.values(t)]);
    });
  }

  it('200 stacked batch-1 steps leave tf.memory() and the wasm heap where they were', () => {
    const hidden = 16;
    const layers = [0, 1].map((l) => makeSequenceInputs(stepCase('lstm', 1, hidden, hidden, 40 + l)).tensors);
    const x = tf.randomNormal([1, hidden], 0, 1, 'float32', 2) as tf.Tensor2D;
    let carries = layers.map((t) => ({ h: tf.clone(t.h0) as tf.Tensor2D, c: tf.clone(t.c0) as tf.Tensor2D }));
    // The wasm backend's heap, and the memory of the cpu backend's SIMD product (its weights, its scratch).
    const heapBytes = () => {
      const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
      return (wasm ? wasm.HEAPU8.length : 0) + simdHostMathMemoryBytes();
    };
    const run = (steps: number) => {
      for (let s = 0; s < steps; s++) {
        const next = tf.tidy(() => {
          let input = x;
          return layers.map((t, l) => {
            const r = lstmStep({ x: input, h: carries[l].h, c: carries[l].c, kernel: t.kernel as tf.Tensor2D, recurrentKernel: t.recurrentKernel as tf.Tensor2D, bias: t.bias as tf.Tensor1D });
            input = r.h;
            return r;
          });
        });
        tf.dispose(carries.flatMap((carry) => [carry.h, carry.c]));
        carries = next;
      }
    };
    run(20); // warm: scratch buffers and the kernels' arena reach their size
    const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: heapBytes() };
    run(200);
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.memory().numBytes).toBe(before.bytes);
    expect(heapBytes()).toBe(before.heap);
    tf.dispose([x, ...carries.flatMap((carry) => [carry.h, carry.c]), ...layers.flatMap((t) => Object.values(t))]);
  });
});

describeBackends('prepared weights of real tensors', (backend) => {
  it('a batch-3 step keeps prepared weights while they live, none after they or the tape copies are gone', () => {
    const kb = tf.backend();
    const math = hostMathFor(backend, () => (backend === 'wasm' ? wasmTensorIO : cpuTensorIO).math?.(kb));
    const c = stepCase('lstm', 3, 4, 8, 5);
    const { tensors: t } = makeSequenceInputs(c);
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const kernel = tf.add(t.kernel, 0) as tf.Tensor2D; // own data (a clone shares its dataId on cpu)
    const recurrentKernel = tf.add(t.recurrentKernel, 0) as tf.Tensor2D;
    const step = (k: tf.Tensor, r: tf.Tensor) => lstmStep({ x, h: t.h0 as tf.Tensor2D, c: t.c0 as tf.Tensor2D, kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias: t.bias as tf.Tensor1D });
    // On wasm a step of any batch multiplies on the panel product (step_operands.ts: onPanel).
    const panel = simdHostMath()!;
    const forms = () => keptOperandCount(math) + (backend === 'wasm' ? keptOperandCount(panel) : 0);
    const kept = forms();
    // The forward's forms, kept while their weights live: on cpu the stacked [K; R] (one product
    // [x | h]·[K; R] a step), on wasm K and R on the panel product (two products).
    tf.dispose(Object.values(step(kernel, recurrentKernel)));
    expect(forms()).toBe(kept + (backend === 'cpu' ? 1 : 2));
    recurrentKernel.dispose();
    expect(forms(), 'the forms of R released with R').toBe(kept + (backend === 'cpu' ? 0 : 1));
    // The backward's Rᵀ and Kᵀ are keyed to the weights themselves (the tape saves handles on
    // their data, not copies), so they stay with the live weights, beside the forward's forms.
    const grads = tf.grads((k: tf.Tensor, r: tf.Tensor) => tf.sum(step(k, r).h))([kernel, t.recurrentKernel]);
    expect(forms()).toBe(kept + (backend === 'cpu' ? 3 : 4));
    tf.dispose([...grads, kernel, x, ...Object.values(t)]);
    expect(forms()).toBe(kept);
  });
});
