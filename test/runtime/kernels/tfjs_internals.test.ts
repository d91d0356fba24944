/**
 * The one module that reads tfjs-core's engine internals, against the engine actually installed:
 * a tfjs-core upgrade that moves the tape, its nodes' `saved` or the gradient depth fails here,
 * by name, rather than as a wrong gradient elsewhere.
 */
import { beforeAll, expect, it } from 'vitest';
import { activateBackend, tf } from '../../helpers/backends.js';
import {
  SUPPORTED_TFJS_CORE_MAJOR,
  activeTape,
  attachToLastNode,
  gradientComputationId,
  gradientWillBeRecorded,
  isRecordingGradient,
  sharedHandle,
} from '../../../src/runtime/kernels/tfjs_internals.js';

beforeAll(() => activateBackend('cpu'));

it('is written against the installed tfjs-core major version', () => {
  expect(Number(tf.version_core.split('.')[0])).toBe(SUPPORTED_TFJS_CORE_MAJOR);
});

it('sees no tape outside a gradient and one inside, shared by nested gradients', () => {
  expect([gradientWillBeRecorded(), isRecordingGradient(), activeTape(), gradientComputationId()]).toEqual([false, false, null, null]);
  const seen: Array<{ recorded: boolean; id: number | null; tape: object | null }> = [];
  const x = tf.scalar(2);
  tf.grad((a: tf.Tensor) => {
    seen.push({ recorded: gradientWillBeRecorded(), id: gradientComputationId(), tape: activeTape() });
    const inner = tf.grad((b: tf.Tensor) => {
      seen.push({ recorded: gradientWillBeRecorded(), id: gradientComputationId(), tape: activeTape() });
      return tf.square(b);
    })(a);
    return tf.mul(a, inner);
  })(x).dispose();
  tf.grad((a: tf.Tensor) => {
    seen.push({ recorded: gradientWillBeRecorded(), id: gradientComputationId(), tape: activeTape() });
    return tf.square(a);
  })(x).dispose();
  x.dispose();
  expect(seen.map((s) => s.recorded)).toEqual([true, true, true]);
  expect(seen[0].tape).not.toBeNull();
  expect(seen[1].tape).toBe(seen[0].tape);
  expect(seen[1].id).toBe(seen[0].id);
  expect(seen[2].id).not.toBe(seen[0].id);
});

it('hands a tensor to the node just recorded, which the engine disposes with the tape', () => {
  const x = tf.scalar(3);
  const attached = tf.scalar(1);
  let wasAttached = false;
  let wrongNode = true;
  const dx = tf.grad((a: tf.Tensor) => {
    const y = tf.square(a);
    const tape = activeTape()!;
    wrongNode = attachToLastNode(tape, a, attached); // a is no output of the last node
    wasAttached = attachToLastNode(tape, y, attached);
    return y;
  })(x);
  expect(wrongNode).toBe(false);
  expect(wasAttached).toBe(true);
  expect(dx.dataSync()[0]).toBeCloseTo(6);
  expect(attached.isDisposed).toBe(true);
  tf.dispose([x, dx]);
});

it('gives a second handle on a tensor\'s data that outlives the first and frees the data with the last', async () => {
  for (const backend of ['cpu', 'wasm']) {
    await activateBackend(backend);
    const before = tf.memory();
    const original = tf.tensor2d([[1, 2, 3]]);
    const handle = sharedHandle(original);
    expect(handle).not.toBe(original);
    expect(handle.dataId).toBe(original.dataId);
    original.dispose();
    expect(handle.isDisposed).toBe(false);
    expect([...handle.dataSync()]).toEqual([1, 2, 3]);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1);
    handle.dispose();
    expect([tf.memory().numTensors, tf.memory().numDataBuffers, tf.memory().numBytes]).toEqual([before.numTensors, before.numDataBuffers, before.numBytes]);
    // Under tf.tidy it is tracked as any new tensor: released with the scope unless kept or returned.
    let kept: tf.Tensor | undefined;
    const returned = tf.tidy(() => {
      const inner = tf.tensor1d([4, 5]);
      kept = tf.keep(sharedHandle(inner));
      sharedHandle(inner);
      return sharedHandle(inner);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors + 2);
    expect([...returned.dataSync(), ...kept!.dataSync()]).toEqual([4, 5, 4, 5]);
    tf.dispose([returned, kept!]);
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual([before.numTensors, before.numDataBuffers]);
  }
  await activateBackend('cpu');
});
