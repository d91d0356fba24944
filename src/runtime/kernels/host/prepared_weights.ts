/**
 * Prepared (packed, transposed, on the wasm heap) right operands kept across kernel calls for the
 * same weight tensors. The legacy Recur loop runs one step kernel per timestep with the same K and
 * R: preparing [K; R] and Rᵀ once per call is what made a step cost ~4× its matmul.
 *
 * Keys are the weight tensors' dataIds: tfjs never changes a dataId's values (a Variable's assign
 * gives it a new dataId), so a hit is always current. Entries hold at most BUDGET_BYTES in all,
 * least recently used first out, and are released (their heap memory freed) on eviction; they are
 * not counted by tf.memory(). Only the step kernels use it: a sequence prepares its weights once
 * per call anyway, and in training every step brings new weights.
 */
import type { HostMath, PreparedMatmul } from './host_math.js';

/** Bytes of prepared operands kept (XNNPACK keeps a packed copy of each on the wasm heap as well). */
const BUDGET_BYTES = 16 * 2 ** 20;

interface Entry {
  prepared: PreparedMatmul;
  bytes: number;
}

/** Small integers for dataId objects (held weakly: a disposed tensor's id is never reused). */
const idOf = new WeakMap<object, number>();
let nextId = 1;
function idFor(dataId: object): number {
  let id = idOf.get(dataId);
  if (id === undefined) {
    id = nextId++;
    idOf.set(dataId, id);
  }
  return id;
}

/** One cache per base HostMath (its prepared operands belong to it). */
const caches = new WeakMap<HostMath, Map<string, Entry>>();

function release(cache: Map<string, Entry>, key: string): void {
  cache.get(key)!.prepared.release();
  cache.delete(key);
}

/**
 * `math` with `prepareRight` served from the cache for operands derived only from the tensors with
 * these dataIds (and the shape and transpose asked for). A prepared operand handed out by the
 * wrapper outlives its `release()`, which becomes a no-op. Where `math` has no `prepareRight` of
 * its own, nothing is cached (preparing is then free).
 */
export function withPreparedWeights(math: HostMath, dataIds: object[]): HostMath {
  const prepare = math.prepareRight?.bind(math);
  if (!prepare) return math;
  let cache = caches.get(math);
  if (!cache) {
    cache = new Map();
    caches.set(math, cache);
  }
  const weights = dataIds.map(idFor).join(',');
  const entries = cache;
  return {
    matmul: math.matmul.bind(math),
    prepareRight(b, k, n, options = {}) {
      const key = `${weights}|${k}x${n}${options.transposeB ? 'ᵀ' : ''}`;
      let entry = entries.get(key);
      if (entry) {
        entries.delete(key); // re-inserted below: most recently used last
      } else {
        // A copy: a HostMath may keep `b` itself until release, and the callers' `b` (a scratch
        // buffer, a copy read for this call) is not theirs to keep across calls.
        const prepared = prepare(b.slice(0, k * n), k, n, options);
        const bytes = 4 * k * n;
        if (bytes > BUDGET_BYTES) return prepared; // too large to keep: the caller releases it
        let total = bytes;
        for (const e of entries.values()) total += e.bytes;
        for (const oldest of entries.keys()) {
          if (total <= BUDGET_BYTES) break;
          total -= entries.get(oldest)!.bytes;
          release(entries, oldest);
        }
        entry = { prepared, bytes };
      }
      entries.set(key, entry);
      const { prepared } = entry;
      return { run: (a, c, m, accumulate) => prepared.run(a, c, m, accumulate), release() {} };
    },
  };
}
