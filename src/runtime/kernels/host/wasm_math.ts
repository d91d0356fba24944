/**
 * HostMath on the wasm backend's own matmul: XNNPACK's f32 GEMM (≈ 30–35 GFLOP/s single-threaded
 * with SIMD, against < 1 GFLOP/s for a JS loop), reached through the backend module's raw
 * `_BatchMatMul` export on operands copied into a scratch arena on the wasm heap.
 *
 * Three facts of tfjs-backend-wasm 4.x shape this file:
 * - `_BatchMatMul(aId, aShapePtr, aRank, bId, bShapePtr, bRank, transposeA, transposeB, outId)`
 *   takes *tensor ids*; any heap range can be given an id with `register_tensor(id, size, offset)`
 *   (and released with `dispose_data(id)`, which does not free memory).
 * - Only `transposeA = transposeB = false` with batch 1 goes to XNNPACK; every transposed form
 *   falls back to a naive triple loop 10–20× slower. So transposes are done here, while copying.
 * - XNNPACK packs B once and caches the packed copy under B's id. A B whose values change must
 *   get its id re-registered (dispose_data first), or the stale packing is used.
 *
 * The heap may grow on any malloc (ours or the backend's, XNNPACK's packing included), which
 * replaces the module's HEAPF32 view: it is re-read after every call, never kept.
 */
import type { HostMath, MatmulOptions, PreparedMatmul } from './host_math.js';
import { addInto } from './simd/vector_math.js';
import { buildModule } from './simd/wasm_emitter.js';

/** The parts of the Emscripten module of tfjs-backend-wasm used here. */
export interface WasmBackendModule {
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _BatchMatMul(aId: number, aShape: number, aRank: number, bId: number, bShape: number, bRank: number,
    transposeA: number, transposeB: number, outId: number): void;
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  /** The module's exports; `memory` is the heap itself (Emscripten exports it). */
  asm?: { memory?: WebAssembly.Memory };
}

// Tensor ids far above the backend's own counter (which starts at 1 and counts up).
let nextTensorId = 0x4000_0000;

/** One heap range with a tensor id over it. */
class HeapRegion {
  offset = 0;
  capacity = 0;
  id = 0;
  constructor(private readonly wasm: WasmBackendModule) {}

  /** Room for `size` floats (contents lost when it grows); a fresh id when `renew`. */
  ensure(size: number, renew: boolean): void {
    if (size > this.capacity) {
      if (this.capacity) this.wasm._free(this.offset);
      this.capacity = Math.max(size, Math.ceil(this.capacity * 1.5));
      this.offset = this.wasm._malloc(this.capacity * 4) >>> 0;
      renew = true;
    }
    if (renew || this.id === 0) {
      if (this.id) this.wasm.tfjs.disposeData(this.id);
      this.id = nextTensorId++;
      this.wasm.tfjs.registerTensor(this.id, size, this.offset);
    }
  }

  /** The region as a view of the current heap (valid until the next allocation). */
  view(size: number): Float32Array {
    return this.wasm.HEAPF32.subarray(this.offset >> 2, (this.offset >> 2) + size);
  }

  free(): void {
    if (this.id) this.wasm.tfjs.disposeData(this.id);
    if (this.capacity) this.wasm._free(this.offset);
    this.id = 0;
    this.capacity = 0;
  }
}

/** Writes op(src) as a row-major [rows, cols] matrix into dst; src is [cols, rows] when transposed. */
function copyOperand(src: Float32Array, dst: Float32Array, rows: number, cols: number, transpose: boolean): void {
  if (!transpose) {
    dst.set(src.subarray(0, rows * cols));
    return;
  }
  // Blocked transpose: 32×32 tiles keep both sides in cache.
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) dst[r * cols + c] = src[c * rows + r];
      }
    }
  }
}

/** Whether c (+)= a·b is settled without a product (an empty side; k = 0 leaves zeros or c). */
function isEmptyProduct(c: Float32Array, m: number, k: number, n: number, accumulate: boolean): boolean {
  if (m === 0 || n === 0) return true;
  if (k !== 0) return false;
  if (!accumulate) c.fill(0, 0, m * n);
  return true;
}

/**
 * dst += src over `size` floats at two heap byte offsets: f32x4 adds in a module of ours over the
 * backend's own memory where WebAssembly SIMD is available (a JavaScript loop over a heap view
 * takes ≈ 1.4 ns a float, a noticeable part of a batch-1 step), else that loop.
 */
function heapAdder(wasm: WasmBackendModule): (dst: number, src: number, size: number) => void {
  const memory = wasm.asm?.memory;
  const bytes = buildModule([addInto()]);
  if (memory instanceof WebAssembly.Memory && typeof WebAssembly.validate === 'function' && WebAssembly.validate(bytes)) {
    const add = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.add_into as (dst: number, src: number, bytes: number) => void;
    return (dst, src, size) => {
      const whole = size & ~3;
      add(dst, src, whole * 4);
      if (whole < size) addFloats(wasm.HEAPF32, dst >> 2, src >> 2, whole, size);
    };
  }
  return (dst, src, size) => addFloats(wasm.HEAPF32, dst >> 2, src >> 2, 0, size);
}

function addFloats(heap: Float32Array, dst: number, src: number, from: number, to: number): void {
  for (let i = from; i < to; i++) heap[dst + i] += heap[src + i];
}

function copyResult(src: Float32Array, c: Float32Array, size: number, accumulate: boolean): void {
  if (!accumulate) {
    c.set(src.subarray(0, size));
    return;
  }
  for (let i = 0; i < size; i++) c[i] += src[i];
}

