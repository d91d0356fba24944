/**
 * How the sequence ops keep a host kernel's workspace for the backward: handed to the tape node
 * uncloned, disposed with the tape whether or not the gradient runs, and the input gradient left
 * to SequenceInputGrad unless x needs one. Gradients are checked against the composite (tfjs ops,
 * autodiffed), which shares none of this machinery.
 */
import { expect, it } from 'vitest';
import { describeBackends, tf } from '../../helpers/backends.js';
import { SequenceInputGrad } from '../../../src/runtime/kernels/kernel_names.js';
import { wasmTensorIO } from '../../../src/runtime/kernels/host/backend_io.js';
import { simdHostMath } from '../../../src/runtime/kernels/host/simd/simd_host_math.js';
import { cellNames, differentiableNames, makeSequenceInputs, maxAbsDiff, runSequence, runStep, weightedSum, type CellName, type SequenceCase } from './cases.js';

const cases = (cell: CellName): SequenceCase[] => [
  { cell, batch: 3, time: 6, inputSize: 5, hidden: 8, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 11 },
  { cell, batch: 2, time: 5, inputSize: 3, hidden: 4, timeMajor: true, reverse: true, masked: true, activation: 'relu', seed: 12 },
];

const label = (c: SequenceCase) => `${c.cell}${c.masked ? ' masked, time-major, reverse' : ''}`;
const loss = (c: SequenceCase, t: Record<string, tf.Tensor>, mask: tf.Tensor2D | undefined, implementation: 'fused' | 'composite' = 'fused') => {
  const out = runSequence(implementation, c, t, mask);
  return weightedSum({ output: out.output, h: out.h, c: out.c }, 2);
};

describeBackends('sequence ops: the workspace on the tape', () => {
  for (const cell of cellNames) {
    for (const c of cases(cell)) {
      it(`${label(c)}: the workspace is saved without an engine clone`, async () => {
        const { tensors, mask } = makeSequenceInputs(c);
        const variables = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, tf.variable(t)]));
        const profile = await tf.profile(() => {
          const { value, grads } = tf.variableGrads(() => loss(c, variables, mask));
          tf.dispose([value, ...Object.values(grads)]);
        });
        // Every clone the engine makes to save a tensor is an Identity kernel; the workspace is the
        // only rank-1 tensor of a sequence op larger than a bias (at most 4H).
        const clonedRank1 = profile.kernels.filter((k) => k.name === 'Identity' && k.outputShapes[0]?.length === 1 && (k.outputShapes[0][0] ?? 0) > 4 * c.hidden);
        expect(clonedRank1).toEqual([]);
        tf.dispose([...Object.values(variables), ...Object.values(tensors), mask]);
      });

      it(`${label(c)}: dx is computed only when x needs a gradient, and equals the composite's`, async () => {
        const { tensors, mask } = makeSequenceInputs(c);
        const names = differentiableNames(cell);
        const weightNames = names.filter((n) => n !== 'x');
        const gradientsOf = (implementation: 'fused' | 'composite', wrt: string[]) =>
          tf.grads((...xs: tf.Tensor[]) => loss(c, { ...tensors, ...Object.fromEntries(wrt.map((n, i) => [n, xs[i]])) }, mask, implementation))(wrt.map((n) => tensors[n]));

        let withoutX: tf.Tensor[] = [];
        const weightsOnly = await tf.profile(() => { withoutX = gradientsOf('fused', weightNames); });
        expect(weightsOnly.kernels.map((k) => k.name)).not.toContain(SequenceInputGrad);
        let withX: tf.Tensor[] = [];
        await tf.profile(() => { withX = gradientsOf('fused', names); });
        const reference = gradientsOf('composite', names);

        names.forEach((name, i) => expect(maxAbsDiff(withX[i], reference[i]), name).toBeLessThan(1e-4));
        weightNames.forEach((name, i) => expect(maxAbsDiff(withoutX[i], reference[i + 1]), name).toBeLessThan(1e-4));
        tf.dispose([...withoutX, ...withX, ...reference, ...Object.values(tensors), mask]);
      });

      it(`${label(c)}: an op off the differentiated path (frozen encoder) leaves nothing behind`, () => {
        const { tensors, mask } = makeSequenceInputs(c);
        const head = tf.variable(tf.randomNormal([c.hidden, 2], 0, 1, 'float32', 5));
        const before = tf.memory();
        const { value, grads } = tf.variableGrads(() => {
          const encoded = runSequence('fused', c, tensors, mask).h; // no variable reaches it
          return tf.sum(tf.matMul(encoded as tf.Tensor2D, head));
        }, [head]);
        expect(Object.keys(grads)).toEqual([head.name]);
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before.numTensors);
        expect(tf.memory().numBytes).toBe(before.numBytes);
        tf.dispose([head, ...Object.values(tensors), mask]);
      });

      it(`${label(c)}: a nested gradient walking the same forward call gets the same gradients`, () => {
        const { tensors, mask } = makeSequenceInputs(c);
        const variables = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, tf.variable(t)]));
        const plain = tf.variableGrads(() => loss(c, variables, mask));
        const nested = tf.variableGrads(() => {
          const value = loss(c, variables, mask);
          // An inner gradient through the node the outer one is recording: its backward runs the
          // node's gradient once, the outer backward a second time.
          const inner = tf.variableGrads(() => tf.mul(value, 1) as tf.Scalar, [variables.kernel as tf.Variable]);
          tf.dispose([inner.value, ...Object.values(inner.grads)]);
          return value;
        });
        for (const name of Object.keys(plain.grads)) expect(maxAbsDiff(nested.grads[name], plain.grads[name]), name).toBeLessThan(1e-5);
        tf.dispose([plain.value, nested.value, ...Object.values(plain.grads), ...Object.values(nested.grads)]);
        tf.dispose([...Object.values(variables), ...Object.values(tensors), mask]);
      });
    }
  }
});

