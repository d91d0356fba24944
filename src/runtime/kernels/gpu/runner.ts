/**
 * What the GPU sequence kernels need from a backend: run one of our shaders (shaders.ts), and call
 * the backend's own kernels (matmul, transpose, concat, slice, sum) by name through the kernel
 * registry, so the user's copy of @tensorflow/tfjs-backend-webgl / -webgpu does the work and this
 * package never imports a backend at runtime.
 */
import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { ShaderSpec } from './shaders.js';

/** The part of the webgl and webgpu backends' surface the kernels use. */
export interface GpuBackend extends KernelBackend {
  /** Without values: a tensor that programs will write (webgpu allocates its buffer on first use). */
  makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

export interface GpuRunner {
  readonly backendName: string;
  readonly backend: GpuBackend;
  /** Whether the backend's Slice of a contiguous range is a view (webgl) rather than a copy program (webgpu). */
  readonly slicesAreViews: boolean;
  /** Runs `spec` on flat inputs; returns its flat float32 output [spec.outputSize]. */
  run(spec: ShaderSpec, inputs: TensorInfo[], uniformValues: number[]): TensorInfo;
  /**
   * `x` in the form our shaders read, for a tensor they read many times (webgl: unpacked once,
   * where the backend would unpack a packed input again for every program reading it); owned by
   * the caller when it is not `x`.
   */
  readable(x: TensorInfo): TensorInfo;
  /**
   * `readable` for a weight, which later calls read again: a form made for it (webgl: the unpacked
   * copy of a packed weight, as an optimizer's update leaves it) is kept as long as the weight
   * tensor lives, not made again by every call (or every step of a sampling loop). Owned by the
   * caller when it is not `x` (the kept form has a reference of its own).
   */
  readableWeight(x: TensorInfo): TensorInfo;
  /**
   * Where the backend can (webgpu): runs `spec` writing its output into `target` from element
   * `at` on instead of into a new tensor, the inputs named in `fromTarget` read from `target`
   * itself (one program may not bind a buffer both as its output and as an input); `inputs` are
   * the other inputs, in the spec's order. A time loop then writes every step's output into one
   * tensor, where a backend that writes whole tensors (webgl) concatenates T of them after it.
   */
  runInto?(spec: ShaderSpec, inputs: TensorInfo[], uniformValues: number[], target: TensorInfo, at: number, fromTarget: string[]): void;
}

/**
 * Backend kernels plus a list of the intermediates they produced, disposed together at the end
 * of a kernel (except what the kernel returns).
 */
export class GpuScope {
  private readonly intermediates: TensorInfo[] = [];

  constructor(readonly runner: GpuRunner) {}

  track(info: TensorInfo): TensorInfo {
    this.intermediates.push(info);
    return info;
  }

