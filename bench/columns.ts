/**
 * The columns of the benchmark: each builds, for one (backend, cell, size, mode), a `run` to time
 * and a `check` that returns the values compared across columns (the output for `fwd`, the
 * gradients of sum(output) w.r.t. [kernel, recurrentKernel, bias] for `fwdbwd`).
 *
 * A column that cannot run here (module not written yet, op unsupported) returns the reason as a
 * string and the table shows it instead of a number.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { GATES, type CaseWeights, type CellKind, type Mode, type Size, weightVariables } from './cases.js';
import { cellFacts } from '../src/runtime/kernels/cell_table.js';
import { buildOnnxModel } from './onnx-model.js';
import { simdHostMath } from '../src/runtime/kernels/host/simd/simd_host_math.js';

export interface BenchCase {
  backend: string;
  cell: CellKind;
  size: Size;
  mode: Mode;
  weights: CaseWeights;
}

export interface Prepared {
  /** One timed iteration; disposes whatever it creates. */
  run(): void | Promise<void>;
  /** fwd: [output]; fwdbwd: [dKernel, dRecurrentKernel, dBias]. */
  check(): Promise<Float32Array[]>;
  /** Whether tf.memory() sees this column's allocations (peak bytes are measured then). */
  tracksMemory: boolean;
  /** Shown beside the column's name (e.g. why its values are not compared). */
  note?: string;
  /** False when the numerics intentionally differ (the check is skipped). */
  comparable?: boolean;
  dispose(): void;
}

export interface Column {
  id: string;
  title: string;
  prepare(c: BenchCase): Promise<Prepared | string>;
}

/** The blocked forward of a column: x [B, T, D] → output [B, T, H]. */
type Forward = (x: Tensor3D) => Tensor3D;

/** run/check for a column whose forward is tfjs ops on tf.Variables. */
function tensorColumn(c: BenchCase, forward: Forward, variables: tf.Variable[], dispose: () => void,
  extra: Partial<Prepared> = {}): Prepared {
  const { B, T, D } = c.size;
  const x = tf.tensor3d(c.weights.x, [B, T, D]);
  const fwdbwd = () => tf.variableGrads(() => tf.sum(forward(x)) as tf.Scalar, variables);
  const prepared: Prepared = {
    tracksMemory: true,
    run: c.mode === 'fwd'
      ? () => tf.dispose(tf.tidy(() => forward(x)))
      : () => {
        const { value, grads } = fwdbwd();
        tf.dispose([value, ...Object.values(grads)]);
      },
    async check() {
      if (c.mode === 'fwd') {
        const out = tf.tidy(() => forward(x));
        const data = (await out.data()) as Float32Array;
        out.dispose();
        return [data];
      }
      const { value, grads } = fwdbwd();
      const result = await Promise.all(variables.map(async (v) => (await grads[v.name].data()) as Float32Array));
      tf.dispose([value, ...Object.values(grads)]);
      return result;
    },
    dispose() {
      x.dispose();
      dispose();
    },
    ...extra,
  };
  return prepared;
}

// --- the naive per-step loop: what code written against a mutable per-step API does --------------
/** One cell step from tfjs ops (the documented equations), with its own slicing per step. */
function naiveStep(cell: CellKind, H: number, xt: Tensor2D, carry: Tensor2D[], v: ReturnType<typeof weightVariables>): Tensor2D[] {
  const [h, c] = carry;
  if (cell === 'lstm') {
    const z = tf.add(tf.add(tf.matMul(xt, v.kernel), tf.matMul(h, v.recurrentKernel)), v.bias);
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as Tensor2D[];
    const cNext = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as Tensor2D;
    return [tf.mul(tf.sigmoid(zo), tf.tanh(cNext)) as Tensor2D, cNext];
  }
  if (cell === 'gru') {
    const [b0, b1] = tf.unstack(v.bias, 0) as Tensor1D[];
    const xz = tf.add(tf.matMul(xt, v.kernel), b0);
    const hz = tf.add(tf.matMul(h, v.recurrentKernel), b1);
    const [xZ, xR, xN] = tf.split(xz, 3, 1);
    const [hZ, hR, hN] = tf.split(hz, 3, 1);
    const z = tf.sigmoid(tf.add(xZ, hZ));
    const r = tf.sigmoid(tf.add(xR, hR));
    const n = tf.tanh(tf.add(xN, tf.mul(r, hN)));
    return [tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as Tensor2D];
  }
  void H;
  return [tf.tanh(tf.add(tf.add(tf.matMul(xt, v.kernel), tf.matMul(h, v.recurrentKernel)), v.bias)) as Tensor2D];
}

