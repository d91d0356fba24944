/**
 * What the three host cells share: the geometry of a sequence (how timestep t of batch row b is
 * found in x's own layout, so masks, reverse and time-major are indexing, never copies) and the
 * epilogue of the cuDNN-style backward pass (weight and input gradients as batched matmuls after
 * the reverse loop).
 */
import { prepareRight, type HostMath } from './host_math.js';
import { scratch } from './scratch.js';

export interface SequenceGeometry {
  batch: number;
  time: number;
  inputSize: number;
  hidden: number;
  timeMajor: boolean;
  reverse: boolean;
}

/** Row of x (and of output, and of every per-timestep workspace block) holding (b, t). */
export function rowOf(g: SequenceGeometry, b: number, t: number): number {
  return g.timeMajor ? t * g.batch + b : b * g.time + t;
}

/** The timestep processed k-th. */
export function timeAt(g: SequenceGeometry, k: number): number {
  return g.reverse ? g.time - 1 - k : k;
}

/** `mask` is [batch, time] (batch-major whatever the layout of x), or null for "all valid". */
export function isValid(mask: Float32Array | null, g: SequenceGeometry, b: number, t: number): boolean {
  return mask === null || mask[b * g.time + t] !== 0;
}

/** An absent or empty mask tensor means no mask. */
export function maskOrNull(mask: Float32Array | undefined): Float32Array | null {
  return mask && mask.length > 0 ? mask : null;
}

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** An upstream gradient that may be absent (null: zeros), copied so it can be updated in place. */
export function carryGradient(upstream: Float32Array | null, size: number): Float32Array {
  return upstream ? Float32Array.from(upstream) : new Float32Array(size);
}

/** Inputs every host cell reads (LSTM adds c0); weights in the canonical layout. */
export interface HostCellInputs {
  x: Float32Array;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
  h0: Float32Array;
  mask: Float32Array | null;
  /**
   * Backward only: the forward's output (saved by the gradient config), from which the hidden
   * state each step started from is rebuilt (previousHidden) instead of being kept twice. May be
   * null for one-step calls, whose only previous state is h0.
   */
  output?: Float32Array | null;
  /** Backward only: false skips dx (the caller takes dInputProjection from the result instead). */
  inputGradient?: boolean;
}

/**
 * The hidden carry each step started from, [N, H] in x's row layout: h0 for a row's first
 * processed step, then the output of its last valid step (a masked step keeps the carry). This is
 * what the forward would have saved per row; the workspaces do not keep it because the output
 * already holds it.
 */
export function previousHidden(g: SequenceGeometry, output: Float32Array | null | undefined, h0: Float32Array, mask: Float32Array | null,
  target: Float32Array = new Float32Array(g.batch * g.time * g.hidden)): Float32Array {
  const H = g.hidden;
  if (!output && g.time > 1) throw new Error('previousHidden: the forward output is needed for more than one step');
  for (let b = 0; b < g.batch; b++) {
    let source = h0;
    let at = b * H;
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      const row = rowOf(g, b, t);
      target.set(source.subarray(at, at + H), row * H);
      if (isValid(mask, g, b, t)) {
        source = output!;
        at = row * H;
      }
    }
  }
  return target;
}

/**
 * What a host forward returns. On the SIMD path the arrays are views of the SIMD arena, valid
 * until the next host kernel call: write them out (HostTensorIO.write copies or adopts) at once.
 */
export interface HostForwardResult {
  /** In x's layout, hidden features; zeros at masked steps. */
  output: Float32Array;
  /** Each row's carry after its last valid step. */
  h: Float32Array;
  /** Empty unless saveForBackward. */
  workspace: Float32Array;
}

/** Upstream gradients; null stands for zeros. */
export interface HostUpstream {
  dOutput: Float32Array | null;
  dh: Float32Array | null;
}

/**
 * The first pass of every forward: x·K for all timesteps as one matmul, written into the first
 * [N, gates] block of a new workspace of `workspaceSize` floats (just that block when nothing is
 * saved for backward). The cells turn each row into its gate activations in place.
 */
export function projectInputs(g: SequenceGeometry, math: HostMath, a: HostCellInputs, gates: number, workspaceSize: number): Float32Array {
  const rows = g.batch * g.time;
  const workspace = new Float32Array(Math.max(workspaceSize, rows * gates));
  math.matmul(a.x, a.kernel, workspace.subarray(0, rows * gates), rows, g.inputSize, gates);
  return workspace;
}