  /** Disposes every tracked tensor except `keep`. */
  close(keep: TensorInfo[]): void {
    // By object, not dataId: a reshape shares its input's data (with one more reference).
    const kept = new Set(keep);
    for (const info of this.intermediates) {
      if (!kept.has(info)) this.runner.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
  }

  /** Disposes one tracked tensor early. */
  release(info: TensorInfo): void {
    const at = this.intermediates.indexOf(info);
    if (at < 0) return;
    this.intermediates.splice(at, 1);
    this.runner.backend.disposeData(info.dataId);
  }

  /** A point to release back to (see releaseSince). */
  mark(): number {
    return this.intermediates.length;
  }

  /**
   * Disposes what was tracked since `mark` except `keep`: a time loop's per-step temporaries go
   * as soon as the step is done, so the kernel's peak memory does not grow with the sequence.
   */
  releaseSince(mark: number, keep: Array<TensorInfo | undefined>): void {
    const kept = new Set(keep);
    const recent = this.intermediates.splice(mark);
    for (const info of recent) {
      if (kept.has(info)) this.intermediates.push(info);
      else this.runner.backend.disposeData(info.dataId);
    }
  }

  /**
   * Runs a shader on the named tensors it declares (a shader declares only what it reads: WebGPU
   * drops unused bindings from the pipeline layout, and binding them is a validation error).
   */
  shader(spec: ShaderSpec, available: Record<string, TensorInfo | undefined>, uniformValues: number[]): TensorInfo {
    return this.track(this.runner.run(spec, this.inputsOf(spec, available, uniformValues), uniformValues));
  }

  /** The inputs `spec` declares, in its order, out of `available`; checks the uniforms' count. */
  private inputsOf(spec: ShaderSpec, available: Record<string, TensorInfo | undefined>, uniformValues: number[]): TensorInfo[] {
    if (uniformValues.length !== spec.uniforms.length) {
      throw new Error(`rnn-migrate: shader ${spec.key} takes uniforms ${spec.uniforms.join(', ')}`);
    }
    return spec.variableNames.map((name) => {
      const input = available[name];
      if (!input) throw new Error(`rnn-migrate: shader ${spec.key} reads '${name}', which was not given`);
      return input;
    });
  }

  /**
   * Runs a shader writing into `target` from element `at` on (GpuRunner.runInto); the inputs named
   * in `fromTarget` are read from `target` itself, at the offsets the spec's uniforms give.
   */
  shaderInto(target: TensorInfo, at: number, spec: ShaderSpec, available: Record<string, TensorInfo | undefined>, uniformValues: number[], fromTarget: string[]): void {
    if (!this.runner.runInto) throw new Error(`rnn-migrate: the ${this.runner.backendName} backend cannot write into part of a tensor`);
    const bound = { ...available };
    for (const name of fromTarget) bound[name] = target;
    const inputs = this.inputsOf(spec, bound, uniformValues).filter((_, i) => !fromTarget.includes(spec.variableNames[i]));
    this.runner.runInto(spec, inputs, uniformValues, target, at, fromTarget);
  }

  /** A new float32 tensor of `shape` whose values programs will write (GpuScope.shaderInto). */
  allocate(shape: number[]): TensorInfo {
    return this.track(this.runner.backend.makeTensorInfo(shape, 'float32'));
  }

  private kernel(name: string, inputs: TensorInfo[] | Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
    const config = getKernel(name, this.runner.backendName);
    if (!config) throw new Error(`rnn-migrate: the ${this.runner.backendName} backend has no '${name}' kernel`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const out = config.kernelFunc({ inputs: inputs as any, attrs, backend: this.runner.backend }) as TensorInfo;
    return this.track(out);
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.kernel('Reshape', { x }, { shape });
  }

  flat(x: TensorInfo): TensorInfo {
    return this.reshape(x, [x.shape.reduce((a, b) => a * b, 1)]);
  }

  matMul(a: TensorInfo, b: TensorInfo, transposeA = false, transposeB = false): TensorInfo {
    return this.kernel('BatchMatMul', { a, b }, { transposeA, transposeB });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.kernel('Transpose', { x }, { perm });
  }

  concat(xs: TensorInfo[], axis: number): TensorInfo {
    // One tensor: a reshape shares it, where webgl's Concat would clone it.
    if (xs.length === 1) return this.reshape(xs[0], xs[0].shape);
    return this.kernel('Concat', xs, { axis });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    // All of x: a reshape shares its data, where webgpu's Slice would copy it.
    if (size.every((n, i) => begin[i] === 0 && n === x.shape[i])) return this.reshape(x, size);
    return this.kernel('Slice', { x }, { begin, size });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.kernel('Sum', { x }, { axis, keepDims: false });
  }

  /** `x` in the form our shaders read (GpuRunner.readable), tracked when it is a new tensor. */
  readable(x: TensorInfo): TensorInfo {
    const out = this.runner.readable(x);
    return out === x ? x : this.track(out);
  }

  /** `x` in the form our shaders read, kept across calls (GpuRunner.readableWeight). */
  readableWeight(x: TensorInfo): TensorInfo {
    const out = this.runner.readableWeight(x);
    return out === x ? x : this.track(out);
  }

  empty(): TensorInfo {
    return this.track(this.runner.backend.makeTensorInfo([0], 'float32', new Float32Array(0)));
  }
}
