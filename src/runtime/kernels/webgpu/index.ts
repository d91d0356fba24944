/**
 * The fused sequence and step kernels on the webgpu backend: our shaders (gpu/shaders.ts, WGSL
 * dialect) run as plain WebGPUProgram objects through backend.runWebGPUProgram, so the user's own
 * copy of @tensorflow/tfjs-backend-webgpu compiles and caches them; nothing here imports it.
 *
 * Device limits: a default WebGPU device allows 8 storage buffers per shader stage (the output
 * and up to 7 inputs) and tfjs-webgpu does not check it: a program beyond it fails validation
 * and silently yields garbage. Our largest shader reads 7 inputs; `webgpuProgram` asserts it, and
 * the runner refuses a buffer beyond the device's maxStorageBufferBindingSize the same way.
 */
import { getKernel, registerKernel, type DataType, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { gpuKernelConfigs } from '../gpu/configs.js';
import { wgsl } from '../gpu/dialect.js';
import type { GpuBackend, GpuRunner } from '../gpu/runner.js';
import type { ShaderSpec } from '../gpu/shaders.js';

/** The WebGPUProgram interface of tfjs-backend-webgpu (webgpu_program.ts), as far as we use it. */
interface WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  size: boolean;
  getUserCode(): string;
}

interface WebGPUBackendLike extends GpuBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number; maxStorageBufferBindingSize: number } };
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    programDefinedUniform?: Array<{ type: 'int32'; data: number[] }>,
    output?: TensorInfo,
  ): TensorInfo;
}

const WORKGROUP_SIZE = 64;
/** What every WebGPU device offers (the spec's default maxStorageBuffersPerShaderStage). */
export const DEFAULT_STORAGE_BUFFERS = 8;

/** The uniform of a program writing into part of a tensor: where its output starts. */
const OUT_AT = 'rnnOutAt';

/**
 * Our shader as a WebGPUProgram. `into`: the program writes into an existing tensor from element
 * `uniforms.rnnOutAt` on (backend.runWebGPUProgram's `output`), and reads the inputs named in
 * `into.fromTarget` from that tensor (its `result` buffer) through getters of the names tfjs would
 * have generated: the spec's body is the same text either way.
 */
export function webgpuProgram(spec: ShaderSpec, storageBufferLimit = DEFAULT_STORAGE_BUFFERS, into?: { fromTarget: string[] }): WebGPUProgram {
  const fromTarget = into?.fromTarget ?? [];
  const variableNames = spec.variableNames.filter((name) => !fromTarget.includes(name));
  if (variableNames.length + 1 > storageBufferLimit) {
    throw new Error(
      `rnn-migrate: shader ${spec.key} binds ${variableNames.length + 1} storage buffers, ` +
        `more than the device's ${storageBufferLimit}`,
    );
  }
  const uniforms = [...spec.uniforms, ...(into ? [OUT_AT] : [])];
  const getters = fromTarget.map((name) => `fn get${name[0].toUpperCase()}${name.slice(1)}(i : i32) -> f32 { return f32(result[i]); }`);
  return {
    outputShape: [spec.outputSize],
    shaderKey: into ? `${spec.key}_into_${fromTarget.join('_')}` : spec.key,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(spec.outputSize / WORKGROUP_SIZE), 1, 1],
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    variableNames,
    uniforms: uniforms.map((name) => `${name} : i32,`).join(' '),
    size: true,
    getUserCode: () => `
      ${wgsl.helpers}
      ${getters.join('\n')}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${spec.body(wgsl)}
          setOutputAtIndex(${into ? `uniforms.${OUT_AT} + ` : ''}index, outValue);
        }
      }
    `,
  };
}

/** Binding a buffer larger than the device allows is a validation error, i.e. garbage: refuse it. */
export function checkBindingSizes(spec: ShaderSpec, inputs: TensorInfo[], maxBytes: number): void {
  const sizes = [spec.outputSize, ...inputs.map((t) => t.shape.reduce((a, b) => a * b, 1))];
  const largest = Math.max(...sizes) * 4;
  if (largest > maxBytes) {
    throw new Error(
      `rnn-migrate: shader ${spec.key} binds a ${largest}-byte buffer, more than this WebGPU device's ` +
        `maxStorageBufferBindingSize (${maxBytes}); use a shorter sequence or a smaller batch per call`,
    );
  }
}

const int32Uniforms = (values: number[]) => values.map((v) => ({ type: 'int32' as const, data: [v] }));

function webgpuRunner(backend: GpuBackend): GpuRunner {
  const webgpu = backend as WebGPUBackendLike;
  const limits = webgpu.device?.limits;
  const bufferLimit = limits?.maxStorageBuffersPerShaderStage ?? DEFAULT_STORAGE_BUFFERS;
  const maxBindingBytes = limits?.maxStorageBufferBindingSize ?? 134_217_728; // the spec's default
  return {
    backendName: 'webgpu',
    backend,
    slicesAreViews: false,
    readable: (x) => x,
    readableWeight: (x) => x,
    run: (spec, inputs, uniformValues) => {
      checkBindingSizes(spec, inputs, maxBindingBytes);
      return webgpu.runWebGPUProgram(webgpuProgram(spec, bufferLimit), inputs, 'float32', int32Uniforms(uniformValues));
    },
    runInto: (spec, inputs, uniformValues, target, at, fromTarget) => {
      checkBindingSizes(spec, [...inputs, target], maxBindingBytes);
      const program = webgpuProgram(spec, bufferLimit, { fromTarget });
      webgpu.runWebGPUProgram(program, inputs, 'float32', int32Uniforms([...uniformValues, at]), target);
    },
  };
}

export const webgpuKernelConfigs: KernelConfig[] = gpuKernelConfigs('webgpu', webgpuRunner);

/** Registers the webgpu kernels (idempotent). */
export function registerWebGPUKernels(): void {
  for (const config of webgpuKernelConfigs) {
    if (!getKernel(config.kernelName, config.backendName)) registerKernel(config);
  }
}