/**
 * The forward time loop: per step the one matmul h·R ([batch, gates]) then `cellRow` for every
 * valid row. `h` is the hidden carry, updated in place by `cellRow`.
 */
export function forwardSteps(
  g: SequenceGeometry,
  math: HostMath,
  mask: Float32Array | null,
  h: Float32Array,
  recurrentKernel: Float32Array,
  gates: number,
  cellRow: (b: number, row: number, recurrent: Float32Array) => void,
): void {
  const recurrent = new Float32Array(g.batch * gates);
  // R is packed (and, on wasm, moved to the heap) once for all T products.
  const timesR = prepareRight(math, recurrentKernel, g.hidden, gates);
  try {
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      timesR.run(h, recurrent, g.batch);
      for (let b = 0; b < g.batch; b++) {
        if (isValid(mask, g, b, t)) cellRow(b, rowOf(g, b, t), recurrent); // else: output 0, carry kept
      }
    }
  } finally {
    timesR.release();
  }
}

/**
 * The backward time loop, last processed step first. For each valid row `cellRow` reads the
 * carry gradient dh[b] (plus dOutput at that row), writes its gradient of h·R into
 * dRecurrentStep[b] and leaves in dh[b] the gradient reaching the previous h by any other path
 * (0 for LSTM and RNN, z⊙dh for GRU). The loop then adds dRecurrentStep · Rᵀ to dh and records
 * dRecurrentStep in dRecurrentProjection (x's row layout). Masked rows pass dh through.
 */
export function backwardSteps(
  g: SequenceGeometry,
  math: HostMath,
  mask: Float32Array | null,
  dh: Float32Array,
  recurrentKernel: Float32Array,
  gates: number,
  dRecurrentProjection: Float32Array,
  cellRow: (b: number, row: number, dRecurrentStep: Float32Array) => void,
): void {
  const H = g.hidden;
  const dRecurrentStep = new Float32Array(g.batch * gates);
  const dhRecurrent = new Float32Array(g.batch * H);
  // Rᵀ made explicit once: transposed products are the slow path of every backend matmul.
  const timesRT = prepareRight(math, recurrentKernel, gates, H, { transposeB: true });
  try {
    for (let k = g.time - 1; k >= 0; k--) {
      const t = timeAt(g, k);
      dRecurrentStep.fill(0);
      for (let b = 0; b < g.batch; b++) {
        if (!isValid(mask, g, b, t)) continue;
        const row = rowOf(g, b, t);
        cellRow(b, row, dRecurrentStep);
        dRecurrentProjection.set(dRecurrentStep.subarray(b * gates, (b + 1) * gates), row * gates);
      }
      timesRT.run(dRecurrentStep, dhRecurrent, g.batch);
      for (let b = 0; b < g.batch; b++) {
        if (!isValid(mask, g, b, t)) continue;
        for (let j = b * H; j < (b + 1) * H; j++) dh[j] += dhRecurrent[j];
      }
    }
  } finally {
    timesRT.release();
  }
}

export interface WeightGradients {
  /** Empty when the input gradient was not asked for (HostCellInputs.inputGradient false). */
  dx: Float32Array;
  /** The gradient of x·K + b, [N, G] in x's row layout (dx = dInputProjection · Kᵀ). */
  dInputProjection: Float32Array;
  dKernel: Float32Array;
  dRecurrentKernel: Float32Array;
  /** Column sums of dInputProjection: the gradient of the input bias. */
  dInputBias: Float32Array;
  /** Column sums of dRecurrentProjection: the gradient of the recurrent bias (GRU). */
  dRecurrentBias: Float32Array;
}

export interface WeightGradientOptions {
  /** False skips dx (see HostCellInputs.inputGradient); absent means true. */
  inputGradient?: boolean;
  /**
   * dInputProjectionᵀ and dRecurrentProjectionᵀ, [G, N] each (the same array when the projections
   * are), where the caller made them faster than the GEMM's operand copy would (SIMD transpose).
   */
  transposed?: { input: Float32Array; recurrent: Float32Array };
}

