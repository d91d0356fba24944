/**
 * tf.layers' `Orthogonal` initialiser with its QR on the host (the runtime's `orthogonal`): the
 * same draw for the same seed, the same gain, sign convention and orientation, the same class
 * name and config (a model saves and loads exactly as before), but one random draw and one upload
 * instead of tf.linalg.qr, whose per-column tfjs ops on an [n, n] Q take seconds to minutes
 * from a few hundred units up (and which a page without tfjs' chained ops cannot run at all).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { orthogonal } from '../runtime/cells/initializers.js';
import { LayersOrthogonal, type Initializer } from './tfjs_layers_classes.js';

class HostOrthogonal extends LayersOrthogonal {
  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    // tf.layers' own path for what a recurrent kernel never is (int32, more than 2 dimensions).
    if (shape.length !== 2 || (dtype !== undefined && dtype !== 'float32')) return super.apply(shape, dtype);
    return orthogonal([shape[0]!, shape[1]!], this.seed, this.gain);
  }
}

/** Swaps a cell's tf.layers Orthogonal recurrent initialiser (the default) for the host one; call before build. */
export function useHostOrthogonal(cell: { recurrentInitializer: Initializer }): void {
  const initializer = cell.recurrentInitializer;
  if (!(initializer instanceof LayersOrthogonal) || initializer instanceof HostOrthogonal) return;
  const { gain, seed } = initializer.getConfig() as { gain: number; seed?: number };
  (cell as { recurrentInitializer: Initializer }).recurrentInitializer = new HostOrthogonal({ gain, seed });
}
