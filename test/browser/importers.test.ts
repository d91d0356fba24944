/**
 * The weight importers on each GPU backend: cellFromBasicLSTMCell moves tf.basicLSTMCell's gate
 * blocks (i, j, f, o) to (i, f, j, o) with one gather, which must reproduce every weight bit for
 * bit there too, ±Inf and NaN included (the expectation is built here in plain JavaScript), and
 * fromLayersLayer holds exactly the layer's weights. Neither leaves a tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { cellFromBasicLSTMCell, fromLayersLayer } from '../../src/index.js';
import { GPU_BACKENDS, onBackend, seeded } from './backends.js';

const [IN, H] = [5, 6];

/** The values of tensors that stay alive (getWeights hands out the variables themselves). */
const valuesOf = (tensors: tf.Tensor[]) => Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));

/** Row-major [rows, 4H] with column blocks (i, j, f, o) → (i, f, j, o). */
function reorderBlocks(values: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(values.length);
  const from = [0, 2, 1, 3];
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < 4; g++) out.set(values.subarray(r * 4 * H + from[g] * H, r * 4 * H + (from[g] + 1) * H), r * 4 * H + g * H);
  }
  return out;
}

describe.each(GPU_BACKENDS)('importers on %s', (backend) => {
  it('cellFromBasicLSTMCell: the reordered weights, exactly; fromLayersLayer: the layer\'s', () =>
    onBackend(backend, async () => {
      const kernelValues = seeded((IN + H) * 4 * H, 11);
      const biasValues = seeded(4 * H, 12);
      // Non-finite weights move like any other (a matmul by a permutation would spread NaN along their rows).
      [kernelValues[1 * 4 * H + H + 2], kernelValues[(IN + 1) * 4 * H + 2 * H], kernelValues[IN * 4 * H + 3 * H + 1]] = [Infinity, -Infinity, NaN];
      const kernel = tf.tensor2d(kernelValues, [IN + H, 4 * H]);
      const bias = tf.tensor1d(biasValues);
      const before = tf.memory().numTensors;
      const cell = cellFromBasicLSTMCell(kernel, bias, 1);
      const [k, r, b] = await valuesOf(cell.getWeights());
      cell.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const canonical = reorderBlocks(kernelValues, IN + H);
      expect(Array.from(k!)).toEqual(Array.from(canonical.subarray(0, IN * 4 * H)));
      expect(Array.from(r!)).toEqual(Array.from(canonical.subarray(IN * 4 * H)));
      const expectedBias = reorderBlocks(biasValues, 1).map((v, i) => (i >= H && i < 2 * H ? Math.fround(v + 1) : v));
      expect(Array.from(b!)).toEqual(Array.from(expectedBias));
      tf.dispose([kernel, bias]);

      // glorot: tf.layers' orthogonal initializer needs tfjs' chained ops, which this page does not load.
      const layer = tfl.layers.lstm({ units: H, recurrentInitializer: 'glorotUniform', biasInitializer: 'randomNormal' });
      tf.dispose(layer.apply(tf.zeros([1, 1, IN])) as tf.Tensor);
      const imported = fromLayersLayer(layer);
      expect(await valuesOf(imported.cell.getWeights())).toEqual(await valuesOf(layer.getWeights()));
      imported.dispose();
      layer.dispose();
    }));
});
