/**
 * The built-in cells' internal construction path for imported weights: options carrying the
 * canonical [kernel, recurrentKernel, bias] that the cell's variables start from, instead of the
 * random initialisers (glorot-uniform, and the orthogonal one whose QR dominates an import's cost)
 * whose result an importer would overwrite at once. The key is a symbol that the package does not
 * export, so the public constructors and their option types stay as DESIGN.md pins them.
 */
import type * as tf from '@tensorflow/tfjs-core';

const INITIAL_WEIGHTS = Symbol('rnn-migrate.initialWeights');

type WithInitialWeights = { readonly [INITIAL_WEIGHTS]?: readonly tf.Tensor[] };

/**
 * `options` plus weights for the cell to start from (the cell's constructor, or a sequence layer's,
 * which hands its cell options on). The cell's variables share the tensors' data, reference
 * counted: the caller keeps its own references and may dispose them, or keep using them.
 */
export function withInitialWeights<TOptions extends object>(options: TOptions, weights: readonly tf.Tensor[]): TOptions {
  return { ...options, [INITIAL_WEIGHTS]: weights };
}

/** Hands a constructor's options on with the imported weights added (see withInitialWeights). */
export type AddInitialWeights = <TOptions extends object>(options: TOptions) => TOptions;

/** The weights `withInitialWeights` put in `options`, if any. */
export function initialWeightsOf(options: object): readonly tf.Tensor[] | undefined {
  return (options as WithInitialWeights)[INITIAL_WEIGHTS];
}
