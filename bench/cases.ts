/**
 * What the benchmark measures: cells, sizes, modes, their FLOP counts, the bytes BPTT must keep,
 * and the seeded weights every column shares (canonical Keras layout, from the cell table).
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { CELL_KINDS, cellFacts, weightShapes, type CellKind } from '../src/runtime/kernels/cell_table.js';

export type { CellKind };
export type Mode = 'fwd' | 'fwdbwd';

export const CELLS: CellKind[] = CELL_KINDS;
export const MODES: Mode[] = ['fwd', 'fwdbwd'];

/** (batch, time, input, hidden) */
export interface Size { B: number; T: number; D: number; H: number }

export const SIZES: Size[] = [
  { B: 32, T: 64, D: 64, H: 128 },
  { B: 8, T: 256, D: 32, H: 64 },
  { B: 64, T: 32, D: 256, H: 256 },
  { B: 1, T: 512, D: 16, H: 32 },
];

export function sizeLabel({ B, T, D, H }: Size): string {
  return `${B}x${T}x${D}x${H}`;
}

export function parseSize(text: string): Size {
  const parts = text.split(/[x,]/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`--size expects BxTxDxH (e.g. 32x64x64x128), got "${text}"`);
  }
  const [B, T, D, H] = parts;
  return { B, T, D, H };
}

export const GATES = Object.fromEntries(CELL_KINDS.map((cell) => [cell, cellFacts(cell).gates])) as Record<CellKind, number>;

/** Forward FLOPs: 2·B·T·(D+H)·G·H (the two matmuls; the gate math is not counted). */
export function forwardFlops(cell: CellKind, { B, T, D, H }: Size): number {
  return 2 * B * T * (D + H) * GATES[cell] * H;
}

/** Forward+backward counted as 3× forward (input grad and weight grad each cost one forward). */
export function modeFlops(cell: CellKind, size: Size, mode: Mode): number {
  return forwardFlops(cell, size) * (mode === 'fwd' ? 1 : 3);
}

/**
 * Bytes backprop-through-time must keep between forward and backward, float32: the input
 * sequence, the gate activations of every step, the state sequence (cell states for LSTM,
 * the hidden states for all cells, which are also the output), plus the weights and their
 * gradients. A fused kernel's peak is compared with this floor.
 */
export function bpttFloorBytes(cell: CellKind, { B, T, D, H }: Size): number {
  const sequenceFloats = B * T * D + B * T * GATES[cell] * H + B * T * H * cellFacts(cell).carries.length;
  return 4 * (sequenceFloats + 2 * paramFloats(cell, { B, T, D, H }));
}

function paramFloats(cell: CellKind, { D, H }: Size): number {
  const G = GATES[cell];
  return (D + H) * G * H + cellFacts(cell).biasRows * G * H;
}

/**
 * Bytes of what the floor counts but exist before a call, x and the weights. A column's peak is
 * what the call adds, so peak + these is the like-for-like figure against the floor.
 */
export function preexistingBytes(cell: CellKind, size: Size): number {
  return 4 * (size.B * size.T * size.D + paramFloats(cell, size));
}

export interface CaseWeights {
  kernel: Float32Array; // [D, G·H]
  recurrentKernel: Float32Array; // [H, G·H]
  bias: Float32Array; // [G·H], GRU [2, 3H]
  biasShape: number[];
  x: Float32Array; // [B, T, D]
}

/** Uniform(±1/√H) weights and standard-uniform inputs from a fixed seed. */
export function makeWeights(cell: CellKind, { B, T, D, H }: Size, seed = 'rnn-migrate-bench'): CaseWeights {
  const rng = seedrandom(`${seed}:${cell}:${B}x${T}x${D}x${H}`);
  const scale = 1 / Math.sqrt(H);
  const uniform = (n: number, s: number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * s);
  const G = GATES[cell];
  const biasShape = weightShapes(cell, D, H).bias;
  return {
    kernel: uniform(D * G * H, scale),
    recurrentKernel: uniform(H * G * H, scale),
    bias: uniform(biasShape.reduce((a, b) => a * b, 1), scale),
    biasShape,
    x: uniform(B * T * D, 1),
  };
}

/** The weights as tf.Variables (one set per column, so columns do not share gradients). */
export function weightVariables(cell: CellKind, size: Size, w: CaseWeights, prefix: string) {
  const G = GATES[cell];
  return {
    kernel: tf.variable(tf.tensor2d(w.kernel, [size.D, G * size.H]), true, `${prefix}/kernel`),
    recurrentKernel: tf.variable(tf.tensor2d(w.recurrentKernel, [size.H, G * size.H]), true, `${prefix}/recurrent`),
    bias: tf.variable(tf.tensor(w.bias, w.biasShape), true, `${prefix}/bias`),
  };
}
