/** The fused gradient rules: what they refuse rather than compute wrongly. */
import { afterAll, expect, it } from 'vitest';
import { lstmSequence } from '../../../src/runtime/kernels/ops.js';
import { activateBackend, tf } from '../../helpers/backends.js';

afterAll(() => activateBackend('cpu'));

it('refuses a gradient computed on another backend than its forward pass (the workspace layout is per backend)', async () => {
  await activateBackend('wasm');
  await activateBackend('cpu');
  const [batch, time, inputSize, hidden] = [2, 3, 2, 3];
  const inputs = {
    x: tf.randomNormal([batch, time, inputSize], 0, 1, 'float32', 1) as tf.Tensor3D,
    kernel: tf.randomNormal([inputSize, 4 * hidden], 0, 0.5, 'float32', 2) as tf.Tensor2D,
    recurrentKernel: tf.randomNormal([hidden, 4 * hidden], 0, 0.5, 'float32', 3) as tf.Tensor2D,
    bias: tf.zeros([4 * hidden]) as tf.Tensor1D,
    h0: tf.zeros([batch, hidden]) as tf.Tensor2D,
    c0: tf.zeros([batch, hidden]) as tf.Tensor2D,
  };
  const lossSwitchingBackend = (x: tf.Tensor) => {
    const { output } = lstmSequence({ ...inputs, x: x as tf.Tensor3D }); // forward on cpu
    void tf.setBackend('wasm'); // already initialised: switches synchronously
    return tf.sum(output); // backprop now runs on wasm
  };
  expect(() => tf.grad(lossSwitchingBackend)(inputs.x)).toThrow(
    /forward pass ran on the 'cpu' backend but its gradient is being computed on 'wasm'/,
  );
  await activateBackend('cpu');
  // Same backend throughout: the gradient is computed. (After the refusal above, tfjs's engine keeps
  // the tensors it had saved for that backprop: it frees them only when a backprop completes.)
  const before = tf.memory().numTensors;
  const dx = tf.grad((x: tf.Tensor) => tf.sum(lstmSequence({ ...inputs, x: x as tf.Tensor3D }).output))(inputs.x);
  expect(dx.shape).toEqual([batch, time, inputSize]);
  dx.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(Object.values(inputs));
});
