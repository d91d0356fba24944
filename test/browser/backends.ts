/**
 * Backend helpers for the browser suite: switch tfjs between cpu, webgl and webgpu, collect
 * WebGPU validation errors (tfjs-webgpu does not surface them: a shader that binds more storage
 * buffers than the device allows silently produces garbage), and compare numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs union does).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { expect } from 'vitest';

export const GPU_BACKENDS = ['webgl', 'webgpu'] as const;
export type GpuBackend = (typeof GPU_BACKENDS)[number];

const webgpuErrors: string[] = [];
const watchedDevices = new WeakSet<object>();

interface DeviceLike {
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

function webgpuDevice(): DeviceLike {
  return (tf.backend() as unknown as { device: DeviceLike }).device;
}

/** Makes `name` the active backend (initialising it once) and watches WebGPU for errors. */
export async function useBackend(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend '${name}' failed to initialise in this browser`);
  await tf.ready();
  if (name === 'webgpu') {
    const device = webgpuDevice();
    if (!watchedDevices.has(device)) {
      watchedDevices.add(device);
      device.addEventListener('uncapturederror', (event) => webgpuErrors.push(event.error.message));
    }
  }
}

/**
 * Runs `body` on `backend` and returns its result; on webgpu, inside validation and
 * out-of-memory error scopes, failing with the device's messages if any was raised.
 */
export async function onBackend<T>(backend: string, body: () => Promise<T> | T): Promise<T> {
  await useBackend(backend);
  if (backend !== 'webgpu') return body();
  const device = webgpuDevice();
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const before = webgpuErrors.length;
  let result: T;
  try {
    result = await body();
  } finally {
    const oom = await device.popErrorScope();
    const validation = await device.popErrorScope();
    const problems = [validation?.message, oom?.message, ...webgpuErrors.slice(before)].filter(Boolean);
    if (problems.length > 0) throw new Error(`WebGPU reported errors:\n${problems.join('\n')}`);
  }
  return result;
}

/** Values of tensors as plain arrays, then disposes them. */
export async function read(...tensors: tf.Tensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  return values;
}

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d; // NaN counts as the worst.
  }
  return worst;
}

export function expectClose(got: ArrayLike<number>[], want: ArrayLike<number>[], tolerance: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => {
    const diff = maxAbsDiff(g, want[i]);
    expect(diff, `${what}[${i}]: max |Δ| = ${diff}`).toBeLessThanOrEqual(tolerance);
  });
}

/** Deterministic pseudo-random values in [-scale, scale) (a tiny LCG: same on every backend). */
export function seeded(length: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}
