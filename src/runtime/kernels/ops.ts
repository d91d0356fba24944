/**
 * The ops of the kernel layer: what cells, sequence layers and the legacy Recur call. Each op runs
 * the fused kernel registered for the active backend (through the kernel registry, so its fused
 * gradient is recorded on the tape) and falls back to the composite implementation from tfjs ops
 * where no backend registration exists. Both paths compute the same math (DESIGN.md).
 *
 * The ops do not validate their input (the runtime layer does, with RnnShapeError); they never
 * leak tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap, Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import {
  GruSequence,
  GruStep,
  LstmSequence,
  LstmStep,
  RnnSequence,
  RnnStep,
  type RnnActivation,
  type SequenceAttrs,
  type StepAttrs,
} from './kernel_names.js';
import { gruSequenceComposite, gruStepComposite } from './composite/gru.js';
import { lstmSequenceComposite, lstmStepComposite } from './composite/lstm.js';
import { rnnSequenceComposite, rnnStepComposite } from './composite/rnn.js';
import { isDefaultVariant, type GatedVariant, type GruVariant } from './composite/activations.js';
import { allocateHostWorkspace } from './host/kernels.js';
// The fused kernels and their gradients, registered once for the backends that have them.
import './register.js';

export type { RnnActivation } from './kernel_names.js';

export interface SequenceOptions {
  /** [batch, time] float 0/1, always batch-major; 0 = keep the carry and output zeros. */
  mask?: Tensor2D;
  /** x and output are [time, batch, features] instead of [batch, time, features]. */
  timeMajor?: boolean;
  /** Run from the last step to the first; output[t] stays aligned with x[t]. */
  reverse?: boolean;
}

interface SequenceWeights {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
}

/**
 * VARIANTS (issue 13): the fused kernels compute the default cells only; a cell with another
 * activation, gate activation or GRU form runs on the composite until the fused kernels take
 * variants as cell specs, at which point this predicate goes.
 */
function usesFusedKernels(variant: GruVariant): boolean {
  return isDefaultVariant(variant);
}

function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/**
 * Whether the engine will record the kernel on a gradient tape (its own test: a tape is active
 * and we are not inside another kernel). Without one the kernel keeps no workspace.
 */
function gradientWillBeRecorded(): boolean {
  const state = tf.engine().state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

function runFused(kernelName: string, inputs: NamedTensorMap, attrs: SequenceAttrs | StepAttrs): Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs as unknown as tf.NamedAttrMap) as Tensor[];
}

/** A tape node as tfjs-core 4.x records it (engine.addTapeNode): what attachToTape touches. */
interface RecordedTapeNode {
  outputs: Tensor[];
  saved?: Tensor[];
}

function activeTape(): RecordedTapeNode[] | null {
  const tape = (tf.engine().state as unknown as { activeTape?: unknown }).activeTape;
  return Array.isArray(tape) ? (tape as RecordedTapeNode[]) : null;
}

/**
 * Appends `tensor` to the saved tensors of the tape node just recorded for the kernel that
 * produced `firstOutput`. The engine would clone anything a gradient config saves (a real copy on
 * wasm, and twice the workspace in memory while both exist); a tensor in `saved` is handed to the
 * gradient after the config's own and disposed by the engine with the tape, whether or not the
 * gradient runs. False (nothing kept) when the tape is not the one expected.
 */
function attachToTape(firstOutput: Tensor, tensor: Tensor): boolean {
  const tape = activeTape();
  const node = tape?.[tape.length - 1];
  if (!node || node.outputs?.[0] !== firstOutput || !Array.isArray(node.saved)) return false;
  node.saved.push(tf.keep(tensor));
  return true;
}

/**
 * Runs a fused sequence kernel. The mask input is always present because a gradient config saves
 * its inputs by name and cannot save an absent one: an empty tensor stands for "no mask".
 * The trailing workspace output is dropped here (the tape keeps its own reference when recording).
 *
 * `workspaceBuffer` is always present too: when a gradient is recorded and the backend runs a host
 * kernel, a tensor of the host workspace's size that the kernel fills in place, leaving its
 * workspace output empty, and that goes to the tape uncloned (attachToTape). A workspace output
 * would be cloned when saved and get a zero-filled upstream gradient of its own size in the
 * backward (every output off the gradient path does). Other kernels (webgl, webgpu) get an empty
 * one and ignore it.
 */
function runFusedSequence(kernelName: string, inputs: NamedTensorMap, options: SequenceOptions, activation?: RnnActivation): Tensor[] {
  const empty = tf.tensor1d([], 'float32');
  const attrs: SequenceAttrs = {
    timeMajor: options.timeMajor ?? false,
    reverse: options.reverse ?? false,
    saveForBackward: gradientWillBeRecorded(),
    backend: tf.getBackend(),
  };
  if (activation) attrs.activation = activation;
  const [d0, d1] = inputs.x.shape;
  // Without a tape to attach to, the kernel returns its workspace as an output (cloned when saved).
  const workspaceBuffer = attrs.saveForBackward && activeTape() ? allocateHostWorkspace(kernelName, d0 * d1, inputs.h0.shape[1]!) : null;
  const outputs = runFused(kernelName, { ...inputs, mask: options.mask ?? empty, workspaceBuffer: workspaceBuffer ?? empty }, attrs);
  empty.dispose();
  if (workspaceBuffer && !attachToTape(outputs[0], workspaceBuffer)) throw unexpectedTape(kernelName);
  outputs[outputs.length - 1].dispose();
  return outputs.slice(0, -1);
}

/** Per gradient tape: the kept copy of each weight (by dataId) that its step nodes share. */
const savedWeightsByTape = new WeakMap<object, Map<object, Tensor>>();

