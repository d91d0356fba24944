/**
 * The legacy loop and the blocked call on the same weights: one LSTM's weights, stepped per
 * timestep through 'rnn-migrate/legacy' and run as one sequence through 'rnn-migrate'. Prints both
 * outputs and their largest difference, then shows the stale-state checker catching the classic
 * mistake (a warm-up step outside the loss).
 *
 * Run: npm run example
 */
import * as tf from '@tensorflow/tfjs';
import { LSTM as BlockedLSTM } from 'rnn-migrate';
import { LSTM } from 'rnn-migrate/legacy';

const [batch, time, inputSize, hiddenSize] = [2, 5, 3, 4];
const x = tf.randomNormal([batch, time, inputSize], 0, 1, 'float32', 1) as tf.Tensor3D;

const legacy = LSTM(inputSize, hiddenSize);
const blocked = new BlockedLSTM(inputSize, hiddenSize);
blocked.cell.setWeights(legacy.cell.getWeights()); // the same weights, the tf.layers layout

// Legacy: reset, then one step per timestep; the Recur remembers the state in between.
legacy.reset();
const legacyOutputs: tf.Tensor[] = [];
for (const xt of tf.unstack(x, 1)) legacyOutputs.push(legacy.step(xt));
const legacyOutput = tf.stack(legacyOutputs, 1);

// Blocked: the whole [batch, time, features] sequence at once, the carry returned explicitly.
const { output: blockedOutput, carry } = blocked.apply(x);

const maxDifference = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
console.log('legacy loop output [batch, time, hidden]:');
legacyOutput.print();
console.log('blocked call output [batch, time, hidden]:');
blockedOutput.print();
console.log(`max |legacy - blocked| over the outputs:   ${maxDifference(legacyOutput, blockedOutput).toExponential(2)}`);
console.log(`max |legacy - blocked| over the final h, c: ${Math.max(
  maxDifference(legacy.state!.h, carry.h),
  maxDifference(legacy.state!.c, carry.c),
).toExponential(2)}`);

// The checker: a step outside the loss leaves a state that the gradient cannot see through.
console.log('\nA warm-up step outside the loss, then a gradient: the checker warns (once per call site):');
legacy.reset();
legacy.step(tf.unstack(x, 1)[0]!);
tf.variableGrads(() => legacy.step(tf.unstack(x, 1)[1]!).sum() as tf.Scalar, legacy.cell.trainableVariables());