export interface WasmHostMath extends HostMath {
  /**
   * c[m×n] (+)= A·B for two tensors of the wasm backend given by their tensor ids (A [m, k], B
   * [k, n], row-major): read where the backend keeps them, no copy in. XNNPACK packs B once and
   * keeps the packing under B's id until the backend disposes that tensor (dispose_data), so a
   * weight multiplied at every step is packed once for its lifetime, with no cache of ours.
   */
  multiplyTensors(aId: number, bId: number, c: Float32Array, m: number, k: number, n: number, accumulate?: boolean): void;
  /**
   * c[m×n] (+)= a·B for B [k, n] a tensor of the backend given by its id and `a` copied in (m·k
   * floats: a carry per step, small beside B): B is read where the backend keeps it and packed by
   * XNNPACK once for its lifetime, as in multiplyTensors.
   */
  multiplyByTensor(a: Float32Array, bId: number, c: Float32Array, m: number, k: number, n: number, accumulate?: boolean): void;
  /**
   * c[m×n] = A·B + A2·B2 for tensors of the backend by id (A [m, k], B [k, n], A2 [m, k2], B2
   * [k2, n]), both as in multiplyTensors, summed on the heap: a step's x·K + h·R.
   */
  multiplyTensorsSum(aId: number, bId: number, k: number, a2Id: number, b2Id: number, k2: number, c: Float32Array, m: number, n: number): void;
  prepareRight(b: Float32Array, k: number, n: number, options?: { transposeB?: boolean }): PreparedMatmul;
  /** Bytes this instance holds on the wasm heap (scratch arena and prepared operands). */
  heapBytes(): number;
}

export function createWasmHostMath(wasm: WasmBackendModule): WasmHostMath {
  const shapes = wasm._malloc(6 * 4) >>> 0; // [1, m, k] and [1, k, n] as int32
  const a = new HeapRegion(wasm);
  const b = new HeapRegion(wasm);
  const out = new HeapRegion(wasm);
  const second = new HeapRegion(wasm);
  const live = new Set<HeapRegion>([a, b, out, second]);
  let addOnHeap: ReturnType<typeof heapAdder> | undefined;

  const multiply = (aId: number, bId: number, outId: number, m: number, k: number, n: number) => {
    const heap32 = wasm.HEAP32;
    const s = shapes >> 2;
    heap32[s] = 1; heap32[s + 1] = m; heap32[s + 2] = k;
    heap32[s + 3] = 1; heap32[s + 4] = k; heap32[s + 5] = n;
    wasm._BatchMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, outId);
  };

  return {
    matmul(aValues, bValues, c, m, k, n, { transposeA = false, transposeB = false, accumulate = false }: MatmulOptions = {}) {
      if (isEmptyProduct(c, m, k, n, accumulate)) return;
      // Allocate everything first: a later malloc may grow the heap and detach earlier views.
      a.ensure(m * k, false);
      b.ensure(k * n, true); // new values under this id: XNNPACK must repack
      out.ensure(m * n, false);
      copyOperand(aValues, a.view(m * k), m, k, transposeA);
      copyOperand(bValues, b.view(k * n), k, n, transposeB);
      multiply(a.id, b.id, out.id, m, k, n);
      copyResult(out.view(m * n), c, m * n, accumulate);
    },

    prepareRight(bValues, k, n, { transposeB = false } = {}) {
      const right = new HeapRegion(wasm);
      const left = new HeapRegion(wasm);
      const result = new HeapRegion(wasm);
      for (const r of [right, left, result]) live.add(r);
      right.ensure(k * n, true);
      copyOperand(bValues, right.view(k * n), k, n, transposeB);
      return {
        run(aValues, c, m, accumulate = false) {
          left.ensure(m * k, false);
          result.ensure(m * n, false);
          left.view(m * k).set(aValues.subarray(0, m * k));
          multiply(left.id, right.id, result.id, m, k, n);
          copyResult(result.view(m * n), c, m * n, accumulate);
        },
        release() {
          for (const r of [right, left, result]) {
            r.free();
            live.delete(r);
          }
        },
      };
    },

    multiplyTensors(aId, bId, c, m, k, n, accumulate = false) {
      if (isEmptyProduct(c, m, k, n, accumulate)) return;
      out.ensure(m * n, false);
      multiply(aId, bId, out.id, m, k, n);
      copyResult(out.view(m * n), c, m * n, accumulate);
    },

    multiplyTensorsSum(aId, bId, k, a2Id, b2Id, k2, c, m, n) {
      if (k === 0 || k2 === 0 || m === 0 || n === 0) {
        this.multiplyTensors(aId, bId, c, m, k, n);
        this.multiplyTensors(a2Id, b2Id, c, m, k2, n, true);
        return;
      }
      out.ensure(m * n, false);
      second.ensure(m * n, false);
      multiply(aId, bId, out.id, m, k, n);
      multiply(a2Id, b2Id, second.id, m, k2, n);
      addOnHeap ??= heapAdder(wasm);
      addOnHeap(out.offset, second.offset, m * n);
      copyResult(out.view(m * n), c, m * n, false);
    },

    multiplyByTensor(aValues, bId, c, m, k, n, accumulate = false) {
      if (isEmptyProduct(c, m, k, n, accumulate)) return;
      a.ensure(m * k, false);
      out.ensure(m * n, false);
      a.view(m * k).set(aValues.subarray(0, m * k));
      multiply(a.id, bId, out.id, m, k, n);
      copyResult(out.view(m * n), c, m * n, accumulate);
    },

    heapBytes() {
      let bytes = 24;
      for (const r of live) bytes += r.capacity * 4;
      return bytes;
    },
  };
}
