/**
 * One timestep of a cell on the host with its two projections given: what the step kernels run.
 * A step's products x·K and h·R read only the kernel's inputs, so the backend computes them where
 * it keeps the tensors (kernel_configs.ts: stepProjections) and this file runs the cell's gate
 * math on them: the cell's SIMD gate kernel when it applies, else its JavaScript row function,
 * with the same workspace as the host driver's one-step sequence. A cell with a second product
 * inside the step (the reset-before GRU's (r⊙h)·Rn, TwoPhaseRows) gets it from StepWeights.
 *
 * The backward is the host driver's (a one-step sequence) on placeholders for K and R: their
 * products (Rᵀ, Kᵀ, the second weight) come from StepWeights, so the weights are not read per call.
 */
import { CELLS, hostWorkspaceFloats, type CellKind, type CellVariant } from '../cell_table.js';
import type { HostCellData, HostForwardResult, HostUpstream, RowFunction, SimdForwardContext, TwoPhaseRows } from './cell_spec.js';
import { HOST_CELLS } from './cells/index.js';
import type { SequenceGeometry } from './geometry.js';
import { hostBackward, simdKernelsFor, type HostGradients } from './host_driver.js';
import { prepareRight, type HostMath, type PreparedMatmul } from './host_math.js';
import { allocate } from './simd/arena.js';

/** x·K and h·R of one step, [batch, gates] each (without bias). */
export interface StepProjections {
  input: Float32Array;
  recurrent: Float32Array;
}

/** The step's bias (canonical layout) and carries (h first). */
export interface StepState {
  bias: Float32Array;
  carries: Float32Array[];
}

/**
 * The step's products with its weights, each prepared once per weight lifetime from the weights'
 * values (read only then): Rᵀ [gates, H] and Kᵀ [gates, D] for the backward, and the cell's
 * second weight [H, H] (SimdCellSpec.secondWeight, TwoPhaseRows.weight) or its transpose.
 */
export interface StepWeights {
  recurrentTransposed(): PreparedMatmul;
  kernelTransposed(): PreparedMatmul;
  second(transposeB: boolean): PreparedMatmul;
}

/** The [H, H] second weight of the variant's step, derived from R [H, gates], or null when it has none. */
export function stepSecondWeight(kind: CellKind, variant: CellVariant): ((recurrentKernel: Float32Array, hidden: number) => Float32Array) | null {
  return HOST_CELLS[kind].simd(variant)?.secondWeight ?? null;
}

/** One step (`g.time` is 1): the new carries, h first, and the workspace when saveForBackward. */
export function hostStepForward(kind: CellKind, g: SequenceGeometry, state: StepState, variant: CellVariant, saveForBackward: boolean,
  projections: StepProjections, weights: StepWeights): HostForwardResult {
  const cell = HOST_CELLS[kind];
  const simdCell = cell.simd(variant);
  const kernels = simdCell ? simdKernelsFor(g, null) : null;
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const B = g.batch;
  const savedFloats = saveForBackward ? hostWorkspaceFloats(kind, B, H) : 0;
  if (simdCell && kernels) {
    // The same buffers as simdForward: a fused projection reads x·K + h·R from `product`, the
    // others x·K from the workspace's first block and h·R from `product`.
    const secondFloats = simdCell.secondWeight ? B * H : 0;
    const [workspace, output, product, bias, scratch, secondOperand, secondProduct, ...carries] = allocate(kernels, [
      saveForBackward ? savedFloats : simdCell.fusedProjection ? 0 : B * G, B * H, B * G, state.bias.length, H, secondFloats, secondFloats,
      ...state.carries.map(() => B * H),
    ]);
    carries.forEach((carry, i) => carry.view.set(state.carries[i]));
    bias.view.set(state.bias);
    if (simdCell.fusedProjection) {
      const z = product.view;
      for (let i = 0; i < B * G; i++) z[i] = projections.input[i] + projections.recurrent[i];
    } else {
      workspace.view.set(projections.input.subarray(0, B * G));
      product.view.set(projections.recurrent.subarray(0, B * G));
    }
    const second = simdCell.secondWeight
      ? { operand: secondOperand, product: secondProduct, run: () => weights.second(false).run(secondOperand.view, secondProduct.view, B) }
      : null;
    const c: SimdForwardContext = { g, saveForBackward, workspace, output, carries, product, bias, scratch, second };
    simdCell.forwardStep(kernels, c, 0);
    return { output: output.view, carries: carries.map((carry) => carry.view), workspace: saveForBackward ? workspace.view : new Float32Array(0) };
  }
  const workspace = new Float32Array(Math.max(savedFloats, B * G));
  workspace.set(projections.input.subarray(0, B * G));
  const carries = state.carries.map((carry) => Float32Array.from(carry));
  const output = new Float32Array(B * H);
  // R is not read here: a second product comes from `weights` (TwoPhaseRows.weight is unused).
  const row = cell.forwardRow({ g, variant, workspace, saveForBackward, bias: state.bias, recurrentKernel: new Float32Array(0), carries, output });
  runRows(B, row, projections.recurrent, () => weights.second(false));
  return { output, carries, workspace: saveForBackward ? workspace : new Float32Array(0) };
}

