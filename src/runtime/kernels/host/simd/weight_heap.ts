/**
 * A persistent heap in a WebAssembly memory of its own: first-fit over a sorted free list with
 * coalescing, blocks 64-byte aligned (a cache line: a packed weight panel starts on one). Weights
 * prepared for their lifetime live here, freed by `release`, so the memory stops growing once the
 * live weights fit (wasm memory never shrinks; freed blocks are reused). The per-call bump arena of
 * the gate kernels (arena.ts) is another memory and cannot overwrite a block.
 */

const ALIGN = 64;
const PAGE = 65536;

interface Block {
  start: number;
  size: number;
}

export class WeightHeap {
  /** Free blocks below `top`, sorted by start, never adjacent (coalesced). */
  private readonly free: Block[] = [];
  /** Sizes of the live blocks by start. */
  private readonly live = new Map<number, number>();
  /** The end of the highest block ever handed out and not given back. */
  private top = 0;

  constructor(readonly memory: WebAssembly.Memory) {}

  /**
   * The byte offset of a new block of at least `bytes` bytes (its contents undefined). May grow
   * the memory, which detaches every view of it: views are taken after allocating.
   */
  allocate(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const index = this.free.findIndex((block) => block.size >= size);
    if (index >= 0) {
      const block = this.free[index];
      const start = block.start;
      if (block.size === size) this.free.splice(index, 1);
      else {
        block.start += size;
        block.size -= size;
      }
      this.live.set(start, size);
      return start;
    }
    const start = this.top;
    const end = start + size;
    const pages = Math.ceil(end / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.top = end;
    this.live.set(start, size);
    return start;
  }

  /** Gives back the block at `start` (from `allocate`); an unknown start is an error. */
  release(start: number): void {
    const size = this.live.get(start);
    if (size === undefined) throw new Error(`WeightHeap.release: no live block at ${start}`);
    this.live.delete(start);
    if (start + size === this.top) {
      this.top = start;
      // The highest free block now ends at the top: lower the top past it.
      const last = this.free[this.free.length - 1];
      if (last && last.start + last.size === this.top) {
        this.top = last.start;
        this.free.pop();
      }
      return;
    }
    let index = this.free.findIndex((block) => block.start > start);
    if (index < 0) index = this.free.length;
    const before = this.free[index - 1];
    const after = this.free[index];
    if (before && before.start + before.size === start) {
      before.size += size;
      if (after && before.start + before.size === after.start) {
        before.size += after.size;
        this.free.splice(index, 1);
      }
    } else if (after && start + size === after.start) {
      after.start = start;
      after.size += size;
    } else {
      this.free.splice(index, 0, { start, size });
    }
  }

  /** Bytes in live blocks. */
  get liveBytes(): number {
    let bytes = 0;
    for (const size of this.live.values()) bytes += size;
    return bytes;
  }
}