const naiveLoop: Column = {
  id: 'naive',
  title: 'naive step loop (tfjs ops)',
  async prepare(c) {
    const { B, T, D, H } = c.size;
    const v = weightVariables(c.cell, c.size, c.weights, `naive-${c.cell}`);
    const forward: Forward = (x) => {
      let carry: Tensor2D[] = c.cell === 'lstm' ? [tf.zeros([B, H]), tf.zeros([B, H])] : [tf.zeros([B, H])];
      const outputs: Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const xt = tf.reshape(tf.slice(x, [0, t, 0], [B, 1, D]), [B, D]) as Tensor2D;
        carry = naiveStep(c.cell, H, xt, carry, v);
        outputs.push(carry[0]);
      }
      return tf.stack(outputs, 1) as Tensor3D;
    };
    const vars = [v.kernel, v.recurrentKernel, v.bias];
    return tensorColumn(c, forward, vars, () => tf.dispose(vars));
  },
};

// --- tf.layers -----------------------------------------------------------------------------------
const layersColumn: Column = {
  id: 'layers',
  title: 'tf.layers',
  async prepare(c) {
    const { B, T, D, H } = c.size;
    const common = { units: H, returnSequences: true, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;
    const layer = c.cell === 'lstm'
      ? tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid' })
      : c.cell === 'gru'
        ? tfl.layers.gru({ ...common, recurrentActivation: 'sigmoid' })
        : tfl.layers.simpleRNN({ ...common, activation: 'tanh' });
    tf.tidy(() => layer.apply(tf.zeros([B, T, D])) as Tensor);
    const G = GATES[c.cell];
    // tf.layers' GRU is reset_before (no reset_after in tfjs 4.22): same shapes, other equations.
    const bias = c.cell === 'gru' ? c.weights.bias.subarray(0, G * H) : c.weights.bias;
    const init = [tf.tensor2d(c.weights.kernel, [D, G * H]), tf.tensor2d(c.weights.recurrentKernel, [H, G * H]), tf.tensor1d(bias)];
    layer.setWeights(init);
    tf.dispose(init);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const forward: Forward = (x) => layer.apply(x) as Tensor3D;
    const gru = c.cell === 'gru';
    return tensorColumn(c, forward, vars, () => layer.dispose(), {
      note: gru ? 'reset_before: tfjs has no reset_after' : undefined,
      comparable: !gru,
    });
  },
};

// --- rnn-migrate ---------------------------------------------------------------------------------
/** Imports a module of this package that may not be written yet; null when it is absent. */
async function importOptional<T>(path: string): Promise<T | null> {
  try {
    return (await import(path)) as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw e;
  }
}

interface SequenceLayerLike {
  cell: { setWeights(w: Tensor[]): void };
  apply(x: Tensor3D): { output: Tensor3D; carry: Record<string, Tensor> };
  trainableVariables(): tf.Variable[];
  dispose(): void;
}
type LayerCtor = new (inputSize: number, hiddenSize: number) => SequenceLayerLike;
interface PublicApi { LSTM?: LayerCtor; GRU?: LayerCtor; RNN?: LayerCtor }

interface KernelOps {
  lstmSequence(a: object): { output: Tensor3D; h: Tensor2D; c: Tensor2D };
  gruSequence(a: object): { output: Tensor3D; h: Tensor2D };
  rnnSequence(a: object): { output: Tensor3D; h: Tensor2D };
}

function canonicalWeights(c: BenchCase): Tensor[] {
  const { D, H } = c.size;
  const G = GATES[c.cell];
  return [tf.tensor2d(c.weights.kernel, [D, G * H]), tf.tensor2d(c.weights.recurrentKernel, [H, G * H]),
    tf.tensor(c.weights.bias, c.weights.biasShape)];
}

const layerName = (cell: CellKind) => cellFacts(cell).layerName as keyof PublicApi;

const blockedColumn: Column = {
  id: 'blocked',
  title: 'rnn-migrate blocked',
  async prepare(c) {
    const api = await importOptional<PublicApi>('../src/index.js');
    const Layer = api?.[layerName(c.cell)];
    if (Layer) {
      const layer = new Layer(c.size.D, c.size.H);
      const init = canonicalWeights(c);
      layer.cell.setWeights(init);
      tf.dispose(init);
      const forward: Forward = (x) => {
        const { output, carry } = layer.apply(x);
        tf.dispose(Object.values(carry));
        return output;
      };
      return tensorColumn(c, forward, layer.trainableVariables(), () => layer.dispose());
    }
    // Until the public layers exist: the kernel ops directly.
    const ops = await importOptional<KernelOps>('../src/runtime/kernels/ops.js');
    if (!ops) return 'src/index.ts and the kernel ops are not written yet';
    const v = weightVariables(c.cell, c.size, c.weights, `blocked-${c.cell}`);
    const { B, H } = c.size;
    const forward: Forward = (x) => {
      const h0 = tf.zeros([B, H]);
      const args = { x, kernel: v.kernel, recurrentKernel: v.recurrentKernel, bias: v.bias, h0 };
      const result = c.cell === 'lstm'
        ? ops.lstmSequence({ ...args, c0: tf.zeros([B, H]) })
        : c.cell === 'gru' ? ops.gruSequence(args) : ops.rnnSequence({ ...args, activation: 'tanh' });
      return result.output;
    };
    const vars = [v.kernel, v.recurrentKernel, v.bias];
    return tensorColumn(c, forward, vars, () => tf.dispose(vars), { note: 'kernel ops (no src/index.ts yet)' });
  },
};

interface CompositeModule {
  lstmSequenceComposite(a: object): { output: Tensor3D };
  gruSequenceComposite(a: object): { output: Tensor3D };
  rnnSequenceComposite(a: object): { output: Tensor3D };
}

const compositeColumn: Column = {
  id: 'composite',
  title: 'rnn-migrate composite (tfjs ops, blocked)',
  async prepare(c) {
    const mod = await importOptional<CompositeModule>('../src/runtime/kernels/composite/index.js');
    if (!mod) return 'composite kernels not written yet';
    const v = weightVariables(c.cell, c.size, c.weights, `composite-${c.cell}`);
    const { B, H } = c.size;
    const forward: Forward = (x) => {
      const args = { x, kernel: v.kernel, recurrentKernel: v.recurrentKernel, bias: v.bias, h0: tf.zeros([B, H]) };
      return c.cell === 'lstm'
        ? mod.lstmSequenceComposite({ ...args, c0: tf.zeros([B, H]) }).output
        : c.cell === 'gru' ? mod.gruSequenceComposite(args).output : mod.rnnSequenceComposite({ ...args, activation: 'tanh' }).output;
    };
    const vars = [v.kernel, v.recurrentKernel, v.bias];
    return tensorColumn(c, forward, vars, () => tf.dispose(vars));
  },
};

interface RecurLike {
  step(x: Tensor2D): Tensor2D;
  reset(): void;
  cell: { setWeights(w: Tensor[]): void; trainableVariables(): tf.Variable[]; dispose(): void };
}
interface LegacyApi {
  LSTM(inputSize: number, hiddenSize: number): RecurLike;
  GRU(inputSize: number, hiddenSize: number): RecurLike;
  RNN(inputSize: number, hiddenSize: number): RecurLike;
  configureChecker?(options: { mode: 'off' | 'warn' | 'error' }): void;
}

const legacyColumn: Column = {
  id: 'legacy',
  title: 'rnn-migrate legacy Recur loop',
  async prepare(c) {
    const legacy = await importOptional<LegacyApi>('../src/legacy/index.js');
    if (!legacy?.[layerName(c.cell)]) return 'src/legacy is not written yet';
    legacy.configureChecker?.({ mode: 'off' });
    const { B, T, D } = c.size;
    const recur = legacy[layerName(c.cell)](D, c.size.H);
    const init = canonicalWeights(c);
    recur.cell.setWeights(init);
    tf.dispose(init);
    const forward: Forward = (x) => {
      recur.reset();
      const outputs: Tensor2D[] = [];
      for (let t = 0; t < T; t++) outputs.push(recur.step(tf.reshape(tf.slice(x, [0, t, 0], [B, 1, D]), [B, D]) as Tensor2D));
      const out = tf.stack(outputs, 1) as Tensor3D;
      recur.reset();
      return out;
    };
    return tensorColumn(c, forward, recur.cell.trainableVariables(), () => recur.cell.dispose());
  },
};

// --- the limit: the backend's plain matmul at the same FLOP count --------------------------------
const matmulColumn: Column = {
  id: 'matmul',
  title: 'backend matmul, same FLOPs (limit)',
  async prepare(c) {
    const { B, T, D, H } = c.size;
    // [B·T, D+H]·[D+H, G·H] is exactly the forward FLOP count; fwd+bwd runs it three times.
    const a = tf.randomUniform([B * T, D + H]) as Tensor2D;
    const b = tf.randomUniform([D + H, GATES[c.cell] * H]) as Tensor2D;
    const times = c.mode === 'fwd' ? 1 : 3;
    return {
      tracksMemory: true,
      comparable: false,
      run() {
        for (let i = 0; i < times; i++) tf.matMul(a, b).dispose();
      },
      async check() {
        return [];
      },
      dispose() {
        tf.dispose([a, b]);
      },
    };
  },
};

// --- the other limit: our SIMD panel product at the same FLOP count ------------------------------
// On wasm it multiplies faster than the backend's XNNPACK (which the kernels then use instead), so
// the backend's matmul alone would be no limit; where WebAssembly SIMD is unavailable it is absent.
const panelMatmulColumn: Column = {
  id: 'panel',
  title: 'SIMD panel product, same FLOPs (limit)',
  async prepare(c) {
    const math = simdHostMath();
    if (!math?.prepareRight) return 'WebAssembly SIMD is unavailable';
    const { B, T, D, H } = c.size;
    const [m, k, n] = [B * T, D + H, GATES[c.cell] * H];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const product = math.prepareRight(Float32Array.from({ length: k * n }, (_, i) => Math.cos(i)), k, n);
    const out = new Float32Array(m * n);
    const times = c.mode === 'fwd' ? 1 : 3;
    return {
      tracksMemory: false,
      comparable: false,
      run() {
        for (let i = 0; i < times; i++) product.run(a, out, m);
      },
      async check() {
        return [];
      },
      dispose() {
        product.release();
      },
    };
  },
};

// --- ONNX Runtime (inference only) ---------------------------------------------------------------
interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options: object): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => { dispose?(): void };
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dispose?(): void }>>;
  release(): Promise<void>;
}

