/**
 * Kernel names, inputs and attributes of the shared kernel layer: the one file every backend
 * registration, the gradients and the ops read (the tfjs-core kernel_names.ts pattern). The
 * names of each cell's kernels come from the cell table (cell_table.ts).
 *
 * Every forward kernel returns its visible outputs followed by one `workspace` tensor: a flat
 * float32 buffer whose layout belongs to the backend that produced it (gate activations, cell
 * states, hidden states: whatever its backward kernel needs). The gradient config is therefore
 * backend-independent: it hands the workspace back, untouched, to the same backend's backward
 * kernel. A forward kernel run outside any gradient scope may return an empty workspace.
 */
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CELLS, type RecurrentActivation, type RnnActivation } from './cell_table.js';

export { CELLS, CELL_KINDS, type CellKernelNames, type CellKind, type RnnActivation } from './cell_table.js';

/**
 * Each cell's kernels: the sequence kernels run the whole sequence in one call, BPTT fused in the
 * gradient; the step kernels one timestep (cell.step and the legacy Recur.step).
 */
export const { sequence: LstmSequence, sequenceGrad: LstmSequenceGrad, step: LstmStep, stepGrad: LstmStepGrad } = CELLS.lstm.kernels;
export const { sequence: GruSequence, sequenceGrad: GruSequenceGrad, step: GruStep, stepGrad: GruStepGrad } = CELLS.gru.kernels;
export const { sequence: RnnSequence, sequenceGrad: RnnSequenceGrad, step: RnnStep, stepGrad: RnnStepGrad } = CELLS.rnn.kernels;

/**
 * dx = dInputProjection · Kᵀ for a sequence Grad kernel that deferred it. Inputs: `x` (for its
 * shape only), `kernel` [in, gates], `workspace` (dInputProjection [rows of x, gates] first).
 * Output: dx, shaped like x.
 */
export const SequenceInputGrad = 'RnnMigrateSequenceInputGrad';

/**
 * Sequence inputs. `x` is [batch, time, in] ([time, batch, in] with timeMajor); `mask` is an
 * optional float32 [batch, time] of 0/1 (always batch-major); `c0` is present for LSTM only.
 * Weights use the canonical (tf.layers / Keras) layout of the cell table.
 */
export interface SequenceInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias: TensorInfo;
  h0: TensorInfo;
  c0?: TensorInfo;
  /**
   * Always passed by the ops, empty (size 0) for "no mask": a gradient config saves its inputs
   * by name and the engine cannot save an absent input. Kernels treat absent and empty alike.
   */
  mask?: TensorInfo;
  /**
   * Where the kernel writes its workspace instead of returning it, when a gradient is recorded and
   * a workspace allocator is registered for the kernel (workspace_allocators.ts): a float32
   * tensor of exactly the workspace's size, values undefined until the kernel fills it; the
   * kernel then returns an empty workspace output. The op hands this buffer to the tape node
   * itself (tfjs_internals.ts), so it is kept once, uncloned, and reaches the Grad kernel as
   * `workspace`; a workspace output would be cloned when saved (a real copy on wasm) and get a
   * zero-filled upstream gradient of its size. Empty otherwise; kernels without an allocator
   * ignore it.
   */
  workspaceBuffer?: TensorInfo;
}

/** Sequence grad inputs: the forward inputs, the saved outputs and the upstream gradients. */
export interface SequenceGradInputs extends SequenceInputs {
  workspace: TensorInfo;
  /** The forward's output (sequences; a step's gradient has none). */
  output?: TensorInfo;
  /** Upstream gradients; the engine passes zeros for outputs nobody used. */
  dOutput?: TensorInfo;
  dhT?: TensorInfo;
  dcT?: TensorInfo;
}

export interface SequenceAttrs {
  timeMajor: boolean;
  /** Process from the last step to the first; outputs stay aligned with their inputs. */
  reverse: boolean;
  /** False when no gradient can be taken: the kernel may skip filling the workspace. */
  saveForBackward: boolean;
  /** The backend that ran the forward kernel: only its own Grad kernel can read the workspace. */
  backend?: string;
  /** The cell variant (cell_table.ts CellVariant); absent means the default. */
  activation?: RnnActivation;
  recurrentActivation?: RecurrentActivation;
  resetAfter?: boolean;
  /** Grad kernels only: dx may be left to SequenceInputGrad (see the grad outputs below). */
  deferInputGradient?: boolean;
  [key: string]: boolean | string | undefined;
}

/**
 * Sequence outputs, in order: [output, the final carries in the cell table's order, workspace]:
 *   LSTM: [output, hT, cT, workspace]; GRU and RNN: [output, hT, workspace].
 * `output` has the layout of `x` with the feature axis = hidden. A masked step outputs zeros and
 * keeps the carry; hT/cT are each row's state after its last valid step.
 *
 * Sequence grad inputs: the forward inputs (mask included when present), plus
 *   `workspace`, `output`, and the upstream gradients `dOutput`, `dhT` (and `dcT`).
 * Sequence grad outputs, in order: [dx, dKernel, dRecurrentKernel, dBias, dh0] (+ dc0 for LSTM).
 *
 * With the attr `deferInputGradient` (set by the gradient when the workspace came from a
 * `workspaceBuffer`), a Grad kernel may skip dx: it returns an empty dx and leaves the gradient of
 * x·K + b, [rows of x, gates], at the start of the workspace, from which `SequenceInputGrad`
 * computes dx only if x needs a gradient (the engine asks for the gradients of the inputs that
 * lead from the differentiated tensors; data fed to a first layer usually does not). Kernels that
 * ignore the attr return dx as usual.
 */

/**
 * Step inputs: `x` [batch, in], `h` [batch, hidden] (+ `c` for LSTM), the weights.
 * Step outputs: LSTM [h, c, workspace]; GRU and RNN [h, workspace].
 * Step grad inputs: the forward inputs plus `workspace`, the forward outputs (`hOut`, `cOut`) and
 * `dh` (+ `dc`); outputs [dx, dKernel, dRecurrentKernel, dBias, dhPrev] (+ dcPrev for LSTM).
 */
export interface StepAttrs {
  saveForBackward: boolean;
  backend?: string;
  activation?: RnnActivation;
  recurrentActivation?: RecurrentActivation;
  resetAfter?: boolean;
  [key: string]: boolean | string | undefined;
}
