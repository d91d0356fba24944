/**
 * Default initialisers of the built-in cells, matching Keras / tf.layers so a freshly built cell
 * trains like the layer it replaces: glorot-uniform kernels, orthogonal recurrent kernels.
 * A `seed` makes them reproducible; without it tfjs draws from Math.random.
 */
import * as tf from '@tensorflow/tfjs-core';

/** U(-limit, limit) with limit = sqrt(6 / (fanIn + fanOut)), fanIn = rows, fanOut = columns. */
export function glorotUniform(shape: [number, number], seed?: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed) as tf.Tensor2D;
}

/**
 * A matrix with orthonormal rows or columns (whichever are fewer), as Keras' `Orthogonal`: QR of a
 * standard normal matrix with the signs fixed by R's diagonal, which makes the result uniformly
 * distributed. The QR runs in plain JavaScript (modified Gram-Schmidt in float64): it runs once per
 * cell and this way does not depend on which backend is active.
 */
export function orthogonal(shape: [number, number], seed?: number): tf.Tensor2D {
  const [rows, cols] = shape;
  // Orthonormalise the columns of a tall [long, short] matrix, then transpose when rows < cols.
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  const normal = tf.tidy(() => tf.randomNormal([long, short], 0, 1, 'float32', seed).dataSync());
  const columns: Float64Array[] = [];
  for (let j = 0; j < short; j++) {
    const v = new Float64Array(long);
    for (let i = 0; i < long; i++) v[i] = normal[i * short + j];
    for (const q of columns) {
      let dot = 0;
      for (let i = 0; i < long; i++) dot += q[i] * v[i];
      for (let i = 0; i < long; i++) v[i] -= dot * q[i];
    }
    // Gram-Schmidt leaves R's diagonal positive, which is the sign convention Keras enforces.
    let norm = 0;
    for (let i = 0; i < long; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < long; i++) v[i] /= norm;
    columns.push(v);
  }
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      // Tall case: values[i][j] = column j, entry i. Wide case: the transpose.
      values[i * cols + j] = rows >= cols ? columns[j][i] : columns[i][j];
    }
  }
  return tf.tensor2d(values, shape);
}
