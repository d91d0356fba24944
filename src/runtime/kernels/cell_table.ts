/**
 * The built-in cells, each declared once: what every other layer (kernel names, gradients, host
 * and GPU registrations, cell classes, importers, bench and tests) reads instead of restating it.
 * A cell's equations live elsewhere, one file per backend family (composite/<cell>.ts,
 * host/cells/<cell>.ts, the GPU shaders); this table holds only the facts they share.
 *
 * A variant of a cell (an activation, reset-before GRU) is an attribute of its kind
 * (CellVariant), not a new kind. A fact a variant changes (reset-before GRU: bias [3H]) becomes a
 * function of the variant here, read through the helpers below.
 */

export const RNN_ACTIVATIONS = ['tanh', 'relu', 'linear'] as const;
export type RnnActivation = (typeof RNN_ACTIVATIONS)[number];

/** The gate activation: the logistic sigmoid, or tf.layers' hard sigmoid clip(0.2x + 0.5, 0, 1). */
export const RECURRENT_ACTIVATIONS = ['sigmoid', 'hardSigmoid'] as const;
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];

/** The attributes that select among a kind's equations (kernel attrs of the same names). */
export interface CellVariant {
  /** RNN: h' = act(x·K + h·R + b). */
  activation: RnnActivation;
  /** LSTM: the activation of the gates i, f, o; GRU: of z, r. */
  recurrentActivation: RecurrentActivation;
  /** GRU: true (Keras 2 / cuDNN, bias [2, 3H]) or false (reset before: tf.layers, bias [3H]). */
  resetAfter: boolean;
}

export const DEFAULT_VARIANT: CellVariant = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };

/** A kernel's attrs (absent: the default) as the variant they select. */
export function variantOfAttrs(attrs: { activation?: unknown; recurrentActivation?: unknown; resetAfter?: unknown }): CellVariant {
  return {
    activation: (attrs.activation as RnnActivation | undefined) ?? DEFAULT_VARIANT.activation,
    recurrentActivation: (attrs.recurrentActivation as RecurrentActivation | undefined) ?? DEFAULT_VARIANT.recurrentActivation,
    resetAfter: (attrs.resetAfter as boolean | undefined) ?? DEFAULT_VARIANT.resetAfter,
  };
}

/** A cell's four kernels: what every registration looping over the cells needs. */
export interface CellKernelNames {
  sequence: string;
  sequenceGrad: string;
  step: string;
  stepGrad: string;
}

export interface CellFacts {
  /** The class-name stem of the layer and cell (`LSTM`, `LSTMCell`). */
  layerName: string;
  /** Gate blocks: the kernels have gates·H columns. */
  gates: number;
  /** Carry entries, h first: step inputs (h, c), sequence inputs h0, c0, upstream dhT, dcT. */
  carries: readonly string[];
  kernels: CellKernelNames;
  /** Rows of the canonical bias: 1 ([G·H]) or 2 (GRU [2, G·H]: input row, recurrent row). */
  biasRows: 1 | 2;
  /**
   * Floats per row of x, in units of H, that the host forward keeps for its backward (the
   * workspace: LSTM the activated gates i, f, g, o; GRU z, r, n and hRn + b1n, reset before
   * r⊙h instead; RNN act(z)).
   */
  hostWorkspacePerRow: number;
}

function kernelNames(stem: string): CellKernelNames {
  return {
    sequence: `RnnMigrate${stem}Sequence`,
    sequenceGrad: `RnnMigrate${stem}SequenceGrad`,
    step: `RnnMigrate${stem}Step`,
    stepGrad: `RnnMigrate${stem}StepGrad`,
  };
}

export const CELLS = {
  lstm: { layerName: 'LSTM', gates: 4, carries: ['h', 'c'], kernels: kernelNames('Lstm'), biasRows: 1, hostWorkspacePerRow: 4 },
  gru: { layerName: 'GRU', gates: 3, carries: ['h'], kernels: kernelNames('Gru'), biasRows: 2, hostWorkspacePerRow: 4 },
  rnn: { layerName: 'RNN', gates: 1, carries: ['h'], kernels: kernelNames('Rnn'), biasRows: 1, hostWorkspacePerRow: 1 },
} as const satisfies Record<string, CellFacts>;

export type CellKind = keyof typeof CELLS;
export const CELL_KINDS = Object.keys(CELLS) as CellKind[];

export function cellFacts(kind: CellKind): CellFacts {
  return CELLS[kind];
}

/** Rows of a variant's canonical bias: the reset-before GRU has one ([3H]). */
export function biasRowsOf(kind: CellKind, variant: Partial<CellVariant> = {}): 1 | 2 {
  return kind === 'gru' && variant.resetAfter === false ? 1 : CELLS[kind].biasRows;
}

/**
 * Gate blocks of R (its leading columns) in the host driver's per-step h·R: all, but for the
 * reset-before GRU z and r only (its n block is the second product (r⊙h)·Rn).
 */
export function recurrentProductGates(kind: CellKind, variant: Partial<CellVariant> = {}): number {
  return kind === 'gru' && variant.resetAfter === false ? 2 : CELLS[kind].gates;
}

/** The canonical (tf.layers / Keras) weight shapes of a cell variant. */
export function weightShapes(
  kind: CellKind, inputSize: number, hidden: number, variant: Partial<CellVariant> = {},
): { kernel: [number, number]; recurrentKernel: [number, number]; bias: number[] } {
  const biasRows = biasRowsOf(kind, variant);
  const width = CELLS[kind].gates * hidden;
  return { kernel: [inputSize, width], recurrentKernel: [hidden, width], bias: biasRows === 1 ? [width] : [biasRows, width] };
}

/** Sequence-kernel input names of the carries: h0, c0. */
export function initialCarryNames(kind: CellKind): string[] {
  return CELLS[kind].carries.map((carry) => `${carry}0`);
}

/** Floats the host sequence forward keeps for its backward, for `rows` rows of x. */
export function hostWorkspaceFloats(kind: CellKind, rows: number, hidden: number): number {
  return rows * CELLS[kind].hostWorkspacePerRow * hidden;
}

/** The cell kind whose sequence kernel is `kernelName`, if any. */
export function kindOfSequenceKernel(kernelName: string): CellKind | undefined {
  return CELL_KINDS.find((kind) => CELLS[kind].kernels.sequence === kernelName);
}
