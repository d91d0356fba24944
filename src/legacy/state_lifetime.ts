/**
 * Where a stored state came from and when its tensors may be released.
 *
 * Each stored state is tagged with the gradient computation (tf.grad, variableGrads,
 * optimizer.minimize) whose steps produced it, which tells the checker whether a step inside a
 * loss starts from a state produced by steps outside that loss. The id comes from the one module
 * that reads tfjs-core's engine internals (the tape's identity: tfjs_internals.ts).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Carry } from '../runtime/index.js';
import { gradientComputationId } from '../runtime/kernels/tfjs_internals.js';

/** Identifies one top-level gradient computation; `null` = no gradient is being recorded. */
export type GradientScopeId = number | null;

export function currentGradientScope(): GradientScopeId {
  return gradientComputationId();
}

/** A state produced by `Recur.step` (hand-set states have no provenance: the user chose them). */
export interface StepProvenance {
  /** The gradient computation whose steps produced it. */
  scope: GradientScopeId;
  /** The Recur that owns (and will release) its tensors. */
  owner: object;
}

/** Keyed by the carry object, so provenance travels with a state handed to another Recur. */
const provenance = new WeakMap<Carry, StepProvenance>();

export function stepProvenance(carry: Carry): StepProvenance | undefined {
  return provenance.get(carry);
}

/**
 * Whether a step recorded in gradient computation `scope` starting from `carry` is stale: the
 * carry was produced by steps outside that computation. Hand-set carries (no provenance) never
 * are. This is the checker's whole per-step cost: one WeakMap lookup.
 */
export function startsFromStaleState(carry: Carry, scope: Exclude<GradientScopeId, null>): boolean {
  const origin = provenance.get(carry);
  return origin !== undefined && origin.scope !== scope;
}

export function recordStepProvenance(carry: Carry, owner: object, scope: GradientScopeId): void {
  provenance.set(carry, { scope, owner });
}

export function carryTensors(carry: Carry): Tensor[] {
  return Object.values(carry);
}

export function isCarryDisposed(carry: Carry): boolean {
  for (const key in carry) if (carry[key]!.isDisposed) return true;
  return false;
}

/**
 * Replaced states waiting for the gradient computation that may still read them to finish.
 * The engine disposes a loss's intermediates before running backprop and keeps its own clones
 * of what gradient functions save, but a custom gradient may close over its inputs, so a state
 * replaced while a tape is recording is released only once that tape is over.
 */
const pendingRelease: { tensors: Tensor[]; scope: number }[] = [];

/** Disposes `carry` now, or when the current gradient computation is over. */
export function releaseCarry(carry: Carry): void {
  const scope = currentGradientScope();
  const tensors = carryTensors(carry);
  if (scope === null) {
    for (const tensor of tensors) tensor.dispose();
  } else {
    pendingRelease.push({ tensors, scope });
  }
}

/**
 * Disposes the pending states whose gradient computation has ended. Gradient computations run
 * one after another (a new tape starts only at depth 0), so the queue holds finished ones first
 * and the current one's at the end: the common case (nothing finished) is a single comparison.
 */
export function flushPendingReleases(): void {
  if (pendingRelease.length === 0) return;
  const scope = currentGradientScope();
  let finished = 0;
  while (finished < pendingRelease.length && pendingRelease[finished]!.scope !== scope) {
    for (const tensor of pendingRelease[finished]!.tensors) tensor.dispose();
    finished++;
  }
  if (finished > 0) pendingRelease.splice(0, finished);
}
