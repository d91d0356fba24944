/**
 * What a cell gives the host driver (host_driver.ts): its equations for one batch row of one
 * timestep in JavaScript, and the calls of its SIMD gate kernels for all rows of one timestep. The
 * driver owns everything else: the input projection, the time loops, the SIMD-or-JS choice, the
 * workspace and the BPTT epilogue. One file per cell under cells/; the cell table
 * (../cell_table.ts) holds the gate count, carries and workspace size the driver reads.
 */
import type { CellVariant } from '../cell_table.js';
import type { SequenceGeometry } from './geometry.js';
import type { HostMath, PreparedMatmul } from './host_math.js';
import type { ArenaBuffer } from './simd/arena.js';
import type { SimdGateKernels } from './simd/gate_kernels.js';

/** A cell's inputs, weights in the canonical layout, carries as a list (h first). */
export interface HostCellData {
  x: Float32Array;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
  /** The carries the sequence starts from: h0 (and c0). */
  carries: Float32Array[];
  mask: Float32Array | null;
  /**
   * Backward only: the forward's output (saved by the gradient config), from which the hidden
   * state each step started from is rebuilt (previousHidden) instead of being kept twice. May be
   * null for one-step calls, whose only previous state is h0.
   */
  output?: Float32Array | null;
  /** Backward only: false skips dx (the caller takes dInputProjection from the result instead). */
  inputGradient?: boolean;
  /**
   * Forward only, where the backend multiplies its tensors where it keeps them (wasm): x·K and
   * h·R without reading or repacking K and R per call (`kernel` and `recurrentKernel` are then
   * read only if something else asks for them).
   */
  resident?: ResidentProducts;
  /**
   * The right operands derived from the weights, where the caller keeps them prepared once per
   * weight lifetime (the kernel layer: keyed to K's and R's tensors). Absent: each call prepares
   * its own from `kernel` and `recurrentKernel`.
   */
  weightForms?: WeightForms;
}

/**
 * Right operands derived from K [D, gates] and R [H, gates], as a kernel's driver multiplies by
 * them; `width` is R's leading columns the product covers (recurrentProductGates: all of them, or
 * the reset-before GRU's z and r). A call that gets them packs nothing while the weights live.
 */
export interface WeightForms {
  /** x [rows, D]·K. */
  kernelProduct(): PreparedMatmul;
  /** dGates [rows, gates]·Kᵀ (the input gradient). */
  kernelTransposed(): PreparedMatmul;
  /** [x | h] [batch, D + H]·[K; R] (the fused forward of LSTM and RNN). */
  stackedProduct(): PreparedMatmul;
  /** h [batch, H]·R[:, :width]. */
  recurrentLeading(width: number): PreparedMatmul;
  /** dStep [batch, width]·R[:, :width]ᵀ. */
  recurrentTransposed(width: number): PreparedMatmul;
  /** The cell's [H, H] second weight (SimdCellSpec.secondWeight) or its transpose; only for a cell that has one. */
  second(transposeB: boolean): PreparedMatmul;
  /**
   * The same forms on the product that multiplies them fastest when that is another one (wasm
   * where SIMD validates: our panel product, whose 'R' a step streams too), else undefined. A
   * sequence's per-step products use them, then in place of ResidentProducts.recurrent: one packed
   * R whether a model is stepped or run over sequences.
   */
  panelForms?(): WeightForms | undefined;
  /** The HostMath these forms are prepared on (for products with other operands, e.g. weight gradients). */
  math?(): HostMath;
}

/** The products of a sequence forward over the weights as the backend keeps them. */
export interface ResidentProducts {
  /** c [rows, gates] = x·K for every row of x, in x's row layout (one GEMM). */
  inputProjection(c: Float32Array): void;
  /** h·R per step, R read in place (release() frees nothing); not where WeightForms.panelForms serves. */
  recurrent: PreparedMatmul;
}

/**
 * What a host forward returns. On the SIMD path the arrays are views of the SIMD arena, valid
 * until the next host kernel call: write them out (HostTensorIO.write copies or adopts) at once.
 */
export interface HostForwardResult {
  /** In x's layout, hidden features; zeros at masked steps. */
  output: Float32Array;
  /** Each row's carries after its last valid step, h first. */
  carries: Float32Array[];
  /** Empty unless saveForBackward. */
  workspace: Float32Array;
}

/** Upstream gradients of the output and of the final carries (h first); null stands for zeros. */
export interface HostUpstream {
  dOutput: Float32Array | null;
  dCarries: (Float32Array | null)[];
}

/**
 * Called for every valid row b of a timestep (`row`: its row in x's layout). Forward: `product`
 * is this step's h·R [batch, P] (P = recurrentProductGates·H of ../cell_table.ts: R's leading
 * columns, all but for the reset-before GRU). Backward: the function writes its gradient of h·R
 * into `product` [batch, P] and leaves in dCarries[0][b] what reaches the previous h by any other
 * path than h·R (0 for LSTM and RNN, z⊙dh for GRU).
 */
export type RowFunction = (b: number, row: number, product: Float32Array) => void;

/**
 * A step with a second recurrent product (reset-before GRU: (r⊙h)·Rn, known only once r is):
 * `rows` runs for every valid row and fills its row of `operand` [batch, H]; then the driver
 * multiplies operand · `weight()` [H, H] (backward: · weightᵀ) and `finish` runs for every valid row
 * with that product [batch, H] as its third argument. Backward: the product of h·R the driver
 * records and multiplies by Rᵀ is what `rows` and `finish` leave in it together.
 */
export interface TwoPhaseRows {
  rows: RowFunction;
  operand: Float32Array;
  /** The [H, H] weight, derived from R when asked (unused where the driver has WeightForms.second). */
  weight(): Float32Array;
  finish: RowFunction;
}