/**
 * After the reverse loop, every remaining gradient is a batched matmul over all N = batch·time
 * rows at once:
 *   dKernel = xᵀ · dInputProjection,  dx = dInputProjection · Kᵀ,
 *   dRecurrentKernel = hPrevᵀ · dRecurrentProjection,
 * where dInputProjection [N, G] is the gradient of x·K + b, dRecurrentProjection [N, G] that of
 * h·R (+ b1), hPrev [N, H] the carry each step started from, all in x's row layout.
 *
 * The weight gradients are computed transposed, dKernelᵀ = dInputProjectionᵀ · x: a GEMM packs its
 * right operand, and x [N, D] (and hPrev [N, H]) is 4–8× smaller than the gate gradients [N, G];
 * on the wasm backend repacking a [2048, 512] right operand per call cost more than the product.
 * When both projections share one gradient (LSTM, RNN) dKernel and dRecurrentKernel are a single
 * product with [x | hPrev].
 */
export function weightGradients(
  math: HostMath,
  g: SequenceGeometry,
  gates: number,
  x: Float32Array,
  kernel: Float32Array,
  hPrev: Float32Array,
  dInputProjection: Float32Array,
  dRecurrentProjection: Float32Array,
  { inputGradient = true, transposed }: WeightGradientOptions = {},
): WeightGradients {
  const rows = g.batch * g.time;
  const { inputSize, hidden } = g;
  const dKernel = new Float32Array(inputSize * gates);
  const dRecurrentKernel = new Float32Array(hidden * gates);
  if (dRecurrentProjection === dInputProjection) {
    const width = inputSize + hidden;
    const xh = scratch('weight-gradient operand', rows * width);
    for (let r = 0; r < rows; r++) {
      xh.set(x.subarray(r * inputSize, (r + 1) * inputSize), r * width);
      xh.set(hPrev.subarray(r * hidden, (r + 1) * hidden), r * width + inputSize);
    }
    const product = scratch('weight-gradient product', gates * width); // [G, D + H] = [dKernel | dRecurrentKernel]ᵀ
    if (transposed) math.matmul(transposed.input, xh, product, gates, rows, width);
    else math.matmul(dInputProjection, xh, product, gates, rows, width, { transposeA: true });
    transposeColumns(product, gates, width, 0, inputSize, dKernel);
    transposeColumns(product, gates, width, inputSize, hidden, dRecurrentKernel);
  } else {
    const productK = scratch('weight-gradient product', gates * inputSize);
    const productR = scratch('recurrent weight-gradient product', gates * hidden);
    if (transposed) {
      math.matmul(transposed.input, x, productK, gates, rows, inputSize);
      math.matmul(transposed.recurrent, hPrev, productR, gates, rows, hidden);
    } else {
      math.matmul(dInputProjection, x, productK, gates, rows, inputSize, { transposeA: true });
      math.matmul(dRecurrentProjection, hPrev, productR, gates, rows, hidden, { transposeA: true });
    }
    transposeColumns(productK, gates, inputSize, 0, inputSize, dKernel);
    transposeColumns(productR, gates, hidden, 0, hidden, dRecurrentKernel);
  }
  return {
    dx: inputGradient ? inputGradientOf(math, dInputProjection, kernel, rows, gates, inputSize) : new Float32Array(0),
    dInputProjection,
    dKernel,
    dRecurrentKernel,
    dInputBias: columnSums(dInputProjection, rows, gates),
    dRecurrentBias: dRecurrentProjection === dInputProjection ? new Float32Array(0) : columnSums(dRecurrentProjection, rows, gates),
  };
}

/** dx [rows, inputSize] = dInputProjection [rows, gates] · Kᵀ (K is [inputSize, gates]). */
export function inputGradientOf(math: HostMath, dInputProjection: Float32Array, kernel: Float32Array, rows: number, gates: number, inputSize: number): Float32Array {
  const dx = new Float32Array(rows * inputSize);
  math.matmul(dInputProjection, kernel, dx, rows, gates, inputSize, { transposeB: true });
  return dx;
}

/** out[c, r] = m[r, first + c] for the `count` columns from `first` of m [rows, width]. */
function transposeColumns(m: Float32Array, rows: number, width: number, first: number, count: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width + first;
    for (let c = 0; c < count; c++) out[c * rows + r] = m[base + c];
  }
}

function columnSums(values: Float32Array, rows: number, columns: number): Float32Array {
  const sums = new Float64Array(columns);
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    for (let j = 0; j < columns; j++) sums[j] += values[base + j];
  }
  return Float32Array.from(sums);
}