/**
 * The copy of `weight` saved for the backward of every step recorded on `tape`: made once per tape
 * (the engine would clone the weights for every step: T copies of K and R for one sequence of
 * legacy steps, real copies on wasm), disposed with the tape (a second dispose is a no-op). A
 * weight reassigned mid-tape has a new dataId, hence its own copy.
 */
function savedWeight(tape: RecordedTapeNode[], weight: Tensor): Tensor {
  let copies = savedWeightsByTape.get(tape);
  if (!copies) {
    copies = new Map();
    savedWeightsByTape.set(tape, copies);
  }
  let copy = copies.get(weight.dataId);
  if (!copy || copy.isDisposed) {
    copy = tf.keep(tf.clone(weight));
    copies.set(weight.dataId, copy);
  }
  return copy;
}

/**
 * Runs a fused step kernel. When a gradient is recorded, its kernel and recurrent kernel are
 * saved as one shared copy per tape (savedWeight), appended to the step's tape node; the gradient
 * config leaves them out of what the engine saves.
 */
function runFusedStep(kernelName: string, inputs: NamedTensorMap, activation?: RnnActivation): Tensor[] {
  const attrs: StepAttrs = { saveForBackward: gradientWillBeRecorded(), backend: tf.getBackend() };
  if (activation) attrs.activation = activation;
  const tape = attrs.saveForBackward ? activeTape() : null;
  if (attrs.saveForBackward && !tape) throw unexpectedTape(kernelName);
  // Copies first: making one records an Identity node, and attachToTape needs the step's node last.
  const weights = tape ? [savedWeight(tape, inputs.kernel), savedWeight(tape, inputs.recurrentKernel)] : [];
  const outputs = runFused(kernelName, inputs, attrs);
  if (!weights.every((weight) => attachToTape(outputs[0], weight))) throw unexpectedTape(kernelName);
  outputs[outputs.length - 1].dispose();
  return outputs.slice(0, -1);
}

function unexpectedTape(kernelName: string): Error {
  return new Error(`${kernelName}: the gradient tape of @tensorflow/tfjs-core is not laid out as rnn-migrate expects (tfjs-core ${tf.version_core}).`);
}

export function lstmSequence(
  a: SequenceWeights & { x: Tensor3D; bias: Tensor1D; h0: Tensor2D; c0: Tensor2D } & SequenceOptions & GatedVariant,
): { output: Tensor3D; h: Tensor2D; c: Tensor2D } {
  if (!usesFusedKernels(a) || !hasFusedKernel(LstmSequence)) return lstmSequenceComposite(a);
  const { x, kernel, recurrentKernel, bias, h0, c0 } = a;
  const [output, h, c] = runFusedSequence(LstmSequence, { x, kernel, recurrentKernel, bias, h0, c0 }, a);
  return { output: output as Tensor3D, h: h as Tensor2D, c: c as Tensor2D };
}

export function gruSequence(
  a: SequenceWeights & { x: Tensor3D; bias: Tensor /* [2, 3H]; reset before [3H] */; h0: Tensor2D } & SequenceOptions & GruVariant,
): { output: Tensor3D; h: Tensor2D } {
  if (!usesFusedKernels(a) || !hasFusedKernel(GruSequence)) return gruSequenceComposite(a);
  const { x, kernel, recurrentKernel, bias, h0 } = a;
  const [output, h] = runFusedSequence(GruSequence, { x, kernel, recurrentKernel, bias, h0 }, a);
  return { output: output as Tensor3D, h: h as Tensor2D };
}

export function rnnSequence(
  a: SequenceWeights & { x: Tensor3D; bias: Tensor1D; h0: Tensor2D; activation: RnnActivation } & SequenceOptions,
): { output: Tensor3D; h: Tensor2D } {
  if (!hasFusedKernel(RnnSequence)) return rnnSequenceComposite(a);
  const { x, kernel, recurrentKernel, bias, h0 } = a;
  const [output, h] = runFusedSequence(RnnSequence, { x, kernel, recurrentKernel, bias, h0 }, a, a.activation);
  return { output: output as Tensor3D, h: h as Tensor2D };
}

export function lstmStep(
  a: SequenceWeights & { x: Tensor2D; h: Tensor2D; c: Tensor2D; bias: Tensor1D } & GatedVariant,
): { h: Tensor2D; c: Tensor2D } {
  if (!usesFusedKernels(a) || !hasFusedKernel(LstmStep)) return lstmStepComposite(a);
  const { x, h, c, kernel, recurrentKernel, bias } = a;
  const [hNext, cNext] = runFusedStep(LstmStep, { x, h, c, kernel, recurrentKernel, bias });
  return { h: hNext as Tensor2D, c: cNext as Tensor2D };
}

export function gruStep(a: SequenceWeights & { x: Tensor2D; h: Tensor2D; bias: Tensor /* [2, 3H]; reset before [3H] */ } & GruVariant): { h: Tensor2D } {
  if (!usesFusedKernels(a) || !hasFusedKernel(GruStep)) return gruStepComposite(a);
  const { x, h, kernel, recurrentKernel, bias } = a;
  const [hNext] = runFusedStep(GruStep, { x, h, kernel, recurrentKernel, bias });
  return { h: hNext as Tensor2D };
}

export function rnnStep(
  a: SequenceWeights & { x: Tensor2D; h: Tensor2D; bias: Tensor1D; activation: RnnActivation },
): { h: Tensor2D } {
  if (!hasFusedKernel(RnnStep)) return rnnStepComposite(a);
  const { x, h, kernel, recurrentKernel, bias } = a;
  const [hNext] = runFusedStep(RnnStep, { x, h, kernel, recurrentKernel, bias }, a.activation);
  return { h: hNext as Tensor2D };
}