/** Gradients a cell adds after the driver's epilogue (the reset-before GRU: (r⊙h)ᵀ·dn into dRn). */
export interface WeightGradientContext {
  g: SequenceGeometry;
  variant: CellVariant;
  workspace: Float32Array;
  dInputProjection: Float32Array;
  /** [H, gates], added to in place. */
  dRecurrentKernel: Float32Array;
  matmul: HostMath['matmul'];
}

export interface ForwardRowContext {
  g: SequenceGeometry;
  variant: CellVariant;
  /**
   * The workspace: its first rows·gates floats hold x·K (without bias) per row, which the row
   * function turns into what its backward reads; the blocks after it (when saveForBackward) are
   * the cell's own.
   */
  workspace: Float32Array;
  saveForBackward: boolean;
  bias: Float32Array;
  recurrentKernel: Float32Array;
  /** The carries, h first, updated in place. */
  carries: Float32Array[];
  /** Receives h' at each valid row. */
  output: Float32Array;
}

export interface BackwardRowContext {
  g: SequenceGeometry;
  variant: CellVariant;
  /** The workspace the forward saved. */
  workspace: Float32Array;
  recurrentKernel: Float32Array;
  /** The carries each batch row started the sequence from (h0, c0). */
  initialCarries: Float32Array[];
  mask: Float32Array | null;
  /** The hidden carry each step started from, [rows, H] in x's row layout. */
  hPrev: Float32Array;
  dOutput: Float32Array | null;
  /** The carry gradients, h first, updated in place. */
  dCarries: Float32Array[];
  /** Cells whose projections have separate gradients write the gradient of x·K + b here. */
  dInputProjection: Float32Array;
}

/** A second product per step (SimdCellSpec.secondWeight): product = operand · W (backward: · Wᵀ). */
export interface SimdSecondProduct {
  /** [batch, H] each. */
  operand: ArenaBuffer;
  product: ArenaBuffer;
  run(): void;
}

export interface SimdForwardContext {
  g: SequenceGeometry;
  saveForBackward: boolean;
  /** The workspace (rows · hostWorkspacePerRow · H floats when saved). */
  workspace: ArenaBuffer;
  output: ArenaBuffer;
  carries: ArenaBuffer[];
  /**
   * [batch, gates]: this step's x_t·K + h·R (fusedProjection) or h·R (x·K is then in the
   * workspace; [batch, P] with P = recurrentProductGates·H, R's leading columns).
   */
  product: ArenaBuffer;
  bias: ArenaBuffer;
  /** H floats a kernel may write what nobody reads into. */
  scratch: ArenaBuffer;
  second: SimdSecondProduct | null;
}

export interface SimdBackwardContext {
  g: SequenceGeometry;
  /** A private copy of the saved workspace. */
  workspace: ArenaBuffer;
  /** backwardFloatsPerRow · H floats per row for the cell's own use (LSTM: the cell carries). */
  extra: ArenaBuffer;
  /** The hidden carry each step started from, [rows, H]. */
  hPrev: ArenaBuffer;
  initialCarries: Float32Array[];
  /** dOutput rows, or one zero row when there is no dOutput (read with stride 0). */
  dOutput: ArenaBuffer;
  hasDOutput: boolean;
  dCarries: ArenaBuffer[];
  /** [batch, P]: the gradient of this step's h·R (P as for SimdForwardContext.product). */
  dRecurrentStep: ArenaBuffer;
  /**
   * [rows, gates] in x's row layout. With a shared projection gradient both are the gates block of
   * `workspace` (the kernels load a lane's gates before they store its gradients there).
   */
  dInputProjection: ArenaBuffer;
  dRecurrentProjection: ArenaBuffer;
  second: SimdSecondProduct | null;
}

export interface SimdCellSpec {
  /**
   * Each step multiplies [x_t | h]·[K; R] in one product instead of x·K for the whole sequence
   * up front: closer to the GEMM's peak and no [rows, gates] block in inference. Not for cells
   * whose x·K and h·R enter the equations apart (GRU's n gate).
   */
  fusedProjection: boolean;
  forwardStep(kernels: SimdGateKernels, c: SimdForwardContext, row0: number): void;
  /** The [H, H] weight of a second product per step (the contexts' `second`), from R [H, gates]. */
  secondWeight?(recurrentKernel: Float32Array, hidden: number): Float32Array;
  /** Floats per row, in units of H, of SimdBackwardContext.extra. */
  backwardFloatsPerRow: number;
  /** Runs before the upstream gradients are loaded (dCarries hold garbage and may serve as scratch). */
  beforeBackward?(kernels: SimdGateKernels, c: SimdBackwardContext): void;
  backwardStep(kernels: SimdGateKernels, c: SimdBackwardContext, row0: number): void;
}

export interface HostCellSpec {
  /**
   * Whether x·K + b and h·R (+ b1) have one gradient (the gate pre-activations: LSTM, RNN) or
   * two (GRU, whose reset gate scales the recurrent part of n only): then a two-row bias gets
   * [input row; recurrent row] (the reset-before GRU's one row: the input row).
   */
  sharedProjectionGradient: boolean;
  forwardRow(c: ForwardRowContext): RowFunction | TwoPhaseRows;
  backwardRow(c: BackwardRowContext): RowFunction | TwoPhaseRows;
  /** Runs after the driver's weight gradients when the cell needs more (TwoPhaseRows). */
  finishWeightGradients?(c: WeightGradientContext): void;
  /** The SIMD path, when it computes this variant (hidden sizes multiples of 4, no mask). */
  simd(variant: CellVariant): SimdCellSpec | null;
}
