/**
 * The JavaScript time loops of the host driver: the input projection for all timesteps, then per
 * step one recurrent matmul and a cell's row function over the valid batch rows (forward), or the
 * reverse (backward). The cells' row functions (cells/<cell>.ts) hold the equations. The helpers
 * here pick each product's right operand, the SIMD path's loops (simd/time_loops.ts) included.
 */
import type { HostCellData, WeightForms, RowFunction, TwoPhaseRows } from './cell_spec.js';
import { leadingColumns, PANEL_GEMM_MIN_WEIGHT_FLOATS, prepareRight, type HostMath, type PreparedMatmul } from './host_math.js';
import { isValid, rowOf, timeAt, type SequenceGeometry } from './geometry.js';

/** The weights of a forward: as the backend keeps them (resident) when it can, else their values. */
export type ForwardWeights = Pick<HostCellData, 'x' | 'kernel' | 'recurrentKernel' | 'resident' | 'weightForms'>;

/**
 * c [rows, gates] = x·K for all timesteps as one matmul: K as a step streams it (stepForms) when
 * K is large (PANEL_GEMM_MIN_WEIGHT_FLOATS), else K where the backend keeps it when it can, else K
 * as the caller keeps it prepared per K lifetime, else K as it comes.
 */
export function inputProjection(g: SequenceGeometry, math: HostMath, a: ForwardWeights, gates: number, c: Float32Array): void {
  const streamed = g.inputSize * gates >= PANEL_GEMM_MIN_WEIGHT_FLOATS ? a.weightForms?.panelForms?.() : undefined;
  if (streamed) streamed.kernelProduct().run(a.x, c, g.batch * g.time);
  else if (a.resident) a.resident.inputProjection(c);
  else if (a.weightForms) a.weightForms.kernelProduct().run(a.x, c, g.batch * g.time);
  else math.matmul(a.x, a.kernel, c, g.batch * g.time, g.inputSize, gates);
}

/**
 * dGates [rows, gates]·Kᵀ (dx), released by the caller: as the caller keeps it prepared per K
 * lifetime when it does, else K transposed for this call.
 */
export function kernelTransposedProduct(g: SequenceGeometry, math: HostMath, a: Pick<HostCellData, 'kernel' | 'weightForms'>, gates: number): PreparedMatmul {
  return a.weightForms?.kernelTransposed() ?? prepareRight(math, a.kernel, gates, g.inputSize, { transposeB: true });
}

/**
 * The forms of R a sequence multiplies by at each step (batch rows per product): those of the
 * product that multiplies them fastest where the caller keeps it (WeightForms.panelForms: our
 * panel product on wasm), else the caller's, else none.
 */
export function stepForms(g: SequenceGeometry, a: Pick<HostCellData, 'weightForms'>): WeightForms | undefined {
  return a.weightForms?.panelForms?.() ?? a.weightForms;
}

/**
 * The product for a backward's weight gradients (dGatesᵀ·[x | hPrev]: no weight among the operands,
 * packed per call): the one the caller's panel forms are on where it has them (wasm with SIMD: our
 * panel product, ~7–10% faster LSTM fwd+bwd than XNNPACK at 16x64x512x512, 32x64x64x128,
 * 64x256x32x32), else `math`.
 */
export function weightGradientMath(math: HostMath, a: Pick<HostCellData, 'weightForms'>): HostMath {
  return a.weightForms?.panelForms?.()?.math?.() ?? math;
}

/**
 * h·R[:, :width] for every step of one call (R [H, gates]; `width` its leading columns,
 * recurrentProductGates): on the product that multiplies by R fastest where the caller keeps R's
 * forms there (stepForms), else all of R where the backend keeps it (read in place,
 * packed once for its lifetime) when it can, else as the caller keeps it prepared per R lifetime
 * (WeightForms), else prepared (packed, copied to the wasm heap) for this call.
 */
export function recurrentProduct(g: SequenceGeometry, math: HostMath, a: ForwardWeights, gates: number, width = gates): PreparedMatmul {
  const streamed = a.weightForms?.panelForms?.();
  if (streamed) return streamed.recurrentLeading(width);
  if (width === gates && a.resident) return a.resident.recurrent;
  return a.weightForms?.recurrentLeading(width) ?? prepareRight(math, leadingColumns(a.recurrentKernel, g.hidden, gates, width), g.hidden, width);
}

/**
 * dStep [batch, width]·R[:, :width]ᵀ for every step of one backward (released by the loop that
 * runs it): as the caller keeps it prepared per R lifetime when it does (on the product that
 * streams it fastest at this batch: stepForms), else R's leading `width`
 * of `gates` columns transposed once for the call (transposed products are the slow path of every
 * backend matmul).
 */
export function recurrentTransposedProduct(g: SequenceGeometry, math: HostMath, a: Pick<HostCellData, 'recurrentKernel' | 'weightForms'>,
  gates: number, width: number): PreparedMatmul {
  return stepForms(g, a)?.recurrentTransposed(width)
    ?? prepareRight(math, leadingColumns(a.recurrentKernel, g.hidden, gates, width), width, g.hidden, { transposeB: true });
}

