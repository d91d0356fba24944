/**
 * Prepared (packed, transposed, on the wasm heap) right operands kept across kernel calls for the
 * same weight tensors: the backward of a step (Rᵀ) runs once per timestep with the same R, and
 * preparing it per call made a step cost ~4× its matmul.
 *
 * Keys are the weight tensors' dataIds: tfjs never changes a live dataId's values (a Variable's
 * assign gives it a new dataId), so a hit is always current. An entry lives exactly as long as its
 * tensors: it is released (its heap memory freed) at the first call after one of them is disposed
 * (the backend no longer counts a reference to it, or its dataId was collected). There is no size
 * budget, hence no size past which every step prepares again: what is kept is at most one prepared
 * copy per live weight. Entries are not counted by tf.memory().
 */
import { prepareRight, type HostMath, type PreparedMatmul } from './host_math.js';

/** Whether the tensor data behind `dataId` is still live on its backend. */
export type LivenessCheck = (dataId: object) => boolean;

interface Entry {
  prepared: PreparedMatmul;
  /** What callers get: `prepared` with a no-op release (the entry releases it). */
  handedOut: PreparedMatmul;
  /** Held weakly: a kept operand must not keep a disposed tensor's dataId alive. */
  weights: WeakRef<object>[];
  isLive: LivenessCheck;
}

/** Where a prepared operand's values come from: asked only when it is prepared. */
export interface OperandSource {
  /**
   * The values of op(b)'s b for the form asked for (preparedOperand's `form`), possibly a view of
   * the backend's memory: copied at once.
   */
  values(form: string): Float32Array;
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

/** Releases the entries any of whose weights is gone. */
function sweep(cache: Map<string, Entry>): void {
  for (const [key, entry] of cache) {
    const live = entry.weights.every((ref) => {
      const dataId = ref.deref();
      return dataId !== undefined && entry.isLive(dataId);
    });
    if (live) continue;
    entry.prepared.release();
    cache.delete(key);
  }
}

function cacheFor(math: HostMath): Map<string, Entry> {
  let cache = caches.get(math);
  if (!cache) {
    cache = new Map();
    caches.set(math, cache);
  }
  return cache;
}

/**
 * The prepared form `form` (a name for how it derives from the weights: 'R', 'K;R'…) of op(b)
 * [k×n], where b derives only from the tensors with these dataIds: from the cache while they live,
 * else prepared from `source.values(form)`, which is asked only then. A step reads its weights
 * where the backend keeps them and asks for their values once per weight lifetime. Where `math`
 * has no `prepareRight`, every call reads the values and multiplies with plain matmuls.
 */
export function preparedOperand(math: HostMath, dataIds: object[], isLive: LivenessCheck, form: string, source: OperandSource, k: number, n: number,
  options: { transposeB?: boolean } = {}): PreparedMatmul {
  const prepare = math.prepareRight?.bind(math);
  // A copy: the values may be a view of the backend's memory (valid until it next allocates).
  if (!prepare) return prepareRight(math, source.values(form).slice(0, k * n), k, n, options);
  const entries = cacheFor(math);
  sweep(entries);
  let key = form;
  for (const dataId of dataIds) key += `|${idFor(dataId)}`;
  key += `|${k}x${n}${options.transposeB ? 'ᵀ' : ''}`;
  let entry = entries.get(key);
  if (!entry) {
    // A copy: a HostMath may keep `b` itself until release, and the callers' `b` (a scratch
    // buffer, a copy read for this call) is not theirs to keep across calls.
    const prepared = prepare(source.values(form).slice(0, k * n), k, n, options);
    const handedOut = { run: prepared.run.bind(prepared), release() {} };
    entry = { prepared, handedOut, weights: dataIds.map((id) => new WeakRef(id)), isLive };
    entries.set(key, entry);
  }
  return entry.handedOut;
}

/**
 * `math` with `prepareRight` served from the cache for operands derived only from the tensors with
 * these dataIds (and the shape and transpose asked for), kept while `isLive` holds for all of them
 * (by default: while the dataIds exist). A prepared operand handed out by the wrapper outlives its
 * `release()`, which becomes a no-op. Where `math` has no `prepareRight` of its own, nothing is
 * cached (preparing is then free).
 */
export function withPreparedWeights(math: HostMath, dataIds: object[], isLive: LivenessCheck = () => true): HostMath {
  if (!math.prepareRight) return math;
  return {
    matmul: math.matmul.bind(math),
    prepareRight: (b, k, n, options = {}) => preparedOperand(math, dataIds, isLive, '', { values: () => b }, k, n, options),
  };
}

/** Prepared operands kept for `math` now (after releasing those of disposed tensors). */
export function keptOperandCount(math: HostMath): number {
  const cache = caches.get(math);
  if (!cache) return 0;
  sweep(cache);
  return cache.size;
}
