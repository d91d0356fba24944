/**
 * How many GPU programs a step and a sequence dispatch, held to bounds that follow from the design
 * of the GPU driver (gpu/gpu_driver.ts), so that a change adding a program per step or per timestep
 * fails here. Every program counts, ours and the backend's (dispatches.ts wraps the backend's one
 * entry point). The design:
 *
 * - A timestep of the forward pass is two programs: the recurrent product h·R (product_shaders.ts,
 *   reading h in place from the previous state) and the gate shader. A step (cell.step, a sequence
 *   of one) folds x·K into that product, so a layer's step is those same two programs; its carries
 *   come out of the state: on webgl a contiguous slice is a view (no program), and a lone carry
 *   (GRU, RNN) is the carries-only state itself; only the LSTM on webgpu, whose Slice would be a
 *   copy program per carry (tfjs-webgpu has no view slice), runs the gate once per carry instead.
 * - A timestep of the backward pass is two programs: the step-gradient shader and dz·Rᵀ.
 * - Per sequence, the T step states (and, for the gradient, the T step gradients) are one tensor:
 *   on webgpu every step's program writes its part of it in place (no program); on webgl, whose
 *   programs write whole textures, the backend concatenates the T tensors in a tree of at most F
 *   inputs per program (F: its texture units, read below).
 * - Everything else runs once per call, whatever T: the input projection and the weight gradients
 *   (matmuls with the transposes, packs and unpacks around them), the output and carry programs,
 *   uploads of the zero initial carries, the loss (a sum) and its gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/runtime/kernels/gpu/register.js';
import { CELLS } from '../../src/runtime/kernels/cell_table.js';
import { GPU_BACKENDS, onBackend } from './backends.js';
import { CELL_KINDS, type CellKind } from './cases.js';
import { sequenceDispatches, stackStepDispatches, stepAfterUpdateDispatches } from './dispatches.js';

const carriesOf = (kind: CellKind) => CELLS[kind].carries.length;

/** Programs of one layer's step: the product, then one gate run (two carries on webgpu: one per carry). */
function stepBound(backend: string, kind: CellKind): number {
  const gateRuns = backend === 'webgpu' ? carriesOf(kind) : 1;
  return 1 + gateRuns;
}

/** Programs of the backend's concat of n tensors: chunks of `fanIn`, then the chunks' results. */
function concatPrograms(n: number, fanIn: number): number {
  if (n <= 1) return 0;
  if (n <= fanIn) return 1;
  const chunks = Math.ceil(n / fanIn);
  return chunks + concatPrograms(chunks, fanIn);
}

/**
 * Programs that put the outputs of T steps into one tensor: none on webgpu (written in place),
 * webgl's concat tree of as many inputs per program as it has texture units.
 */