describeBackends('step ops: the weights on the tape', () => {
  for (const cell of cellNames) {
    const c: SequenceCase = { cell, batch: 3, time: 6, inputSize: 5, hidden: 8, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 21 };
    /** A loop of steps over x [time][batch, in], the carry threaded through, as the legacy Recur runs. */
    const stepLoop = (implementation: 'fused' | 'composite', t: Record<string, tf.Tensor>, xs: tf.Tensor[], weightsAt: (step: number) => Record<string, tf.Tensor>) => {
      let carry: { h: tf.Tensor; c?: tf.Tensor } = { h: t.h0, c: t.c0 };
      let loss: tf.Scalar = tf.scalar(0);
      xs.forEach((x, step) => {
        carry = runStep(implementation, c, { ...t, ...weightsAt(step), x, h0: carry.h, c0: carry.c! });
        loss = tf.add(loss, weightedSum({ h: carry.h, c: carry.c }, step)) as tf.Scalar;
      });
      return loss;
    };

    it(`${cell}: ${c.time} steps save no copy of the weights (a handle on their data), and their gradients equal the composite's`, async () => {
      const { tensors } = makeSequenceInputs(c);
      const xs = tf.unstack(tensors.x, 1);
      const names = ['kernel', 'recurrentKernel', 'bias', 'h0'];
      const gradientsOf = (implementation: 'fused' | 'composite') =>
        tf.grads((...w: tf.Tensor[]) => stepLoop(implementation, tensors, xs, () => Object.fromEntries(names.map((n, i) => [n, w[i]]))))(names.map((n) => tensors[n]));
      let fused: tf.Tensor[] = [];
      const profile = await tf.profile(() => { fused = gradientsOf('fused'); });
      const copies = profile.kernels.filter((k) => k.name === 'Identity' && JSON.stringify(k.outputShapes[0]) === JSON.stringify(tensors.recurrentKernel.shape));
      expect(copies.length, 'Identity copies of R').toBe(0);
      const reference = gradientsOf('composite');
      names.forEach((name, i) => expect(maxAbsDiff(fused[i], reference[i]), name).toBeLessThan(1e-4));
      tf.dispose([...fused, ...reference, ...xs, ...Object.values(tensors)]);
    });

    it(`${cell}: weights swapped mid-sequence get a saved copy each (gradients equal the composite's)`, () => {
      const { tensors } = makeSequenceInputs(c);
      const xs = tf.unstack(tensors.x, 1);
      const other = { kernel: tf.mul(tensors.kernel, -0.5), recurrentKernel: tf.mul(tensors.recurrentKernel, 0.8) };
      const gradientsOf = (implementation: 'fused' | 'composite') =>
        tf.grads((k: tf.Tensor, r: tf.Tensor) => stepLoop(implementation, tensors, xs, (step) => (step % 2 === 0 ? { kernel: k, recurrentKernel: r } : other)))([tensors.kernel, tensors.recurrentKernel]);
      const fused = gradientsOf('fused');
      const reference = gradientsOf('composite');
      fused.forEach((g, i) => expect(maxAbsDiff(g, reference[i])).toBeLessThan(1e-4));
      tf.dispose([...fused, ...reference, ...xs, ...Object.values(tensors), ...Object.values(other)]);
    });
  }
});

