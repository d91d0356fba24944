/**
 * How a host kernel reads its inputs and hands back its outputs on a given tfjs backend: the only
 * backend-specific part of the host kernels.
 */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import type { HostMath, PreparedMatmul } from './host_math.js';
import { isArenaView } from './simd/arena.js';
import { simdHostMath } from './simd/simd_host_math.js';
import { createWasmHostMath, type WasmBackendModule, type WasmHostMath } from './wasm_math.js';

export interface HostTensorIO {
  /** The values of `tensor` as float32 (never mutated by the kernels). */
  read(backend: KernelBackend, tensor: TensorInfo): Float32Array;
  /**
   * The values of `tensor` where the backend keeps them, without a copy: valid until the backend
   * next allocates (a wasm heap view is detached when the heap grows). Absent where `read` is free.
   */
  view?(backend: KernelBackend, tensor: TensorInfo): Float32Array;
  /** A new float32 output of `shape` holding `values` (ownership of `values` may pass on). */
  write(backend: KernelBackend, shape: number[], values: Float32Array): TensorInfo;
  /**
   * A new float32 tensor of `size` elements whose values are undefined until `fill`: the workspace
   * buffer a sequence op allocates before the kernel (kernel_configs.ts registers the allocator).
   */
  allocate(backend: KernelBackend, size: number): TensorInfo;
  /**
   * Puts `values` into the existing float32 tensor `target`, in place, from its first element
   * (`values` may be shorter): the workspace buffer, which its Grad kernel may overwrite with
   * dInputProjection.
   */
  fill(backend: KernelBackend, target: TensorInfo, values: Float32Array): void;
  /** The backend's own matmul where it has a faster one than the JS GEMM. */
  math?(backend: KernelBackend): HostMath | undefined;
  /**
   * c[m×n] (+)= a·b for two float32 tensors of the backend (a [m, k], b [k, n]) read where the
   * backend keeps them, with the backend's matmul (`math`); false when it cannot (the caller then
   * reads both and multiplies). Where `read` is free (cpu) there is nothing to add.
   */
  product?(backend: KernelBackend, a: TensorInfo, b: TensorInfo, c: Float32Array, accumulate?: boolean): boolean;
  /**
   * c[m×n] = a·b + a2·b2 as `product` does each (a [m, k], a2 [m, k2]), summed where the backend
   * keeps them; false when it cannot.
   */
  productSum?(backend: KernelBackend, a: TensorInfo, b: TensorInfo, a2: TensorInfo, b2: TensorInfo, c: Float32Array): boolean;
  /**
   * The float32 tensor `b` [k, n] as the right operand of many products, read where the backend
   * keeps it (never copied or repacked per call: wasm's XNNPACK keeps its packing of b for b's
   * lifetime); undefined when the backend cannot. `release()` frees nothing of b's.
   */
  tensorRight?(backend: KernelBackend, b: TensorInfo): PreparedMatmul | undefined;
}

