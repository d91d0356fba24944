/**
 * The persistent heap of the SIMD product (simd/weight_heap.ts): blocks never overlap while live,
 * freed blocks are reused (first fit, neighbours coalesced), the memory grows only when nothing
 * free fits, and releasing what was not allocated is an error.
 */
import { describe, expect, it } from 'vitest';
import { WeightHeap } from '../../../../../src/runtime/kernels/host/simd/weight_heap.js';

const newHeap = () => new WeightHeap(new WebAssembly.Memory({ initial: 1 }));

describe('WeightHeap', () => {
  it('hands out 64-byte aligned blocks that do not overlap, and grows the memory to fit them', () => {
    const heap = newHeap();
    const sizes = [1, 64, 65, 70000, 3, 200000];
    const blocks = sizes.map((bytes) => ({ start: heap.allocate(bytes), bytes }));
    for (const b of blocks) expect(b.start % 64).toBe(0);
    const sorted = [...blocks].sort((x, y) => x.start - y.start);
    sorted.slice(1).forEach((b, i) => expect(b.start).toBeGreaterThanOrEqual(sorted[i].start + sorted[i].bytes));
    const last = sorted[sorted.length - 1];
    expect(heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(last.start + last.bytes);
    // Written through one view, read back through another: the blocks are real memory.
    const view = new Uint8Array(heap.memory.buffer);
    blocks.forEach((b, i) => view.fill(i + 1, b.start, b.start + b.bytes));
    blocks.forEach((b, i) => expect(view.subarray(b.start, b.start + b.bytes).every((v) => v === i + 1)).toBe(true));
  });

  it('reuses freed blocks (coalesced with free neighbours) before growing', () => {
    const heap = newHeap();
    const [a, b, c, d] = [heap.allocate(4096), heap.allocate(4096), heap.allocate(4096), heap.allocate(64)];
    const bytes = heap.memory.buffer.byteLength;
    heap.release(b);
    heap.release(a); // coalesces with b: 8192 bytes free from a
    expect(heap.allocate(8192)).toBe(a);
    heap.release(c);
    expect(heap.allocate(100)).toBe(c); // first fit, the rest of c's block stays free
    expect(heap.allocate(3900)).toBe(c + 128); // 3904 of the 3968 left
    expect(heap.memory.buffer.byteLength).toBe(bytes);
    expect(heap.liveBytes).toBe(8192 + 128 + 3904 + 64);
    heap.release(d); // the top block: the top falls past it and the free 64 bytes left of c
    expect(heap.allocate(128)).toBe(c + 128 + 3904);
  });

  it('releasing the top block lowers the top past free blocks below it', () => {
    const heap = newHeap();
    const [a, b, c] = [heap.allocate(1000), heap.allocate(1000), heap.allocate(1000)];
    heap.release(b);
    heap.release(c); // b and c free at the top: the next large block starts at b
    expect(heap.allocate(5000)).toBe(b);
    heap.release(a);
    expect(heap.allocate(64)).toBe(a);
  });

  it('rejects a release of a block it did not hand out, or one already released', () => {
    const heap = newHeap();
    const a = heap.allocate(64);
    expect(() => heap.release(a + 64)).toThrow(/no live block/);
    heap.release(a);
    expect(() => heap.release(a)).toThrow(/no live block/);
  });
});
