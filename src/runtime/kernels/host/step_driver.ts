/**
 * One timestep of a cell on the host with its two projections given: what the step kernels run.
 * A step's products x·K and h·R read only the kernel's inputs, so the backend computes them where
 * it keeps the tensors (StepOperands, step_operands.ts) and this file runs the cell's gate math on
 * them: the cell's SIMD gate kernel when it applies, else its JavaScript row function,
 * with the same workspace as the host driver's one-step sequence. A cell with a second product
 * inside the step (the reset-before GRU's (r⊙h)·Rn, TwoPhaseRows) gets it from StepOperands.
 *
 * The backward is the host driver's (a one-step sequence) on placeholders for K and R: their
 * products (Rᵀ, Kᵀ, the second weight) come from StepOperands, so the weights are not read per call.
 */
import { biasRowsOf, CELLS, hostWorkspaceFloats, recurrentProductGates, type CellKind, type CellVariant } from '../cell_table.js';
import type { HostCellData, HostForwardResult, HostUpstream, RowFunction, SimdForwardContext, SimdSecondProduct, TwoPhaseRows, WeightForms } from './cell_spec.js';
import { HOST_CELLS } from './cells/index.js';
import type { SequenceGeometry } from './geometry.js';
import { hostBackward, simdKernelsFor, type HostGradients } from './host_driver.js';
import type { HostMath, PreparedMatmul } from './host_math.js';
import { allocate, type ArenaBuffer } from './simd/arena.js';
import type { SimdGateKernels } from './simd/gate_kernels.js';

/**
 * What a step kernel call gives the step driver: its products, written where the driver wants them
 * (its SIMD arena or its own arrays) and computed on the tensors where the backend keeps them, and
 * its state. The products with the weights alone are prepared once per weight lifetime from the
 * weights' values (read only then): Rᵀ [gates, H] and Kᵀ [gates, D] for the backward, and the
 * cell's second weight [H, H] (SimdCellSpec.secondWeight, TwoPhaseRows.weight) or its transpose.
 */
export interface StepOperands extends WeightForms {
  /**
   * x·K [batch, gates] and h·R[:, :width] [batch, width] (R's leading columns,
   * recurrentProductGates), without bias.
   */
  separate(input: Float32Array, recurrent: Float32Array, width: number): void;
  /** x·K + h·R, [batch, gates], without bias. */
  summed(sum: Float32Array): void;
  /**
   * product [batch, H] = operand [batch, H] · the cell's second weight: the forward's product
   * inside the step (the reset-before GRU's (r⊙h)·Rn), on the step's product for its batch.
   */
  secondProduct(operand: Float32Array, product: Float32Array): void;
  /**
   * The bias (canonical layout) and carries (h first), possibly views of the backend's memory:
   * valid until the backend next allocates (which a product may do), so asked for after them.
   */
  state(): StepState;
}

/** The step's bias (canonical layout) and carries (h first). */
export interface StepState {
  bias: Float32Array;
  carries: Float32Array[];
}

/** The [H, H] second weight of the variant's step, derived from R [H, gates], or null when it has none. */
export function stepSecondWeight(kind: CellKind, variant: CellVariant): ((recurrentKernel: Float32Array, hidden: number) => Float32Array) | null {
  return HOST_CELLS[kind].simd(variant)?.secondWeight ?? null;
}

/** The empty workspace of a step that saves nothing (never written: shared). */
const NO_WORKSPACE = new Float32Array(0);

/** One step (`g.time` is 1): the new carries, h first, and the workspace when saveForBackward. */
export function hostStepForward(kind: CellKind, g: SequenceGeometry, variant: CellVariant, saveForBackward: boolean, operands: StepOperands): HostForwardResult {
  const cell = HOST_CELLS[kind];
  const simdCell = cell.simd(variant);
  const kernels = simdCell ? simdKernelsFor(g, null) : null;
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const P = recurrentProductGates(kind, variant) * H;
  const B = g.batch;
  const savedFloats = saveForBackward ? hostWorkspaceFloats(kind, B, H) : 0;
  if (simdCell && kernels) {
    // The same buffers as simdForward: a fused projection reads x·K + h·R from `product`, the
    // others x·K from the workspace's first block and h·R from `product`.
    const secondFloats = simdCell.secondWeight ? B * H : 0;
    const carryCount = CELLS[kind].carries.length;
    const buffers = stepBuffers(kernels, [
      saveForBackward ? savedFloats : simdCell.fusedProjection ? 0 : B * G, B * H, B * G, biasRowsOf(kind, variant) * G, H, secondFloats, secondFloats,
      B * H, carryCount > 1 ? B * H : 0,
    ]);
    // Indexed, not destructured: an iterator per call shows at batch 1.
    const [workspace, output, product, bias, scratch] = buffers.layout;
    const { carries } = buffers;
    if (simdCell.fusedProjection) operands.summed(product.view);
    else operands.separate(workspace.view.subarray(0, B * G), product.view, P);
    const state = operands.state();
    carries.forEach((carry, i) => carry.view.set(state.carries[i]));
    bias.view.set(state.bias);
    const { second } = buffers;
    const c: SimdForwardContext = { g, saveForBackward, workspace, output, carries, product, bias, scratch, second };
    if (second) second.operands = operands;
    try {
      simdCell.forwardStep(kernels, c, 0);
    } finally {
      if (second) second.operands = null;
    }
    return { output: output.view, carries: buffers.carryViews, workspace: saveForBackward ? workspace.view : NO_WORKSPACE };
  }
  const workspace = new Float32Array(Math.max(savedFloats, B * G));
  const recurrent = new Float32Array(B * P);
  operands.separate(workspace.subarray(0, B * G), recurrent, P);
  const state = operands.state();
  // Copies: the second product may allocate on the backend, which detaches views of its memory.
  const carries = state.carries.map((carry) => Float32Array.from(carry));
  const bias = Float32Array.from(state.bias);
  const output = new Float32Array(B * H);
  // R is not read here: a second product comes from `operands` (TwoPhaseRows.weight is not asked for).
  const row = cell.forwardRow({ g, variant, workspace, saveForBackward, bias, recurrentKernel: new Float32Array(0), carries, output });
  runRows(B, row, recurrent, operands);
  return { output, carries, workspace: saveForBackward ? workspace : NO_WORKSPACE };
}

