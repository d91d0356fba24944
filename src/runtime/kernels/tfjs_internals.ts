/**
 * Every use of tfjs-core's private engine internals, in one place, with the version they were
 * written against. The fused kernels need three things the public API does not offer: whether the
 * kernel about to run will be recorded on a gradient tape, the tape node just recorded (to hand it
 * a tensor uncloned: engine.addTapeNode keeps `saved` on the node), and the identity of the current
 * top-level gradient computation (the tape array, fresh for each one, shared by nested ones).
 *
 * When a new tfjs-core changes these, this file and its tests are what to revisit.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';

/** The tfjs-core major version whose engine internals this file reads. */
export const SUPPORTED_TFJS_CORE_MAJOR = 4;

/** A tape node as tfjs-core 4.x records it (engine.addTapeNode): what this module touches. */
interface RecordedTapeNode {
  outputs: Tensor[];
  saved?: Tensor[];
}

/** The tape of the current gradient computation: opaque outside this module. */
export type GradientTape = object;

interface EngineInternals {
  gradientDepth: number;
  kernelDepth: number;
  activeTape?: unknown;
}

function engineState(): EngineInternals {
  return tf.engine().state as unknown as EngineInternals;
}

/** The error for an engine that is not laid out as this module expects. */
export function unsupportedEngineError(context: string): Error {
  const major = Number(tf.version_core.split('.')[0]);
  const advice = major === SUPPORTED_TFJS_CORE_MAJOR ? '' : ` rnn-migrate supports tfjs-core ${SUPPORTED_TFJS_CORE_MAJOR}.x.`;
  return new Error(`${context}: the gradient tape of @tensorflow/tfjs-core is not laid out as rnn-migrate expects (tfjs-core ${tf.version_core}).${advice}`);
}

/**
 * Whether the engine will record the kernel about to run on a gradient tape (its own test: a tape
 * is active and we are not inside another kernel). Without one a kernel keeps no workspace.
 */
export function gradientWillBeRecorded(): boolean {
  const state = engineState();
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

/**
 * Whether a gradient is being recorded right now. Inside a gradient function this means an outer
 * gradient records the backward itself (nested gradients), so the tape node may be walked again.
 */
export function isRecordingGradient(): boolean {
  return engineState().gradientDepth > 0;
}

/** The active gradient tape, or null when none is recording (or the engine keeps none we know). */
export function activeTape(): GradientTape | null {
  const state = engineState();
  if (state.gradientDepth === 0) return null;
  return Array.isArray(state.activeTape) ? state.activeTape : null;
}

/**
 * Appends `tensor` (kept) to the saved tensors of the node last recorded on `tape`, provided that
 * node is the one of the kernel that produced `firstOutput`. The engine would clone anything a
 * gradient config saves (a real copy on wasm, and twice the memory while both exist); a tensor in
 * `saved` reaches the gradient after the config's own and is disposed by the engine with the tape,
 * whether or not the gradient runs. False (nothing kept) when the tape is not laid out as expected.
 */
export function attachToLastNode(tape: GradientTape, firstOutput: Tensor, tensor: Tensor): boolean {
  const nodes = tape as RecordedTapeNode[];
  const node = nodes[nodes.length - 1];
  if (!node || node.outputs?.[0] !== firstOutput || !Array.isArray(node.saved)) return false;
  node.saved.push(tf.keep(tensor));
  return true;
}

/**
 * A second tensor over the data of `tensor` (a tensor of the active backend), as tf.clone returns,
 * without the Identity kernel (a copy on wasm) and its engine bookkeeping: the backend's reference
 * count keeps the data until both tensors are disposed. Nothing is recorded on a tape, so only for
 * values no gradient is being recorded for (callers check isRecordingGradient first).
 */
export function sharedHandle<T extends Tensor>(tensor: T): T {
  const backend = tf.backend();
  backend.incRef(tensor.dataId);
  return tf.engine().makeTensorFromDataId(tensor.dataId, tensor.shape, tensor.dtype, backend) as T;
}

const computationIds = new WeakMap<object, number>();
let nextComputationId = 1;

/**
 * A number naming the current top-level gradient computation (tf.grad, variableGrads,
 * optimizer.minimize): the engine starts a fresh tape for each and shares it with nested ones.
 * Null when no gradient is being recorded.
 */
export function gradientComputationId(): number | null {
  const tape = activeTape();
  if (tape === null) return null;
  let id = computationIds.get(tape);
  if (id === undefined) {
    id = nextComputationId++;
    computationIds.set(tape, id);
  }
  return id;
}