/** A row function over all B rows of the step; TwoPhaseRows with their second product in between. */
function runRows(B: number, row: RowFunction | TwoPhaseRows, product: Float32Array, second: () => PreparedMatmul): void {
  const rows = typeof row === 'function' ? row : row.rows;
  for (let b = 0; b < B; b++) rows(b, b, product);
  if (typeof row === 'function') return;
  const { operand, finish } = row;
  const secondProduct = new Float32Array(operand.length);
  second().run(operand, secondProduct, B);
  for (let b = 0; b < B; b++) finish(b, b, secondProduct);
}

/**
 * The backward of one step: the host driver's backward of a one-step sequence (`a` without K and
 * R: their products come from `weights`, through stepWeightMath).
 */
export function hostStepBackward(kind: CellKind, g: SequenceGeometry, a: Omit<HostCellData, 'kernel' | 'recurrentKernel'>, variant: CellVariant,
  workspace: Float32Array, upstream: HostUpstream, math: HostMath, weights: StepWeights): HostGradients {
  const served = stepWeightMath(math, weights, stepSecondWeight(kind, variant) !== null, g.hidden);
  return hostBackward(kind, g, { ...a, kernel: served.kernel, recurrentKernel: served.recurrentKernel }, variant, workspace, upstream, served.math);
}

/**
 * `math` for the host driver's backward of one step, given `kernel` and `recurrentKernel` (empty
 * placeholders) as K and R: the products it asks of them (dx = dGates·Kᵀ, dGates·Rᵀ, the second
 * weight, which the cell derives from R, the one [H, H] operand it prepares) are the prepared
 * ones of `weights`; every other product is `math`'s own.
 */
function stepWeightMath(math: HostMath, weights: StepWeights, hasSecond: boolean, hidden: number): { math: HostMath; kernel: Float32Array; recurrentKernel: Float32Array } {
  const kernel = new Float32Array(0);
  const recurrentKernel = new Float32Array(0);
  const expectTransposed = (what: string, transposeB: boolean | undefined) => {
    if (!transposeB) throw new Error(`hostStepBackward: expected a product with ${what}ᵀ, got one with ${what}`);
  };
  return {
    kernel,
    recurrentKernel,
    math: {
      matmul(left, right, c, m, k, n, options = {}) {
        if (right !== kernel) return math.matmul(left, right, c, m, k, n, options);
        expectTransposed('K', options.transposeB);
        weights.kernelTransposed().run(left, c, m, options.accumulate);
      },
      prepareRight(right, k, n, options = {}) {
        if (right === recurrentKernel) {
          expectTransposed('R', options.transposeB);
          return weights.recurrentTransposed();
        }
        if (hasSecond && k === hidden && n === hidden) return weights.second(options.transposeB === true);
        return prepareRight(math, right, k, n, options);
      },
    },
  };
}