function readFloat32(backend: KernelBackend, tensor: TensorInfo): Float32Array {
  const values = backend.readSync(tensor.dataId);
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

interface CpuBackendWriter {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/** tfjs-backend-cpu: readSync returns the tensor's own array; makeTensorInfo adopts `values`. */
export const cpuTensorIO: HostTensorIO = {
  read: readFloat32,
  write(backend, shape, values) {
    const cpu = backend as unknown as CpuBackendWriter;
    // The tensor adopts its array: a view of the SIMD arena is reused by the next kernel call.
    return cpu.makeTensorInfo(shape, 'float32', isArenaView(values) ? values.slice() : values);
  },
  allocate(backend, size) {
    // Zeros here are free (a fresh typed array); fill adopts the kernel's array in their place.
    return (backend as unknown as CpuBackendWriter).makeTensorInfo([size], 'float32', new Float32Array(size));
  },
  fill(backend, target, values) {
    // The tensor adopts the array (its own zeros are dropped); only its dataId's record changes.
    const data = (backend as unknown as { data: { get(id: object): { values: unknown } | undefined } }).data.get(target.dataId);
    const current = data?.values as Float32Array | undefined;
    if (!data || !current || current.length < values.length) throw new Error('fill: the target is smaller than the values');
    if (values === current) return;
    if (current.length === values.length) data.values = isArenaView(values) ? values.slice() : values;
    else current.set(values);
  },
  // The WebAssembly SIMD product where it compiles (weights packed once per lifetime), else the JS GEMM.
  math: () => simdHostMath() ?? undefined,
};

/**
 * tfjs-backend-wasm: readSync copies out of the wasm heap (a view would be detached when the
 * heap grows while outputs are allocated); makeOutput mallocs on the heap and copies `values` in.
 */
export const wasmTensorIO: HostTensorIO = {
  read: readFloat32,
  view(backend, tensor) {
    return (backend as unknown as { typedArrayFromHeap(t: TensorInfo): Float32Array }).typedArrayFromHeap(tensor);
  },
  write(backend, shape, values) {
    const wasm = backend as unknown as {
      makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
    };
    return wasm.makeOutput(shape, 'float32', undefined, values);
  },
  allocate(backend, size) {
    // makeOutput without values: heap memory is malloc'd, not zeroed or copied into.
    return (backend as unknown as { makeOutput(shape: number[], dtype: 'float32'): TensorInfo }).makeOutput([size], 'float32');
  },
  fill(backend, target, values) {
    const heap = wasmTensorIO.view!(backend, target);
    if (heap.length < values.length) throw new Error('fill: the target is smaller than the values');
    heap.set(values);
  },
  math(backend) {
    const module = (backend as unknown as { wasm?: WasmBackendModule }).wasm;
    if (!module?._BatchMatMul || !module.tfjs?.registerTensor) return undefined; // not the module we know
    let math = wasmMathByModule.get(module);
    if (!math) {
      math = createWasmHostMath(module);
      wasmMathByModule.set(module, math);
    }
    return math;
  },
  product(backend, a, b, c, accumulate = false) {
    const math = wasmTensorIO.math!(backend) as WasmHostMath | undefined;
    const aId = wasmTensorId(backend, a);
    const bId = wasmTensorId(backend, b);
    if (!math || aId === undefined || bId === undefined) return false;
    // All but a's last axis are rows: a sequence's x [B, T, D] is [B·T, D] in its own layout.
    let m = 1;
    for (let axis = 0; axis < a.shape.length - 1; axis++) m *= a.shape[axis];
    math.multiplyTensors(aId, bId, c, m, b.shape[0], b.shape[1], accumulate);
    return true;
  },
  productSum(backend, a, b, a2, b2, c) {
    const math = wasmTensorIO.math!(backend) as WasmHostMath | undefined;
    const [aId, bId, a2Id, b2Id] = [wasmTensorId(backend, a), wasmTensorId(backend, b), wasmTensorId(backend, a2), wasmTensorId(backend, b2)];
    if (!math || aId === undefined || bId === undefined || a2Id === undefined || b2Id === undefined || a.shape.length !== 2 || a2.shape.length !== 2) return false;
    math.multiplyTensorsSum(aId, bId, b.shape[0], a2Id, b2Id, b2.shape[0], c, a.shape[0], b.shape[1]);
    return true;
  },
  tensorRight(backend, b) {
    const math = wasmTensorIO.math!(backend) as WasmHostMath | undefined;
    const bId = wasmTensorId(backend, b);
    if (!math || bId === undefined || b.shape.length !== 2) return undefined;
    const [k, n] = b.shape;
    return { run: (a, c, m, accumulate = false) => math.multiplyByTensor(a, bId, c, m, k, n, accumulate), release() {} };
  },
};

/** The wasm backend's tensor id of `t` (what its exported kernels take), or undefined. */
function wasmTensorId(backend: KernelBackend, t: TensorInfo): number | undefined {
  const ids = (backend as unknown as { dataIdMap?: { get(dataId: object): { id: number } | undefined } }).dataIdMap;
  return ids?.get(t.dataId)?.id;
}

/** One wasm HostMath (and its heap arena) per backend instance's module. */
const wasmMathByModule = new WeakMap<WasmBackendModule, WasmHostMath>();
