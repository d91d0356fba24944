/**
 * The fused sequence and step kernels on the webgl backend: our shaders (gpu/shaders.ts, GLSL
 * dialect) run as plain GPGPUProgram objects through backend.runWebGLProgram, so the user's own
 * copy of @tensorflow/tfjs-backend-webgl compiles and caches them; nothing here imports it.
 */
import { getKernel, registerKernel, type DataType, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { gpuKernelConfigs } from '../gpu/configs.js';
import { glsl } from '../gpu/dialect.js';
import type { GpuBackend, GpuRunner } from '../gpu/runner.js';
import type { ShaderSpec } from '../gpu/shaders.js';

/** The GPGPUProgram interface of tfjs-backend-webgl (gpgpu_math.ts), as far as we use it. */
interface WebGLProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: Array<{ name: string; type: 'int' }>;
  enableShapeUniforms?: boolean;
}

interface WebGLBackendLike extends GpuBackend {
  runWebGLProgram(program: WebGLProgram, inputs: TensorInfo[], outputDtype: DataType, customUniformValues?: number[][]): TensorInfo;
  /** Public members of MathBackendWebGL: a tensor's texture (packed: 2×2 values per texel) and its unpacking. */
  texData: { get(dataId: object): { isPacked?: boolean; texture?: unknown; values?: unknown } | undefined; has(dataId: object): boolean };
  unpackTensor(input: TensorInfo): TensorInfo;
  incRef(dataId: object): void;
  /** Uploads a tensor's values in its current form (unpacked for a new tensor). */
  uploadToGPU(dataId: object): void;
}

export function webglProgram(spec: ShaderSpec): WebGLProgram {
  return {
    variableNames: spec.variableNames,
    outputShape: [spec.outputSize],
    userCode: `
      ${glsl.helpers}
      void main() {
        int index = getOutputCoords();
        ${spec.body(glsl)}
        setOutput(outValue);
      }
    `,
    customUniforms: spec.uniforms.map((name) => ({ name, type: 'int' as const })),
    // Shapes as uniforms: the backend then caches the compiled program across sequence lengths
    // (otherwise its cache key holds every input shape).
    enableShapeUniforms: true,
  };
}

/** Per backend: the unpacked copy of each packed weight our shaders read, by the weight's dataId. */
const unpackedWeights = new WeakMap<object, Map<object, TensorInfo>>();

/**
 * The unpacked copy of a packed weight, made once per weight tensor: a tensor's values never change
 * under its dataId (a Variable's assign moves it to a new one), so the copy is never stale; copies
 * whose weight is gone are freed here, at the next call that reads a weight.
 */
function unpackedWeight(webgl: WebGLBackendLike, x: TensorInfo): TensorInfo {
  let copies = unpackedWeights.get(webgl);
  if (!copies) unpackedWeights.set(webgl, (copies = new Map()));
  for (const [weight, copy] of copies) {
    if (!webgl.texData.has(weight)) {
      webgl.disposeData(copy.dataId);
      copies.delete(weight);
    }
  }
  let copy = copies.get(x.dataId);
  if (!copy) copies.set(x.dataId, (copy = webgl.unpackTensor(x)));
  webgl.incRef(copy.dataId);
  return { ...copy }; // the caller's reference
}

function webglRunner(backend: GpuBackend): GpuRunner {
  const webgl = backend as WebGLBackendLike;
  const upload = (x: TensorInfo) => {
    const data = webgl.texData.get(x.dataId);
    if (data && data.texture == null && data.values != null && !data.isPacked) webgl.uploadToGPU(x.dataId);
  };
  return {
    backendName: 'webgl',
    backend,
    slicesAreViews: true,
    run: (spec, inputs, uniformValues) =>
      webgl.runWebGLProgram(webglProgram(spec), inputs, 'float32', uniformValues.map((v) => [v])),
    // The backend's matmul writes packed textures; our programs read unpacked ones.
    readable: (x) => {
      if (webgl.texData.get(x.dataId)?.isPacked) return webgl.unpackTensor(x);
      upload(x);
      return x;
    },
    // An optimizer's update writes the weights packed (the backend's packed binary ops).
    readableWeight: (x) => {
      if (webgl.texData.get(x.dataId)?.isPacked) return unpackedWeight(webgl, x);
      upload(x);
      return x;
    },
  };
}

export const webglKernelConfigs: KernelConfig[] = gpuKernelConfigs('webgl', webglRunner);

/** Registers the webgl kernels (idempotent). */
export function registerWebGLKernels(): void {
  for (const config of webglKernelConfigs) {
    if (!getKernel(config.kernelName, config.backendName)) registerKernel(config);
  }
}
