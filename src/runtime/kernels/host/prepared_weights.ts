/**
 * Prepared (packed, transposed, on the wasm heap) right operands kept across kernel calls for the
 * same weight tensors: the backward of a step (Rᵀ) runs once per timestep with the same R, and
 * preparing it per call made a step cost ~4× its matmul.
 *
 * Keys are the weight tensors' dataIds: tfjs never changes a live dataId's values (a Variable's
 * assign gives it a new dataId), so a hit is always current. An entry lives as long as its
 * tensors: it is released (its heap memory freed) once one of them is disposed (the backend no
 * longer counts a reference to it, or its dataId was collected), at the next call that prepares
 * something (before it does: an assigned Variable's new forms take its old ones' place) or within
 * SWEEP_EVERY calls, whichever comes first; keptOperandCount releases them at once. There is no size
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
  /** What it was prepared as: the form of these weights, op(b)'s shape and transpose. */
  formKey: string;
  k: number;
  n: number;
  transposeB: boolean;
  /** Held weakly: a kept operand must not keep a disposed tensor's dataId alive. */
  weights: WeakRef<object>[];
  isLive: LivenessCheck;
}

/**
 * What a prepared operand is, as its source describes it (weight_form.ts: WeightForm); `key` tells
 * forms of the same tensors apart in the cache. Forms are constants or interned: no allocation per call.
 */
export interface OperandForm {
  readonly key: string;
}

/** Where a prepared operand's values come from: asked only when it is prepared. */
export interface OperandSource<F extends OperandForm = OperandForm> {
  /**
   * The values of op(b)'s b for the form asked for (preparedOperand's `form`), possibly a view of
   * the backend's memory: copied at once.
   */
  values(form: F): Float32Array;
}

/** The prepared operands of one base HostMath (they belong to it). */
interface Cache {
  /** Every entry: what a sweep walks. */
  entries: Set<Entry>;
  /** The entries by their first weight's dataId (weakly): a lookup walks a weight's few forms, builds no key. */
  byWeight: WeakMap<object, Entry[]>;
  /** Lookups since the last sweep. */
  lookups: number;
}

/**
 * A hit sweeps the cache only every this many lookups (a miss always does, first): a sweep asks
 * the backend about every entry's weights, which at batch 1 cost a step more than its lookups.
 */
const SWEEP_EVERY = 64;

const caches = new WeakMap<HostMath, Cache>();

function cacheFor(math: HostMath): Cache {
  let cache = caches.get(math);
  if (!cache) {
    cache = { entries: new Set(), byWeight: new WeakMap(), lookups: 0 };
    caches.set(math, cache);
  }
  return cache;
}

function isKept(entry: Entry): boolean {
  for (let i = 0; i < entry.weights.length; i++) {
    const dataId = entry.weights[i].deref();
    if (dataId === undefined || !entry.isLive(dataId)) return false;
  }
  return true;
}

/** Releases the entries any of whose weights is gone. */
function sweep(cache: Cache): void {
  cache.lookups = 0;
  for (const entry of cache.entries) {
    if (isKept(entry)) continue;
    entry.prepared.release();
    cache.entries.delete(entry);
    const first = entry.weights[0]?.deref();
    const forms = first && cache.byWeight.get(first);
    if (forms) forms.splice(forms.indexOf(entry), 1);
  }
}

/** The entry prepared as asked from exactly these weights, or undefined. */
function lookup(cache: Cache, dataIds: object[], formKey: string, k: number, n: number, transposeB: boolean): Entry | undefined {
  const forms = cache.byWeight.get(dataIds[0] ?? cache);
  if (!forms) return undefined;
  for (const entry of forms) {
    if (entry.formKey !== formKey || entry.k !== k || entry.n !== n || entry.transposeB !== transposeB) continue;
    if (entry.weights.length !== dataIds.length) continue;
    let same = true;
    for (let i = 1; i < dataIds.length && same; i++) same = entry.weights[i].deref() === dataIds[i];
    if (same) return entry;
  }
  return undefined;
}

/**
 * The prepared form `form` (how it derives from the weights: R, [K; R]…) of op(b)
 * [k×n], where b derives only from the tensors with these dataIds: from the cache while they live,
 * else prepared from `source.values(form)`, which is asked only then. A step reads its weights
 * where the backend keeps them and asks for their values once per weight lifetime. Where `math`
 * has no `prepareRight`, every call reads the values and multiplies with plain matmuls. A hit
 * allocates nothing.
 */
export function preparedOperand<F extends OperandForm>(math: HostMath, dataIds: object[], isLive: LivenessCheck, form: F, source: OperandSource<F>,
  k: number, n: number, options: { transposeB?: boolean } = {}): PreparedMatmul {
  // A copy: the values may be a view of the backend's memory (valid until it next allocates).
  if (!math.prepareRight) return prepareRight(math, source.values(form).slice(0, k * n), k, n, options);
  const cache = cacheFor(math);
  const transposeB = options.transposeB === true;
  if (++cache.lookups >= SWEEP_EVERY) sweep(cache);
  // A hit is live: the caller holds its weights.
  let entry = lookup(cache, dataIds, form.key, k, n, transposeB);
  if (entry) return entry.handedOut;
  // A miss: first release what disposed weights held (an assigned Variable's old forms among them).
  sweep(cache);
  // A copy: a HostMath may keep `b` itself until release, and the callers' `b` (a scratch
  // buffer, a copy read for this call) is not theirs to keep across calls.
  const prepared = math.prepareRight(source.values(form).slice(0, k * n), k, n, options);
  const handedOut = { run: prepared.run.bind(prepared), release() {} };
  entry = { prepared, handedOut, formKey: form.key, k, n, transposeB, weights: dataIds.map((id) => new WeakRef(id)), isLive };
  cache.entries.add(entry);
  // Weights-less operands (none in the kernels) are filed under the cache itself.
  const first = dataIds[0] ?? cache;
  const forms = cache.byWeight.get(first);
  if (forms) forms.push(entry);
  else cache.byWeight.set(first, [entry]);
  return handedOut;
}

/** The one form of withPreparedWeights' operands (the values it is given). */
const GIVEN: OperandForm = Object.freeze({ key: '' });

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
    prepareRight: (b, k, n, options = {}) => preparedOperand(math, dataIds, isLive, GIVEN, { values: () => b }, k, n, options),
  };
}

/** Prepared operands kept for `math` now (after releasing those of disposed tensors). */
export function keptOperandCount(math: HostMath): number {
  const cache = caches.get(math);
  if (!cache) return 0;
  sweep(cache);
  return cache.entries.size;
}
