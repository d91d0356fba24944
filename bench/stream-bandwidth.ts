/**
 * The read bandwidth a batch-1 step can hope for, at the step's own working set: a WebAssembly SIMD
 * loop that only reads (four f32x4 accumulators, 64 bytes per iteration) over a buffer of the
 * weights' size, kept hot between passes as a step's weights are between steps. Its time is the
 * floor of any kernel that reads those bytes once: below the last-level cache it is the cache's
 * bandwidth, above it the memory's. A limit measured with one large copy (DRAM only) would make a
 * kernel that tracks the hardware look twice as efficient in cache as out of it.
 */
import { performance } from 'node:perf_hooks';
import { buildModule, Code, ValueTypes } from '../src/runtime/kernels/host/simd/wasm_emitter.js';

const { i32, v128 } = ValueTypes;

/** read(start, end, out): sums the f32x4s of [start, end) into out, 64 bytes at a time. */
function readKernel(): Uint8Array<ArrayBuffer> {
  const [start, end, out] = [0, 1, 2];
  const accumulators = [3, 4, 5, 6];
  const body = new Code();
  body.loop((c) => {
    accumulators.forEach((acc, i) => c.get(acc).get(start).load(16 * i).add().set(acc));
    c.get(start).i32(64).i32Add().tee(start).get(end).i32LtU().brIf(0);
  });
  body.get(out).get(accumulators[0]).get(accumulators[1]).add().get(accumulators[2]).add().get(accumulators[3]).add().store();
  return buildModule([{ name: 'read', params: [i32, i32, i32], locals: [v128, v128, v128, v128], body }]);
}

export interface StreamBandwidth {
  /** Bytes per second reading `bytes` (rounded down to 64) in repeated hot passes, best of `passes`. */
  at(bytes: number): number;
}

/** A reader over up to `maxBytes`; null where WebAssembly SIMD is unavailable. */
export function streamBandwidth(maxBytes: number, passes = 7): StreamBandwidth | null {
  const bytes = readKernel();
  if (!WebAssembly.validate(bytes)) return null;
  const pages = Math.ceil((maxBytes + 64) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages });
  // Non-zero data: a page never written may be served by the zero page, not by memory.
  new Float32Array(memory.buffer).fill(1);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const read = exports.read as (start: number, end: number, out: number) => void;
  const out = pages * 65536 - 16;
  return {
    at(size: number) {
      const n = Math.max(64, Math.floor(Math.min(size, maxBytes) / 64) * 64);
      // Enough passes per timing that the timer's resolution does not matter (≥ ~1 ms).
      const repeat = Math.max(1, Math.ceil(2 ** 24 / n));
      read(0, n, out);
      let fastest = Infinity;
      for (let p = 0; p < passes; p++) {
        const t0 = performance.now();
        for (let r = 0; r < repeat; r++) read(0, n, out);
        fastest = Math.min(fastest, (performance.now() - t0) / repeat);
      }
      return n / (fastest / 1000);
    },
  };
}