function stepsJoined(backend: string, time: number): number {
  return backend === 'webgpu' ? 0 : concatPrograms(time, tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER'));
}

/**
 * Programs that run once per call, whatever T, at most (the constant term; the per-timestep terms
 * are checked exactly by the slope test below):
 *   forward: input projection ≤ 3 (the upload or pack of x, in its own layout: no transpose; the
 *   matmul; the unpack of its packed result on webgl), uploads of the C zero carries, the output
 *   shader, C carry slices: 4 + 2C.
 *   backward: [dhT; dcT] concat and the engine's zero upstream gradients for the carries (1 + C),
 *   the initial-carry gradient shader and its C slices, one slice of the stacked step gradients,
 *   the GRU's split of dz into its two sides (transpose and two slices), the bias-gradient sum
 *   (≤ 2 reduce passes), h_{t−1} for all t, and three matmuls for dK, dR, dx with their transposes,
 *   packs and unpacks (≤ 4 each), plus the loss: sum (≤ 2 passes) and its gradient (≤ 3).
 */
function onceForward(kind: CellKind): number {
  return 4 + 2 * carriesOf(kind);
}
function onceBackward(kind: CellKind): number {
  const C = carriesOf(kind);
  return 1 + C + 1 + C + 1 + (kind === 'gru' ? 3 : 0) + 2 + 1 + 3 * 4 + 2 + 3;
}

describe.each(GPU_BACKENDS)('programs dispatched on %s', (backend) => {
  it.each(CELL_KINDS)('%s: a step of 1 to 3 stacked layers runs the per-layer step programs only', async (kind) => {
    await onBackend(backend, () => {
      for (const depth of [1, 2, 3]) {
        const { programs, byName } = stackStepDispatches(kind, depth);
        expect(programs, `${depth} layer(s): ${JSON.stringify(byName)}`).toBeLessThanOrEqual(depth * stepBound(backend, kind));
      }
    });
  });

  it.each(CELL_KINDS)('%s: a step after a sequence call on the same layers (priming, then sampling) runs the same programs', async (kind) => {
    // The sequence's x·K is the backend's matmul, which on webgl wants K packed: K must still live
    // unpacked for the step's product shader, or every step would unpack it again.
    await onBackend(backend, () => {
      const { programs, byName } = stackStepDispatches(kind, 2, 8, 16, true);
      expect(programs, JSON.stringify(byName)).toBeLessThanOrEqual(2 * stepBound(backend, kind));
    });
  });

  it.each(CELL_KINDS)('%s: a step after an optimizer update runs the same programs and keeps nothing of replaced weights', async (kind) => {
    // webgl's update writes the weights packed: their unpacked forms are made once per weight
    // tensor, not by every step (3 programs more), and freed once the weight is replaced.
    await onBackend(backend, () => {
      const { programs, byName, result } = stepAfterUpdateDispatches(kind);
      expect(programs, JSON.stringify(byName)).toBeLessThanOrEqual(stepBound(backend, kind));
      expect(result.bufferGrowth).toBe(0);
    });
  });

  it.each(CELL_KINDS)('%s: a sequence adds 2 programs per timestep forward and 4 with its gradient', async (kind) => {
    await onBackend(backend, () => {
      // Both lengths put x (batch 1, 8 features) over webgl's 128-value CPU hand-off, so that the
      // transpose of x runs on the GPU at both and the once-per-call programs are the same.
      const [short, long] = [20, 40];
      // mode, programs per timestep, concats of T tensors, column sums (the loss and dBias: a sum
      // over T·B rows may take one more reduction pass at the longer length).
      for (const [mode, perStep, concats, sums] of [
        ['fwd', 2, 1, 0],
        ['fwdbwd', 4, 2, 2],
      ] as const) {
        const a = sequenceDispatches(kind, mode, short);
        const b = sequenceDispatches(kind, mode, long);
        const what = `${mode}: T=${short} ${JSON.stringify(a.byName)}\nT=${long} ${JSON.stringify(b.byName)}`;
        // The slope: per-timestep programs plus the growth of the state (and gradient) concats.
        const growth = perStep * (long - short) + concats * (stepsJoined(backend, long) - stepsJoined(backend, short)) + sums;
        expect(b.programs - a.programs, what).toBeLessThanOrEqual(growth);
        // The whole call at T = long: the per-timestep terms plus the once-per-call programs.
        const once = onceForward(kind) + (mode === 'fwdbwd' ? onceBackward(kind) : 0);
        expect(b.programs, what).toBeLessThanOrEqual(perStep * long + concats * stepsJoined(backend, long) + once);
      }
    });
  });
});

/**
 * The reset-before GRU (resetAfter: false) has its own driver (gpu/gru_reset_before_driver.ts):
 * (r⊙h)·Rn needs all of r first, so its timestep is two programs each way, each with a product
 * inside (forward h·Rzr with the gates, (r⊙h)·Rn with the state; backward dn·Rnᵀ, then [dz, dr]·Rzrᵀ
 * with the carry and gate gradients): the same per-timestep and per-step counts as the default
 * cells, a step folding x·K into its two shaders.
 *
 * Once per call, at most: forward, what the default GRU runs once (onceForward); backward, the
 * engine's zero upstream gradients (1 + C), dh0 out of the last carry gradient, the slice of the
 * stacked [dz, dr, dn] and its two column slices, the bias-gradient sum (≤ 2 passes), h_{t−1} and
 * r⊙h for all t, four matmuls (dRzr, dRn, dK, dx) with their transposes, packs and unpacks (≤ 4
 * each), the concat [dRzr, dRn], the transpose of dx, and the loss: sum (≤ 2 passes) and its
 * gradient (≤ 3).
 */
const RESET_BEFORE_ONCE = {
  fwd: onceForward('gru'),
  bwd: 1 + carriesOf('gru') + 1 + 3 + 2 + 2 + 4 * 4 + 1 + 1 + 2 + 3,
};

describe.each(GPU_BACKENDS)('programs dispatched on %s by the reset-before GRU', (backend) => {
  const resetBefore = { resetAfter: false };

  it('a step of 1 to 3 stacked layers runs two programs per layer, also after a sequence call or an optimizer update', async () => {
    await onBackend(backend, () => {
      for (const depth of [1, 2, 3]) {
        const { programs, byName } = stackStepDispatches('gru', depth, 8, 16, false, resetBefore);
        expect(programs, `${depth} layer(s): ${JSON.stringify(byName)}`).toBeLessThanOrEqual(depth * 2);
      }
      const primed = stackStepDispatches('gru', 2, 8, 16, true, resetBefore);
      expect(primed.programs, `primed: ${JSON.stringify(primed.byName)}`).toBeLessThanOrEqual(2 * 2);
      const updated = stepAfterUpdateDispatches('gru', resetBefore);
      expect(updated.programs, `after an update: ${JSON.stringify(updated.byName)}`).toBeLessThanOrEqual(2);
      expect(updated.result.bufferGrowth).toBe(0);
    });
  });

  it('a sequence adds 2 programs per timestep forward and 4 with its gradient', async () => {
    await onBackend(backend, () => {
      const [short, long] = [20, 40];
      for (const [mode, perStep, concats, sums, once] of [
        ['fwd', 2, 1, 0, RESET_BEFORE_ONCE.fwd],
        ['fwdbwd', 4, 2, 2, RESET_BEFORE_ONCE.fwd + RESET_BEFORE_ONCE.bwd],
      ] as const) {
        const a = sequenceDispatches('gru', mode, short, resetBefore);
        const b = sequenceDispatches('gru', mode, long, resetBefore);
        const what = `${mode}: T=${short} ${a.programs} ${JSON.stringify(a.byName)}\nT=${long} ${b.programs} ${JSON.stringify(b.byName)}`;
        const growth = perStep * (long - short) + concats * (stepsJoined(backend, long) - stepsJoined(backend, short)) + sums;
        expect(b.programs - a.programs, what).toBeLessThanOrEqual(growth);
        expect(b.programs, what).toBeLessThanOrEqual(perStep * long + concats * stepsJoined(backend, long) + once);
      }
    });
  });
});