/**
 * The first pass of every forward: x·K for all timesteps as one matmul, written into the first
 * [N, gates] block of a new workspace of `workspaceSize` floats (just that block when nothing is
 * saved for backward). The cells turn each row into its gate activations in place.
 */
export function projectInputs(g: SequenceGeometry, math: HostMath, a: ForwardWeights, gates: number, workspaceSize: number): Float32Array {
  const rows = g.batch * g.time;
  const workspace = new Float32Array(Math.max(workspaceSize, rows * gates));
  inputProjection(g, math, a, gates, workspace.subarray(0, rows * gates));
  return workspace;
}

/**
 * The forward time loop: per step the one matmul h·R ([batch, width]; timesR: recurrentProduct,
 * released here) then `cellRow` for every valid row. `h` is the hidden carry, updated in place by
 * `cellRow`. A second product comes from `forms` when the caller keeps R's forms.
 */
export function forwardSteps(
  g: SequenceGeometry,
  math: HostMath,
  mask: Float32Array | null,
  h: Float32Array,
  timesR: PreparedMatmul,
  width: number,
  cellRow: RowFunction | TwoPhaseRows,
  forms: WeightForms | undefined,
): void {
  const recurrent = new Float32Array(g.batch * width);
  const second = secondProduct(g, math, cellRow, forms, false);
  const rows = typeof cellRow === 'function' ? cellRow : cellRow.rows;
  try {
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      timesR.run(h, recurrent, g.batch);
      for (let b = 0; b < g.batch; b++) {
        if (isValid(mask, g, b, t)) rows(b, rowOf(g, b, t), recurrent); // else: output 0, carry kept
      }
      second?.run(mask, t);
    }
  } finally {
    timesR.release();
    second?.release();
  }
}

/**
 * The second product of TwoPhaseRows and its finishing rows, or null for a plain row function: its
 * weight as `forms` keeps it prepared (stepForms), else prepared for this call.
 */
function secondProduct(g: SequenceGeometry, math: HostMath, cellRow: RowFunction | TwoPhaseRows, forms: WeightForms | undefined, transposeB: boolean) {
  if (typeof cellRow === 'function') return null;
  const { operand, finish } = cellRow;
  const product = new Float32Array(g.batch * g.hidden);
  const times: PreparedMatmul = stepForms(g, { weightForms: forms })?.second(transposeB) ?? prepareRight(math, cellRow.weight(), g.hidden, g.hidden, { transposeB });
  return {
    run(mask: Float32Array | null, t: number) {
      times.run(operand, product, g.batch);
      for (let b = 0; b < g.batch; b++) if (isValid(mask, g, b, t)) finish(b, rowOf(g, b, t), product);
    },
    release: () => times.release(),
  };
}

/**
 * The backward time loop, last processed step first. For each valid row `cellRow` reads the
 * carry gradient dh[b] (plus dOutput at that row), writes its gradient of h·R into
 * dRecurrentStep[b] and leaves in dh[b] the gradient reaching the previous h by any other path
 * (0 for LSTM and RNN, z⊙dh for GRU). The loop then adds dRecurrentStep · Rᵀ (timesRT, released here) to dh and records
 * dRecurrentStep in the leading columns of dRecurrentProjection ([rows, projectionWidth], x's row
 * layout; `gates` R's leading columns, the width of forwardSteps). Masked rows pass dh through.
 */
export function backwardSteps(
  g: SequenceGeometry,
  math: HostMath,
  mask: Float32Array | null,
  dh: Float32Array,
  timesRT: PreparedMatmul,
  gates: number,
  dRecurrentProjection: Float32Array,
  projectionWidth: number,
  cellRow: RowFunction | TwoPhaseRows,
  forms: WeightForms | undefined,
): void {
  const H = g.hidden;
  const dRecurrentStep = new Float32Array(g.batch * gates);
  const dhRecurrent = new Float32Array(g.batch * H);
  const second = secondProduct(g, math, cellRow, forms, true);
  const rows = typeof cellRow === 'function' ? cellRow : cellRow.rows;
  try {
    for (let k = g.time - 1; k >= 0; k--) {
      const t = timeAt(g, k);
      dRecurrentStep.fill(0);
      for (let b = 0; b < g.batch; b++) {
        if (isValid(mask, g, b, t)) rows(b, rowOf(g, b, t), dRecurrentStep);
      }
      second?.run(mask, t);
      for (let b = 0; b < g.batch; b++) {
        if (isValid(mask, g, b, t)) dRecurrentProjection.set(dRecurrentStep.subarray(b * gates, (b + 1) * gates), rowOf(g, b, t) * projectionWidth);
      }
      timesRT.run(dRecurrentStep, dhRecurrent, g.batch);
      for (let b = 0; b < g.batch; b++) {
        if (!isValid(mask, g, b, t)) continue;
        for (let j = b * H; j < (b + 1) * H; j++) dh[j] += dhRecurrent[j];
      }
    }
  } finally {
    timesRT.release();
    second?.release();
  }
}

