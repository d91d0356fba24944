/**
 * Kernel names, inputs and attributes of the shared kernel layer: the one file every backend
 * registration, the gradients and the ops read (the tfjs-core kernel_names.ts pattern).
 *
 * Every forward kernel returns its visible outputs followed by one `workspace` tensor: a flat
 * float32 buffer whose layout belongs to the backend that produced it (gate activations, cell
 * states, hidden states: whatever its backward kernel needs). The gradient config is therefore
 * backend-independent: it hands the workspace back, untouched, to the same backend's backward
 * kernel. A forward kernel run outside any gradient scope may return an empty workspace.
 *
 * Sequence kernels also receive a `workspaceBuffer` input (ops.ts). For the host (cpu, wasm)
 * kernels, when a gradient is recorded, it is a fresh float32 tensor of the host workspace's size
 * that the kernel fills in place, returning an empty workspace output: the engine gives every
 * output off the gradient path a zero-filled upstream gradient of its size, and clones every
 * tensor a gradient config saves (a real copy on wasm). ops.ts hands the buffer to the tape node
 * itself, so it is kept once and reaches the Grad kernel as `workspace`. Every other backend gets
 * an empty `workspaceBuffer` and ignores it.
 */
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

export type RnnActivation = 'tanh' | 'relu' | 'linear';

/** Sequence kernels: the whole sequence in one call, BPTT fused in the gradient. */
export const LstmSequence = 'RnnMigrateLstmSequence';
export const GruSequence = 'RnnMigrateGruSequence';
export const RnnSequence = 'RnnMigrateRnnSequence';
export const LstmSequenceGrad = 'RnnMigrateLstmSequenceGrad';
export const GruSequenceGrad = 'RnnMigrateGruSequenceGrad';
export const RnnSequenceGrad = 'RnnMigrateRnnSequenceGrad';
/**
 * dx = dInputProjection · Kᵀ for a sequence Grad kernel that deferred it. Inputs: `x` (for its
 * shape only), `kernel` [in, gates], `workspace` (dInputProjection [rows of x, gates] first).
 * Output: dx, shaped like x.
 */
export const SequenceInputGrad = 'RnnMigrateSequenceInputGrad';

/** Step kernels: one timestep, used by cell.step and the legacy Recur.step. */
export const LstmStep = 'RnnMigrateLstmStep';
export const GruStep = 'RnnMigrateGruStep';
export const RnnStep = 'RnnMigrateRnnStep';
export const LstmStepGrad = 'RnnMigrateLstmStepGrad';
export const GruStepGrad = 'RnnMigrateGruStepGrad';
export const RnnStepGrad = 'RnnMigrateRnnStepGrad';

export type CellKind = 'lstm' | 'gru' | 'rnn';

/** One cell's four kernels: what every registration looping over the cells needs. */
export interface CellKernelNames {
  sequence: string;
  sequenceGrad: string;
  step: string;
  stepGrad: string;
}

export const CELL_KERNELS: Record<CellKind, CellKernelNames> = {
  lstm: { sequence: LstmSequence, sequenceGrad: LstmSequenceGrad, step: LstmStep, stepGrad: LstmStepGrad },
  gru: { sequence: GruSequence, sequenceGrad: GruSequenceGrad, step: GruStep, stepGrad: GruStepGrad },
  rnn: { sequence: RnnSequence, sequenceGrad: RnnSequenceGrad, step: RnnStep, stepGrad: RnnStepGrad },
};

/**
 * Sequence inputs. `x` is [batch, time, in] ([time, batch, in] with timeMajor); `mask` is an
 * optional float32 [batch, time] of 0/1 (always batch-major). `c0` is present for LSTM only.
 * The ops always pass `mask`, an empty tensor (size 0) standing for "no mask", because a gradient
 * config saves its inputs by name and the engine cannot save an absent input; kernels treat an
 * absent or empty mask alike.
 * Weights use the canonical (tf.layers / Keras) layout documented in DESIGN.md.
 */
export interface SequenceInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias: TensorInfo;
  h0: TensorInfo;
  mask?: TensorInfo;
}
export interface LstmSequenceInputs extends SequenceInputs {
  c0: TensorInfo;
}

export interface SequenceAttrs {
  timeMajor: boolean;
  /** Process from the last step to the first; outputs stay aligned with their inputs. */
  reverse: boolean;
  /** False when no gradient can be taken: the kernel may skip filling the workspace. */
  saveForBackward: boolean;
  /** The backend that ran the forward kernel: only its own Grad kernel can read the workspace. */
  backend?: string;
  /** RNN only. */
  activation?: RnnActivation;
  /** Grad kernels only: dx may be left to SequenceInputGrad (see the grad outputs below). */
  deferInputGradient?: boolean;
  [key: string]: boolean | string | undefined;
}

/**
 * Sequence outputs, in order:
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
export const LSTM_SEQUENCE_OUTPUTS = 4;
export const GRU_SEQUENCE_OUTPUTS = 3;
export const RNN_SEQUENCE_OUTPUTS = 3;

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
  [key: string]: boolean | string | undefined;
}
