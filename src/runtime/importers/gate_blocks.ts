/**
 * Moving the gate column blocks of a weight matrix [rows, G·H]: column block g of the result is
 * block `from[g]` of the input. Every value is copied, never computed, so it is exact for every
 * float32 bit pattern (±Inf, NaN, −0): a matmul by a permutation is not (0·∞ = NaN spreads a
 * non-finite weight along its row).
 *
 * How, per backend, so that it costs about one copy of the weights (npm run bench:import):
 * - cpu and wasm keep the data in CPU memory: whole blocks are copied as typed-array ranges
 *   (memcpy) from the input's memory straight into the new tensor's (the host kernels' tensor I/O:
 *   no read-back, no write-in, no tf.slice). Their gather kernels go element by element (H = 1024:
 *   cpu 710 ms, wasm 230 ms against 33 and 61 ms for block copies with a read-back; loaded machine),
 *   as do strided slices and transposes.
 * - other backends (webgl, webgpu, node): one gather along the block axis of the [rows, G, H]
 *   view, a single pass where the data lives; on SwiftShader it beat slice + concat and the matmul
 *   (webgpu, H = 512: 0.17 s against 3.5 s, each with a read-back).
 */
import * as tf from '@tensorflow/tfjs-core';
import { cpuTensorIO, wasmTensorIO, type HostTensorIO } from '../kernels/host/backend_io.js';

const HOST_MEMORY_IO: { readonly [backend: string]: HostTensorIO | undefined } = { cpu: cpuTensorIO, wasm: wasmTensorIO };

/**
 * A new float32 [count, G·H] tensor: rows begin … begin + count − 1 of `matrix`, their column blocks
 * in the order `from` (a permutation of 0 … G−1, G = from.length). Call inside a tidy: a gather
 * leaves intermediates to it.
 */
export function permuteColumnBlocks(
  matrix: tf.Tensor2D,
  from: readonly number[],
  begin = 0,
  count = matrix.shape[0] - begin,
): tf.Tensor2D {
  const columns = matrix.shape[1];
  const blockWidth = columns / from.length;
  const io = HOST_MEMORY_IO[tf.getBackend()];
  const backend = tf.backend();
  // refCount 0: the data still lives on another backend; a kernel (the gather) moves it first.
  if (io && backend.refCount(matrix.dataId) > 0) {
    const output = io.allocate(backend, count * columns);
    // Views taken after the allocation, which may grow (and so detach) the wasm heap. No tf.slice
    // of the rows either: wasm copies a slice element by element.
    const source = wordsOf(io.view?.(backend, matrix) ?? io.read(backend, matrix));
    const target = wordsOf(io.view?.(backend, output) ?? io.read(backend, output));
    for (let row = 0; row < count; row++) {
      const [sourceRow, targetRow] = [(begin + row) * columns, row * columns];
      for (let block = 0; block < from.length; block++) {
        const start = sourceRow + from[block]! * blockWidth;
        target.set(source.subarray(start, start + blockWidth), targetRow + block * blockWidth);
      }
    }
    return tf.engine().makeTensorFromTensorInfo({ ...output, shape: [count, columns] }, backend) as tf.Tensor2D;
  }
  const blocks = tf.reshape(tf.slice(matrix, [begin, 0], [count, columns]), [count, from.length, blockWidth]);
  return tf.reshape(tf.gather(blocks, tf.tensor1d(from as number[], 'int32'), 1), [count, columns]);
}

/** Whole 32-bit words: copying through Float32Array elements could canonicalise a NaN's payload. */
function wordsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}
