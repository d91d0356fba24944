import { Recur, isTensor } from './recur.js';

/**
 * Resets every Recur reachable from `model`: the value itself, its own enumerable fields, array
 * elements, Map keys and values and Set members, recursively (cycles are visited once). Tensors
 * and functions are not walked. Returns how many Recurs were reset.
 *
 * @deprecated Pass carries explicitly instead: with the blocked layers of 'rnn-migrate' each call
 * starts from `layer.initialCarry(batchSize)` (the default when no carry is given), so there is no
 * state to reset. `npx rnn-migrate <files>` migrates step loops and their resets.
 */
export function reset(model: unknown): number {
  const visited = new Set<object>();
  const pending: unknown[] = [model];
  let resetCount = 0;
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || visited.has(value)) continue;
    visited.add(value);
    if (value instanceof Recur) {
      value.reset();
      resetCount++;
      continue; // its cell holds weights only
    }
    if (isTensor(value) || ArrayBuffer.isView(value)) continue;
    if (value instanceof Map) {
      for (const [key, entry] of value) pending.push(key, entry);
    } else if (value instanceof Set) {
      for (const entry of value) pending.push(entry);
    } else if (Array.isArray(value)) {
      for (const entry of value) pending.push(entry);
    } else {
      for (const key of Object.keys(value)) pending.push((value as Record<string, unknown>)[key]);
    }
  }
  return resetCount;
}