describeBackends('sequence and step ops: mismatched sizes', () => {
  for (const cell of cellNames) {
    it(`${cell}: x's inner size other than the kernel's rows, or a carry of another width, is refused before anything runs`, () => {
      const c: SequenceCase = { ...cases(cell)[0], inputSize: 16 };
      const { tensors } = makeSequenceInputs(c);
      // A kernel for 32 inputs: the kernel would read x's rows 32 floats apart.
      const wideKernel = tf.zeros([32, tensors.kernel.shape[1]!]);
      const narrowH = tf.zeros([c.batch, c.hidden - 1]);
      const [stepX, tallX] = [tf.zeros([c.batch, 16]), tf.zeros([c.batch + 1, 16])];
      const before = tf.memory().numTensors;
      expect(() => runSequence('fused', c, { ...tensors, kernel: wideKernel })).toThrow(/expected x \[\.\.\., 32\].*got x \[3,6,16\]/);
      expect(() => runSequence('fused', c, { ...tensors, h0: narrowH })).toThrow(/h0 \[batch, 8\].*h0 \[3,7\]/);
      expect(() => runStep('fused', c, { ...tensors, x: stepX, kernel: wideKernel })).toThrow(/expected x \[\.\.\., 32\].*got x \[3,16\]/);
      expect(() => runStep('fused', c, { ...tensors, x: tallX })).toThrow(/h \[batch, 8\].*got x \[4,16\]/);
      expect(tf.memory().numTensors, 'nothing allocated by a refused call').toBe(before);
      tf.dispose([...Object.values(tensors), wideKernel, narrowH, stepX, tallX]);
    });
  }
});

describeBackends('sequence ops: the weights on the tape are handles on their data', (backend) => {
  const c: SequenceCase = { cell: 'lstm', batch: 1, time: 5, inputSize: 6, hidden: 8, timeMajor: false, reverse: false, masked: false, activation: 'tanh', seed: 21 };
  /** Operands prepared (packed) by the host products during `body`: the panel product's and wasm's XNNPACK math. */
  const preparations = (body: () => void): number => {
    const maths = [simdHostMath(), backend === 'wasm' ? wasmTensorIO.math!(tf.backend()) : undefined].filter((m) => m?.prepareRight !== undefined);
    const originals = maths.map((m) => m!.prepareRight!);
    let count = 0;
    maths.forEach((m, i) => (m!.prepareRight = (...args) => (count++, originals[i].apply(m, args))));
    try {
      body();
    } finally {
      maths.forEach((m, i) => (m!.prepareRight = originals[i]));
    }
    return count;
  };

  it('repeated training calls prepare the backward\'s forms of the weights once (no copy of K or R per call)', () => {
    const { tensors } = makeSequenceInputs(c);
    const variables = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, tf.variable(t)]));
    const train = () => {
      const { value, grads } = tf.variableGrads(() => loss(c, variables, undefined));
      tf.dispose([value, ...Object.values(grads)]);
    };
    const first = preparations(train);
    expect(first, 'the first call prepares the forms').toBeGreaterThan(0);
    expect(preparations(() => { train(); train(); }), 'later calls prepare nothing').toBe(0);
    tf.dispose([...Object.values(variables), ...Object.values(tensors)]);
  });

  it('a weight assigned between the forward and its backward: the backward reads the values the forward used', () => {
    const { tensors } = makeSequenceInputs(c);
    const gradientsOf = (implementation: 'fused' | 'composite') => {
      const kernel = tf.variable(tensors.kernel);
      const recurrentKernel = tf.variable(tensors.recurrentKernel);
      const { value, grads } = tf.variableGrads(() => {
        const out = loss(c, { ...tensors, kernel, recurrentKernel }, undefined, implementation);
        // Inside the recorded function, after the forward: the tape must keep the old values.
        tf.tidy(() => {
          kernel.assign(tf.mul(kernel, -2));
          recurrentKernel.assign(tf.zerosLike(recurrentKernel));
        });
        return out;
      }, [kernel, recurrentKernel]);
      const result = [value, grads[kernel.name], grads[recurrentKernel.name]];
      tf.dispose([kernel, recurrentKernel]);
      return result;
    };
    const fused = gradientsOf('fused');
    const reference = gradientsOf('composite');
    fused.forEach((g, i) => expect(maxAbsDiff(g, reference[i]), ['loss', 'dKernel', 'dRecurrentKernel'][i]).toBeLessThan(1e-4));
    tf.dispose([...fused, ...reference, ...Object.values(tensors)]);
  });
});
