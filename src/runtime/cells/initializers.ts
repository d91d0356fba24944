/**
 * Default initialisers of the built-in cells, matching Keras / tf.layers so a freshly built cell
 * trains like the layer it replaces: glorot-uniform kernels, orthogonal recurrent kernels.
 * A `seed` makes them reproducible; without it tfjs draws from Math.random.
 *
 * Each costs one tfjs random draw and one upload: the orthogonal one computes its QR on the host
 * (gram_schmidt.ts) and never hands an array to tf.tidy, whose result walk visits a typed array
 * element by element (seconds for a 1024-unit LSTM's recurrent kernel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { orthonormalizeColumns } from './gram_schmidt.js';

/** U(-limit, limit) with limit = sqrt(6 / (fanIn + fanOut)), fanIn = rows, fanOut = columns. */
export function glorotUniform(shape: [number, number], seed?: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed) as tf.Tensor2D;
}

/**
 * `gain` times a matrix with orthonormal rows or columns (whichever are fewer), as Keras' and
 * tf.layers' `Orthogonal`: the same standard normal draw for the same seed ([long, short]), its QR
 * with the signs fixed by R's diagonal (which makes the result uniformly distributed), transposed
 * when rows < columns. The QR is modified Gram–Schmidt in float64 on the host: it runs once per
 * weight and this way does not depend on which backend is active.
 */
export function orthogonal(shape: [number, number], seed?: number, gain = 1): tf.Tensor2D {
  const [rows, cols] = shape;
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  const draw = tf.randomNormal([long, short], 0, 1, 'float32', seed);
  const normal = draw.dataSync();
  draw.dispose();
  // Column j of the tall [long, short] draw at j·long: the columns Gram–Schmidt orthonormalises.
  const columns = new Float64Array(long * short);
  for (let i = 0; i < long; i++) {
    for (let j = 0; j < short; j++) columns[j * long + i] = normal[i * short + j];
  }
  orthonormalizeColumns(columns, long, short);
  const values = new Float32Array(rows * cols);
  if (rows < cols) {
    // Wide: row i is column i, already in place.
    for (let k = 0; k < values.length; k++) values[k] = gain * columns[k];
  } else {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) values[i * cols + j] = gain * columns[j * long + i];
    }
  }
  return tf.tensor2d(values, shape);
}
