/**
 * A legacy-style character model: a stateful LSTM from 'rnn-migrate/legacy' stepped over time in
 * a loop, reset before every sequence. This is the shape of code `npx rnn-migrate` migrates to the
 * blocked API (try `npx rnn-migrate --dry examples/legacy-char-model.ts`).
 *
 * Run: node --import tsx examples/legacy-char-model.ts
 */
import * as tf from '@tensorflow/tfjs';
import { LSTM } from 'rnn-migrate/legacy';

const text = 'hello recurrent world, hello blocked world. ';
const vocabulary = [...new Set(text)].sort();
const hiddenSize = 24;

const oneHot = (chars: string): tf.Tensor2D =>
  tf.oneHot([...chars].map((char) => vocabulary.indexOf(char)), vocabulary.length).toFloat() as tf.Tensor2D;

// The input: one [1, vocabulary] tensor per timestep. The target: the next character at each step.
const inputs = [...text.slice(0, -1)].map((char) => oneHot(char));
const targets = oneHot(text.slice(1)); // [time, vocabulary]

const lstm = LSTM(vocabulary.length, hiddenSize);
const readout = tf.variable(tf.randomNormal([hiddenSize, vocabulary.length], 0, 0.1, 'float32', 7));
const optimizer = tf.train.adam(0.03);

/** Next-character logits at every step, [time, vocabulary]. */
function predict(): tf.Tensor2D {
  lstm.reset();
  const outputs: tf.Tensor[] = [];
  for (const x of inputs) {
    outputs.push(lstm.step(x));
  }
  const hidden = tf.stack(outputs, 1); // [1, time, hidden]
  return hidden.reshape([inputs.length, hiddenSize]).matMul(readout) as tf.Tensor2D;
}

const loss = () => tf.losses.softmaxCrossEntropy(targets, predict()) as tf.Scalar;

const steps = 80;
for (let step = 0; step <= steps; step++) {
  const value = optimizer.minimize(loss, true)!;
  if (step % 20 === 0) console.log(`step ${String(step).padStart(3)}  loss ${value.dataSync()[0]!.toFixed(4)}`);
  value.dispose();
}

const predicted = tf.tidy(() => Array.from(predict().argMax(1).dataSync(), (i) => vocabulary[i]).join(''));
console.log(`text:      "${text.slice(1)}"`);
console.log(`predicted: "${predicted}"`);
