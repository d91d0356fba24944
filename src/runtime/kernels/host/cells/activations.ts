/** The activation functions of the JavaScript row functions, and their slopes. */
import type { RnnActivation } from '../../cell_table.js';

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

export function activate(v: number, activation: RnnActivation): number {
  return activation === 'tanh' ? Math.tanh(v) : activation === 'relu' ? (v > 0 ? v : 0) : v;
}

/** act'(z) written in terms of a = act(z). */
export function activationSlope(a: number, activation: RnnActivation): number {
  return activation === 'tanh' ? 1 - a * a : activation === 'relu' ? (a > 0 ? 1 : 0) : 1;
}
