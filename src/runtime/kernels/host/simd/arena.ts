/**
 * The arena of the SIMD gate kernels: every buffer a SIMD kernel call touches lives in the
 * kernels' own memory, allocated at once per call.
 */
import { compiledSimdGateKernels, type SimdGateKernels } from './gate_kernels.js';

/** A region of the kernels' memory: its byte offset and a view (valid until the next `allocate`). */
export interface ArenaBuffer {
  ptr: number;
  view: Float32Array;
}

/**
 * Bump allocation in the kernels' memory, all at once per kernel call: growing the memory
 * detaches every earlier view, so a kernel asks for all its buffers in one `allocate`, which
 * invalidates the buffers of the previous call. Kernels never run concurrently.
 */
export function allocate(kernels: SimdGateKernels, sizes: number[]): ArenaBuffer[] {
  const offsets: number[] = [];
  let top = 0;
  for (const size of sizes) {
    offsets.push(top);
    top += Math.ceil(size / 4) * 16; // 16-byte aligned
  }
  const needed = Math.ceil(top / 65536) - kernels.memory.buffer.byteLength / 65536;
  if (needed > 0) kernels.memory.grow(needed);
  const buffer = kernels.memory.buffer;
  return sizes.map((size, i) => ({ ptr: offsets[i], view: new Float32Array(buffer, offsets[i], size) }));
}

/** `count` floats of `buffer` from float index `start`, as an ArenaBuffer of its own. */
export function subBuffer(buffer: ArenaBuffer, start: number, count: number): ArenaBuffer {
  return { ptr: buffer.ptr + start * 4, view: buffer.view.subarray(start, start + count) };
}

/**
 * Whether `values` is a view of the kernels' arena. The SIMD forward kernels return such views
 * (valid until the next host kernel call): an output writer that keeps the array must copy it.
 */
export function isArenaView(values: Float32Array): boolean {
  const kernels = compiledSimdGateKernels();
  return kernels !== null && values.buffer === kernels.memory.buffer;
}