/** A row function over all B rows of the step; TwoPhaseRows with their second product in between. */
function runRows(B: number, row: RowFunction | TwoPhaseRows, product: Float32Array, operands: StepOperands): void {
  const rows = typeof row === 'function' ? row : row.rows;
  for (let b = 0; b < B; b++) rows(b, b, product);
  if (typeof row === 'function') return;
  const { operand, finish } = row;
  const secondProduct = new Float32Array(operand.length);
  operands.secondProduct(operand, secondProduct);
  for (let b = 0; b < B; b++) finish(b, b, secondProduct);
}

/**
 * The backward of one step: the host driver's backward of a one-step sequence (`a` without K and
 * R: their products, Kᵀ, Rᵀ and the second weight, come from `operands` as WeightForms, so the
 * weights are never read; empty placeholders stand for them).
 */
export function hostStepBackward(kind: CellKind, g: SequenceGeometry, a: Omit<HostCellData, 'kernel' | 'recurrentKernel'>, variant: CellVariant,
  workspace: Float32Array, upstream: HostUpstream, math: HostMath, operands: StepOperands): HostGradients {
  return hostBackward(kind, g, { ...a, kernel: NO_WEIGHT, recurrentKernel: NO_WEIGHT, weightForms: operands }, variant, workspace, upstream, math);
}

/** What a step's backward is given for K and R (never read: see hostStepBackward). */
const NO_WEIGHT = new Float32Array(0);

/**
 * The second product of a step's SIMD forward (SimdForwardContext.second) on `operands`, the call's
 * while it runs: one object per layout, no closure per call.
 */
class StepSecondProduct implements SimdSecondProduct {
  operands: StepOperands | null = null;

  constructor(readonly operand: ArenaBuffer, readonly product: ArenaBuffer) {}

  run(): void {
    this.operands!.secondProduct(this.operand.view, this.product.view);
  }
}

/** A step's arena buffers: the fixed ones, the second product's when it has one, then its carries (h first) and their views. */
interface StepBuffers {
  layout: ArenaBuffer[];
  second: StepSecondProduct | null;
  carries: ArenaBuffer[];
  carryViews: Float32Array[];
}

/** The arena layouts of recent step calls with their sizes, kept while the arena keeps its memory. */
const stepLayouts: Array<{ sizes: number[]; memory: ArrayBuffer; buffers: StepBuffers }> = [];

function sameSizes(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `allocate` for a step: the same buffers each call of the same sizes (a step's views and offsets
 * are a noticeable part of a batch-1 step), new ones once the arena's memory has grown. The last
 * two sizes are the carries' (0: no second carry). Found by comparing sizes (a model steps a few
 * shapes; a string key per call showed at batch 1).
 */
function stepBuffers(kernels: SimdGateKernels, sizes: number[]): StepBuffers {
  const memory = kernels.memory.buffer;
  for (const kept of stepLayouts) if (kept.memory === memory && sameSizes(kept.sizes, sizes)) return kept.buffers;
  const all = allocate(kernels, sizes);
  const carries = all.slice(sizes.length - 2).filter((_, i) => i === 0 || sizes[sizes.length - 1] > 0);
  // The second product's operand and product are the fifth and sixth buffers (0: none).
  const second = sizes[5] > 0 ? new StepSecondProduct(all[5], all[6]) : null;
  const buffers = { layout: all.slice(0, sizes.length - 2), second, carries, carryViews: carries.map((carry) => carry.view) };
  if (stepLayouts.length >= 16 || (stepLayouts.length > 0 && stepLayouts[0].memory !== memory)) stepLayouts.length = 0;
  stepLayouts.push({ sizes, memory, buffers });
  return buffers;
}

