import { beforeAll, expect, it } from 'vitest';
import { GRU, LSTM, RNN, reset } from '../../src/legacy/index.js';
import { activateBackend, tf } from '../helpers/backends.js';

beforeAll(() => activateBackend('cpu'));

it('reset(model) resets every Recur reachable through fields, arrays, Maps and Sets, cycles included', () => {
  const encoder = LSTM(2, 3);
  const decoder = GRU(2, 3);
  const byName = RNN(2, 3);
  const inSet = RNN(2, 3);
  const model: Record<string, unknown> = {
    encoder,
    stack: [{ inner: decoder }],
    layers: new Map<string, unknown>([['byName', byName]]),
    extras: new Set([inSet]),
    weights: tf.zeros([2]), // tensors are not walked
  };
  model['self'] = model; // a cycle
  (model['stack'] as unknown[]).push(model);
  const all = [encoder, decoder, byName, inSet];
  tf.tidy(() => {
    for (const recur of all) recur.step(tf.ones([1, 2]));
  });
  expect(all.every((recur) => recur.state !== null)).toBe(true);

  expect(reset(model)).toBe(4);
  expect(all.every((recur) => recur.state === null)).toBe(true);
  expect(reset(encoder)).toBe(1);
  expect(reset(null)).toBe(0);

  tf.dispose(model['weights'] as tf.Tensor);
  for (const recur of all) recur.cell.dispose();
});
