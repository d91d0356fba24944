/**
 * Moving the gate column blocks of a weight matrix [rows, G·H]: column block g of the result is
 * block `from[g]` of the input. Every value is copied, never computed, so it is exact for every
 * float32 bit pattern (±Inf, NaN, −0): a matmul by a permutation is not (0·∞ = NaN spreads a
 * non-finite weight along its row).
 *
 * How, per backend, so that it costs about one copy of the weights (npm run bench:import):
 * - cpu and wasm hold the data in CPU memory: read it once and copy whole blocks as typed-array
 *   ranges (memcpy). Their gather kernels go element by element (cpu: a JS loop allocating an index
 *   per element; wasm: 4–7× a copy), as do strided slices and transposes on cpu.
 * - other backends (webgl, webgpu, node): one gather along the block axis of the [rows, G, H]
 *   view, a single pass over the data where it lives; reading it back to the CPU would cost more.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Backends whose tensors live in CPU memory, where dataSync is a copy at most (cpu: none). */
const CPU_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/**
 * A new float32 [rows, G·H] tensor: `matrix`'s column blocks in the order `from` (a permutation of
 * 0 … G−1, G = from.length). Call inside a tidy: a gather leaves intermediates to it.
 */
export function permuteColumnBlocks(matrix: tf.Tensor2D, from: readonly number[]): tf.Tensor2D {
  const [rows, columns] = matrix.shape;
  const blockWidth = columns / from.length;
  if (!CPU_MEMORY_BACKENDS.has(tf.getBackend())) {
    const blocks = tf.reshape(matrix, [rows, from.length, blockWidth]);
    return tf.reshape(tf.gather(blocks, tf.tensor1d(from as number[], 'int32'), 1), [rows, columns]);
  }
  const values = matrix.dataSync() as Float32Array;
  // Whole 32-bit words: copying through a Float32Array element could canonicalise a NaN's payload.
  const source = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const permuted = new Float32Array(values.length);
  const target = new Uint32Array(permuted.buffer);
  for (let row = 0, start = 0; row < rows; row++, start += columns) {
    for (let block = 0; block < from.length; block++) {
      const begin = start + from[block]! * blockWidth;
      target.set(source.subarray(begin, begin + blockWidth), start + block * blockWidth);
    }
  }
  return tf.tensor2d(permuted, [rows, columns], 'float32');
}
