/**
 * The geometry of a sequence on the host: how timestep t of batch row b is found in x's own
 * layout, so masks, reverse and time-major are indexing, never copies.
 */

export interface SequenceGeometry {
  batch: number;
  time: number;
  inputSize: number;
  hidden: number;
  timeMajor: boolean;
  reverse: boolean;
}

/** Row of x (and of output, and of every per-timestep workspace block) holding (b, t). */
export function rowOf(g: SequenceGeometry, b: number, t: number): number {
  return g.timeMajor ? t * g.batch + b : b * g.time + t;
}

/** The timestep processed k-th. */
export function timeAt(g: SequenceGeometry, k: number): number {
  return g.reverse ? g.time - 1 - k : k;
}

/** `mask` is [batch, time] (batch-major whatever the layout of x), or null for "all valid". */
export function isValid(mask: Float32Array | null, g: SequenceGeometry, b: number, t: number): boolean {
  return mask === null || mask[b * g.time + t] !== 0;
}

/** An absent or empty mask tensor means no mask. */
export function maskOrNull(mask: Float32Array | undefined): Float32Array | null {
  return mask && mask.length > 0 ? mask : null;
}

/** An upstream gradient that may be absent (null: zeros), copied so it can be updated in place. */
export function carryGradient(upstream: Float32Array | null, size: number): Float32Array {
  return upstream ? Float32Array.from(upstream) : new Float32Array(size);
}

/**
 * The hidden carry each step started from, [N, H] in x's row layout: h0 for a row's first
 * processed step, then the output of its last valid step (a masked step keeps the carry). This is
 * what the forward would have saved per row; the workspaces do not keep it because the output
 * already holds it.
 */
export function previousHidden(g: SequenceGeometry, output: Float32Array | null | undefined, h0: Float32Array, mask: Float32Array | null,
  target: Float32Array = new Float32Array(g.batch * g.time * g.hidden)): Float32Array {
  const H = g.hidden;
  if (!output && g.time > 1) throw new Error('previousHidden: the forward output is needed for more than one step');
  for (let b = 0; b < g.batch; b++) {
    let source = h0;
    let at = b * H;
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      const row = rowOf(g, b, t);
      target.set(source.subarray(at, at + H), row * H);
      if (isValid(mask, g, b, t)) {
        source = output!;
        at = row * H;
      }
    }
  }
  return target;
}

