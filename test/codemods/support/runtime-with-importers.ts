/**
 * 'rnn-migrate' as migrated tfjs programs import it, for the executed tests: the runtime itself,
 * plus a stand-in for the pinned importer `cellFromBasicLSTMCell` while the runtime lacks it (the
 * real one wins once it is there). The stand-in follows REALWORLD.md's "To the canonical layout":
 * column blocks (i, j, f, o) → (i, f, j, o), kernel rows split at `in`, forget bias folded.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as runtime from '../../../src/index.js';

export * from '../../../src/index.js';

function standIn(kernel: tf.Tensor2D, bias: tf.Tensor1D, forgetBias: number | tf.Scalar = 1): runtime.LSTMCell {
  const hidden = bias.shape[0] / 4;
  const inputSize = kernel.shape[0] - hidden;
  const cell = new runtime.LSTMCell(inputSize, hidden);
  const weights = tf.tidy(() => {
    const [i, j, f, o] = tf.split(kernel, 4, 1) as tf.Tensor2D[];
    const reordered = tf.concat([i!, f!, j!, o!], 1);
    const [bi, bj, bf, bo] = tf.split(bias, 4) as tf.Tensor1D[];
    return [
      tf.slice(reordered, [0, 0], [inputSize, -1]),
      tf.slice(reordered, [inputSize, 0], [hidden, -1]),
      tf.concat([bi!, tf.add(bf!, forgetBias), bj!, bo!]),
    ];
  });
  cell.setWeights(weights);
  tf.dispose(weights);
  return cell;
}

type Importer = typeof standIn;
export const cellFromBasicLSTMCell: Importer = ((runtime as Record<string, unknown>)['cellFromBasicLSTMCell'] as Importer | undefined) ?? standIn;
