/**
 * The LSTM cell carry the backward needs, rebuilt from what the workspace keeps (shared by the
 * JavaScript and SIMD host kernels).
 */
import { isValid, rowOf, timeAt, type SequenceGeometry } from './sequence.js';

/**
 * The cell carry each step started from, [N, H] in x's row layout, recomputed from the gate
 * activations: c0 for a row's first processed step, then c' = f⊙c + i⊙g after each valid step (a
 * masked step keeps the carry; its gate rows are never read). Rounded to float32 at every step as
 * the forward's carry is.
 */
export function previousCell(g: SequenceGeometry, gates: Float32Array, c0: Float32Array, mask: Float32Array | null,
  target: Float32Array = new Float32Array(g.batch * g.time * g.hidden)): Float32Array {
  const H = g.hidden;
  const G = 4 * H;
  const c = new Float32Array(H);
  for (let b = 0; b < g.batch; b++) {
    c.set(c0.subarray(b * H, b * H + H));
    for (let k = 0; k < g.time; k++) {
      const t = timeAt(g, k);
      const row = rowOf(g, b, t);
      target.set(c, row * H);
      if (!isValid(mask, g, b, t)) continue;
      const z = row * G;
      for (let j = 0; j < H; j++) c[j] = gates[z + H + j] * c[j] + gates[z + j] * gates[z + 2 * H + j];
    }
  }
  return target;
}
