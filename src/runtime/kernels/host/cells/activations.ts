/** The activation functions of the JavaScript row functions, and their slopes. */
import type { CellVariant, RecurrentActivation, RnnActivation } from '../../cell_table.js';
import type { SimdCellSpec } from '../cell_spec.js';

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** tf.layers' hard sigmoid: clip(0.2x + 0.5, 0, 1). */
export function hardSigmoid(v: number): number {
  const y = 0.2 * v + 0.5;
  return y < 0 ? 0 : y > 1 ? 1 : y;
}

/** The gate activation σ of a recurrent activation. */
export function gateActivation(recurrentActivation: RecurrentActivation): (v: number) => number {
  return recurrentActivation === 'hardSigmoid' ? hardSigmoid : sigmoid;
}

/** d·dσ/dz written in terms of s = σ(z): d·s(1 − s), or d·0.2 inside the hard sigmoid's clip. */
export function gateGradient(recurrentActivation: RecurrentActivation): (d: number, s: number) => number {
  return recurrentActivation === 'hardSigmoid' ? (d, s) => d * (s > 0 && s < 1 ? 0.2 : 0) : (d, s) => d * s * (1 - s);
}

export function activate(v: number, activation: RnnActivation): number {
  return activation === 'tanh' ? Math.tanh(v) : activation === 'relu' ? (v > 0 ? v : 0) : v;
}

/** act'(z) written in terms of a = act(z). */
export function activationSlope(a: number, activation: RnnActivation): number {
  return activation === 'tanh' ? 1 - a * a : activation === 'relu' ? (a > 0 ? 1 : 0) : 1;
}

/**
 * A cell's SIMD specs per variant, each built once on first use. Found by the variant's fields
 * (variantKey's), not by a key string: every step kernel call looks its spec up.
 */
export function simdSpecs(build: (variant: CellVariant) => SimdCellSpec): (variant: CellVariant) => SimdCellSpec {
  const specs = new Map<RecurrentActivation, Map<RnnActivation, SimdCellSpec>>();
  return (variant) => {
    let byActivation = specs.get(variant.recurrentActivation);
    if (!byActivation) specs.set(variant.recurrentActivation, (byActivation = new Map()));
    let spec = byActivation.get(variant.activation);
    if (!spec) byActivation.set(variant.activation, (spec = build(variant)));
    return spec;
  };
}
