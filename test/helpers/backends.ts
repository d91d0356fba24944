/**
 * Shared test helper: the tfjs backends every numerics test runs on, in Node.
 *
 * Imports the `@tensorflow/tfjs` union package (the Node entry of tfjs-core registers no
 * gradients; the union registers them and the cpu backend) and the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe } from 'vitest';

export const testBackends = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof testBackends)[number];

/** Makes `name` the active backend, failing loudly when it cannot initialise. */
export async function activateBackend(name: string): Promise<void> {
  const ready = await tf.setBackend(name);
  if (!ready) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}

/** `describe` once per test backend, with that backend active during its tests. */
export function describeBackends(title: string, body: (backend: TestBackend) => void): void {
  describe.each(testBackends)(`${title} [%s]`, (backend) => {
    beforeAll(() => activateBackend(backend));
    body(backend);
  });
}

export { tf };
