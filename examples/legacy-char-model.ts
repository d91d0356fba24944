/**
 * A legacy-style character model: a stateful LSTM from 'rnn-migrate/legacy' stepped over time in
 * a loop, reset at the start of every loss. This is the shape of code `npx rnn-migrate` migrates
 * to the blocked API (try `npx rnn-migrate --dry examples/legacy-char-model.ts`).
 *
 * Run: node --import tsx examples/legacy-char-model.ts
 */
import * as tf from '@tensorflow/tfjs';
import { LSTM } from 'rnn-migrate/legacy';

const text = 'hello recurrent world, hello blocked world. ';
const vocabulary = [...new Set(text)].sort();
const hiddenSize = 24;

const oneHot = (char: string): tf.Tensor2D =>
  tf.oneHot([vocabulary.indexOf(char)], vocabulary.length).toFloat() as tf.Tensor2D;

// One [1, vocabulary] tensor per timestep: the input character and the one that follows it.
const inputs = [...text.slice(0, -1)].map(oneHot);
const targets = [...text.slice(1)].map(oneHot);

const lstm = LSTM(vocabulary.length, hiddenSize);
const readout = tf.variable(tf.randomNormal([hiddenSize, vocabulary.length], 0, 0.1, 'float32', 7));
const optimizer = tf.train.adam(0.03);

function sequenceLoss(): tf.Scalar {
  lstm.reset();
  const losses: tf.Scalar[] = [];
  for (let t = 0; t < inputs.length; t++) {
    const h = lstm.step(inputs[t]!);
    losses.push(tf.losses.softmaxCrossEntropy(targets[t]!, h.matMul(readout)) as tf.Scalar);
  }
  return tf.addN(losses).div(inputs.length) as tf.Scalar;
}

/** Greedy continuation of `prompt`, one character per step from the stored state. */
function sample(prompt: string, length: number): string {
  return tf.tidy(() => {
    lstm.reset();
    let logits: tf.Tensor | undefined;
    for (const char of prompt) logits = lstm.step(oneHot(char)).matMul(readout);
    let generated = '';
    for (let i = 0; i < length; i++) {
      const next = vocabulary[logits!.argMax(1).dataSync()[0]!]!;
      generated += next;
      logits = lstm.step(oneHot(next)).matMul(readout);
    }
    return generated;
  });
}

const steps = 80;
for (let step = 0; step <= steps; step++) {
  const loss = optimizer.minimize(sequenceLoss, true) as tf.Scalar;
  if (step % 20 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.dataSync()[0]!.toFixed(4)}`);
  loss.dispose();
}
console.log(`sample: "hello${sample('hello', 30)}"`);