const onnxColumn: Column = {
  id: 'onnx',
  title: 'ONNX Runtime (native, 1 thread)',
  async prepare(c) {
    if (c.mode !== 'fwd') return 'inference only';
    let ort: OrtLike;
    try {
      ort = (await import('onnxruntime-node')) as unknown as OrtLike;
    } catch (e) {
      return `onnxruntime-node unavailable: ${(e as Error).message.split('\n')[0]}`;
    }
    const { B, T, D } = c.size;
    // One intra-op thread: the tfjs backends measured here are single-threaded too.
    const session = await ort.InferenceSession.create(buildOnnxModel(c.cell, c.size, c.weights), {
      intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'],
    });
    const x = new ort.Tensor('float32', c.weights.x, [B, T, D]);
    return {
      tracksMemory: false,
      async run() {
        const out = await session.run({ x });
        out.y.dispose?.();
      },
      async check() {
        const out = await session.run({ x });
        return [Float32Array.from(out.y.data as Float32Array)];
      },
      dispose() {
        void session.release();
      },
    };
  },
};

export const COLUMNS: Column[] = [blockedColumn, legacyColumn, layersColumn, naiveLoop, compositeColumn, matmulColumn, panelMatmulColumn, onnxColumn];
/** The column the others are checked against: the documented equations, written independently. */
export const REFERENCE_COLUMN = 'naive';
