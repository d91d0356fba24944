/**
 * The browser the suite runs in really offers what the other tests rely on: a WebGL2 context and
 * a WebGPU adapter (SwiftShader on a machine without a GPU), and tfjs initialises both backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GPU_BACKENDS, useBackend } from './backends.js';

describe('browser environment', () => {
  it('has a WebGL2 context with float render targets', () => {
    const gl = document.createElement('canvas').getContext('webgl2');
    expect(gl, 'WebGL2 context').not.toBeNull();
    expect(gl!.getExtension('EXT_color_buffer_float'), 'EXT_color_buffer_float').not.toBeNull();
  });

  it('has a WebGPU adapter', async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    expect(gpu, 'navigator.gpu (a secure context and --enable-unsafe-webgpu)').toBeDefined();
    expect(await gpu!.requestAdapter(), 'WebGPU adapter').not.toBeNull();
  });

  it.each(GPU_BACKENDS)('initialises the tfjs %s backend', async (backend) => {
    await useBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
    expect(Array.from(await sum.data())).toEqual([4, 6]);
    sum.dispose();
  });
});
