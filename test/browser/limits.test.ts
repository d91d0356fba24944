/**
 * Device limits of the WebGPU kernels: every shader variant binds at most the 8 storage buffers a
 * default device offers (tfjs-webgpu would otherwise fail validation and return garbage without
 * an error) and the runner refuses a program beyond the device's limit. And on both GPU backends a
 * new sequence length reuses the compiled programs (the length is a uniform, webgl's shapes too).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/runtime/kernels/gpu/register.js';
import {
  type SequenceGeometry,
  carryGradShader,
  stepGradShader,
  gateShader,
  outputShader,
  previousHiddenShader,
} from '../../src/runtime/kernels/gpu/shaders.js';
import { recurrentGradProductShader, recurrentProductShader } from '../../src/runtime/kernels/gpu/product_shaders.js';
import { DEFAULT_STORAGE_BUFFERS, checkBindingSizes, webgpuProgram } from '../../src/runtime/kernels/webgpu/index.js';
import { onBackend, seeded } from './backends.js';
import { buildLayer } from './cases.js';

function* variants(): Generator<SequenceGeometry> {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    for (const hasMask of [false, true]) {
      for (const timeMajor of [false, true]) {
        yield { kind, batch: 2, time: 3, hidden: 4, activation: 'tanh', recurrentActivation: 'sigmoid', timeMajor, reverse: false, hasMask };
      }
    }
  }
}

describe('WebGPU device limits', () => {
  it('every shader variant fits the default 8 storage buffers', () => {
    let widest = 0;
    for (const g of variants()) {
      const specs = [gateShader(g), outputShader(g), previousHiddenShader(g), recurrentProductShader(g), recurrentProductShader(g, 3), recurrentGradProductShader(g)];
      for (const hasDOutput of [false, true]) specs.push(stepGradShader(g, hasDOutput), carryGradShader(g, hasDOutput));
      for (const spec of specs) {
        const buffers = spec.variableNames.length + 1; // the inputs and the output
        widest = Math.max(widest, buffers);
        expect(buffers, spec.key).toBeLessThanOrEqual(DEFAULT_STORAGE_BUFFERS);
        expect(() => webgpuProgram(spec)).not.toThrow();
      }
    }
    expect(widest).toBe(7);
  });

  it('a program writing into part of a tensor binds no input it reads from that tensor', () => {
    const g: SequenceGeometry = { kind: 'lstm', batch: 2, time: 3, hidden: 4, activation: 'tanh', recurrentActivation: 'sigmoid', timeMajor: false, reverse: false, hasMask: true };
    const spec = gateShader(g);
    const program = webgpuProgram(spec, DEFAULT_STORAGE_BUFFERS, { fromTarget: ['prevState', 'prevCell'] });
    expect(program.variableNames).toEqual(spec.variableNames.filter((name) => name !== 'prevState' && name !== 'prevCell'));
    // Their getters read the program's own output buffer; the output goes from the offset uniform on.
    const code = program.getUserCode();
    expect(code).toContain('fn getPrevState(i : i32) -> f32 { return f32(result[i]); }');
    expect(code).toContain('fn getPrevCell(i : i32) -> f32 { return f32(result[i]); }');
    expect(code).toContain('setOutputAtIndex(uniforms.rnnOutAt + index, outValue)');
    expect(program.shaderKey).not.toBe(webgpuProgram(spec).shaderKey);
  });

  it('refuses a program beyond the device limit instead of dispatching it', () => {
    const g: SequenceGeometry = { kind: 'lstm', batch: 2, time: 3, hidden: 4, activation: 'tanh', recurrentActivation: 'sigmoid', timeMajor: false, reverse: false, hasMask: true };
    expect(() => webgpuProgram(stepGradShader(g, true), 6)).toThrow(/storage buffers/);
  });

  it('refuses a buffer beyond maxStorageBufferBindingSize', () => {
    const g: SequenceGeometry = { kind: 'gru', batch: 2, time: 3, hidden: 4, activation: 'tanh', recurrentActivation: 'sigmoid', timeMajor: false, reverse: false, hasMask: false };
    const spec = outputShader(g);
    const input = { dataId: {}, shape: [3 * 5 * 2 * 4], dtype: 'float32' as const };
    expect(() => checkBindingSizes(spec, [input], 1024)).not.toThrow();
    expect(() => checkBindingSizes(spec, [input], 256)).toThrow(/maxStorageBufferBindingSize/);
  });

});

/** Our compiled programs in the backend's cache: webgpu keys start with our shader key, webgl keys hold our GLSL. */
function ourPrograms(backend: string): string[] {
  const b = tf.backend() as unknown as { pipelineCache?: object; binaryCache?: object };
  const keys = Object.keys((backend === 'webgpu' ? b.pipelineCache : b.binaryCache) ?? {});
  return keys.filter((k) => (backend === 'webgpu' ? k.startsWith('rnn') : k.includes('rnnSigmoid'))).sort();
}

describe.each(['webgl', 'webgpu'])('%s program cache', (backend) => {
  it('a new sequence length reuses the compiled programs', async () => {
    await onBackend(backend, async () => {
      const layer = buildLayer({ kind: 'lstm', batch: 2, time: 3, inputSize: 3, hidden: 4 });
      const run = async (time: number) => {
        const x = tf.tensor3d(seeded(2 * time * 3, time), [2, time, 3]);
        const { output } = layer.apply(x);
        await output.data();
        tf.dispose([x, output]);
      };
      await run(3);
      const compiled = ourPrograms(backend);
      expect(compiled.length).toBeGreaterThan(0);
      await run(7);
      await run(12);
      expect(ourPrograms(backend)).toEqual(compiled);
      layer.dispose();
    });
  });
});
