/**
 * Transient buffers reused across host kernel calls. A fresh multi-MiB Float32Array per call is
 * garbage the collector pays for (≈ 2 ms of an LSTM 32×64×64×128 training step); the kernels run
 * one at a time, and each slot serves one purpose within one call, so a slot can be reused.
 */
const slots = new Map<string, Float32Array>();

/** At least `size` floats for `slot`; contents undefined, valid until the slot is asked for again. */
export function scratch(slot: string, size: number): Float32Array {
  let buffer = slots.get(slot);
  if (!buffer || buffer.length < size) {
    buffer = new Float32Array(size);
    slots.set(slot, buffer);
  }
  return buffer.subarray(0, size);
}
