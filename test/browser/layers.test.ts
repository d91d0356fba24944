/**
 * The blocked layers on each GPU backend match the cpu backend: outputs, final carries and the
 * gradients with respect to the input, the initial carry and every weight (≤ 1e-4).
 */
import { describe, expect, it } from 'vitest';
import { GPU_BACKENDS, expectClose, onBackend } from './backends.js';
import { type LayerCase, forwardAndGradients, label } from './cases.js';

const cases: LayerCase[] = [
  { kind: 'lstm', batch: 3, time: 5, inputSize: 4, hidden: 6 },
  { kind: 'gru', batch: 3, time: 5, inputSize: 4, hidden: 6 },
  { kind: 'rnn', batch: 3, time: 5, inputSize: 4, hidden: 6 },
  { kind: 'lstm', batch: 3, time: 4, inputSize: 3, hidden: 5, masked: true, reverse: true },
  { kind: 'gru', batch: 2, time: 4, inputSize: 3, hidden: 5, masked: true, timeMajor: true },
  { kind: 'rnn', batch: 3, time: 4, inputSize: 3, hidden: 5, masked: true, reverse: true, activation: 'relu' },
];

describe.each(GPU_BACKENDS)('blocked layers on %s match cpu', (backend) => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const want = await onBackend('cpu', () => forwardAndGradients(c));
    const got = await onBackend(backend, () => forwardAndGradients(c));
    expectClose(got.forward, want.forward, 1e-4, `${backend} forward`);
    expectClose(got.grads, want.grads, 1e-4, `${backend} gradients`);
    expect(got.grads.every((g) => g.every(Number.isFinite))).toBe(true);
  });
});
