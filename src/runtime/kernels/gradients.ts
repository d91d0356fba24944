/**
 * The gradients of the fused kernels: one backend-independent GradConfig per forward kernel. Each
 * hands the saved inputs, the forward outputs (the opaque workspace included) and the upstream
 * gradients to the matching *Grad kernel of the active backend, which runs the whole BPTT at once.
 *
 * The weights and a sequence kernel's workspace buffer are not among the tensors the engine saves
 * (it would clone them, per call): ops.ts appends them to the tape node's saved tensors (the
 * `attached` names: the weights as handles on their data, one per tape), so they arrive here after
 * the saved inputs and outputs, and the engine disposes them with the tape.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { CELL_KINDS, CELLS, type CellKind } from './cell_table.js';
import { SequenceInputGrad } from './kernel_names.js';
import { isRecordingGradient } from './tfjs_internals.js';

interface FusedGradientSpec {
  kernelName: string;
  gradKernelName: string;
  /** Forward inputs in the order the Grad kernel returns their gradients (mask excluded). */
  differentiableInputs: string[];
  /** Names of the forward outputs, workspace last. */
  outputs: string[];
  /**
   * The forward outputs the Grad kernels read, saved (engine clones: copies on some backends) for
   * the backward: the workspace (empty for host sequence kernels, whose workspace ops.ts attaches
   * uncloned) and, for sequences, the output (the host kernels rebuild the hidden state each step
   * started from out of it rather than keeping it twice). hT / cT and a step's new carries are
   * never read.
   */
  savedOutputs: string[];
  /** Names under which the upstream gradients of the visible outputs reach the Grad kernel. */
  upstream: string[];
  hasMask: boolean;
  /**
   * Grad kernel inputs that ops.ts appends to the tape node's saved tensors itself instead of the
   * engine saving (cloning) them, in this order: the weights, one handle on their data per tape
   * shared by every node that uses them, then a host sequence kernel's workspace (when it has one).
   */
  attached: string[];
}

const weights = ['x', 'kernel', 'recurrentKernel', 'bias'];

/** A sequence kernel: inputs h0 (c0), outputs [output, hT, (cT), workspace], upstream dOutput, dhT (dcT). */
function sequenceSpec(kind: CellKind): FusedGradientSpec {
  const { carries, kernels } = CELLS[kind];
  return {
    kernelName: kernels.sequence,
    gradKernelName: kernels.sequenceGrad,
    differentiableInputs: [...weights, ...carries.map((c) => `${c}0`)],
    outputs: ['output', ...carries.map((c) => `${c}T`), 'workspace'],
    savedOutputs: ['output', 'workspace'],
    upstream: ['dOutput', ...carries.map((c) => `d${c}T`)],
    hasMask: true,
    attached: ['kernel', 'recurrentKernel', 'workspace'],
  };
}

/** A step kernel: inputs h (c), outputs [hOut, (cOut), workspace], upstream dh (dc). */
function stepSpec(kind: CellKind): FusedGradientSpec {
  const { carries, kernels } = CELLS[kind];
  return {
    kernelName: kernels.step,
    gradKernelName: kernels.stepGrad,
    differentiableInputs: [...weights, ...carries],
    outputs: [...carries.map((c) => `${c}Out`), 'workspace'],
    savedOutputs: ['workspace'],
    upstream: carries.map((c) => `d${c}`),
    hasMask: false,
    attached: ['kernel', 'recurrentKernel'],
  };
}

const specs: FusedGradientSpec[] = [...CELL_KINDS.map(sequenceSpec), ...CELL_KINDS.map(stepSpec)];

/**
 * Workspaces a Grad kernel has overwritten (deferred input gradient). Deferral is off under nested
 * gradients, the one way a tape node's gradient runs twice; this guard turns a violation of that
 * reasoning into an error instead of gradients computed from gradients.
 */
const consumedWorkspaces = new WeakSet<object>();

function gradConfig(spec: FusedGradientSpec): GradConfig {
  // Sequence ops always pass `mask` (empty when there is none: see ops.ts).
  const savedInputs = (spec.hasMask ? [...spec.differentiableInputs, 'mask'] : spec.differentiableInputs).filter((name) => !spec.attached.includes(name));
  const savedOutputNames = spec.outputs.filter((name) => spec.savedOutputs.includes(name));
  return {
    kernelName: spec.kernelName,
    inputsToSave: savedInputs,
    outputsToSave: spec.outputs.map((name) => spec.savedOutputs.includes(name)),
    gradFunc: (dys, saved, attrs) => {
      // The workspace's layout belongs to the backend that wrote it; another backend's Grad kernel
      // would misread it silently.
      const forwardBackend = (attrs as { backend?: string } | undefined)?.backend;
      if (forwardBackend !== undefined && forwardBackend !== tf.getBackend()) {
        throw new Error(
          `${spec.kernelName}: the forward pass ran on the '${forwardBackend}' backend but its gradient is ` +
            `being computed on '${tf.getBackend()}'; keep one backend for the whole tf.grad / minimize call.`,
        );
      }
      const upstream = dys as Tensor[]; // the engine fills zeros for outputs nobody used
      const gradInputs: NamedTensorMap = {};
      [...savedInputs, ...savedOutputNames].forEach((name, i) => (gradInputs[name] = saved[i]));
      spec.upstream.forEach((name, i) => (gradInputs[name] = upstream[i]));
      const attachedTensors = saved.slice(savedInputs.length + savedOutputNames.length);
      spec.attached.forEach((name, i) => {
        if (attachedTensors[i] !== undefined) gradInputs[name] = attachedTensors[i];
      });
      // A sequence's workspaceBuffer (ops.ts), present for host kernels only.
      const workspaceBuffer = spec.hasMask ? attachedTensors[spec.attached.indexOf('workspace')] : undefined;
      if (workspaceBuffer !== undefined && consumedWorkspaces.has(workspaceBuffer.dataId)) {
        throw new Error(
          `${spec.kernelName}: the workspace of this forward call was already overwritten by its gradient ` +
            '(deferred input gradient) and cannot serve a second backward; this is a bug in rnn-migrate, please report it.',
        );
      }
      // Deferring overwrites the workspace, so not while an outer gradient records this backward
      // (its own backward may walk this node again).
      const deferInputGradient = workspaceBuffer !== undefined && !isRecordingGradient();
      // All gradients at once, eagerly (dx possibly deferred): the closures below hand them out.
      const grads = tf.engine().runKernel(spec.gradKernelName, gradInputs, { ...attrs, deferInputGradient }) as Tensor[];
      const x = gradInputs.x;
      const inputGradientDeferred = deferInputGradient && grads[0].size === 0 && x.size > 0;
      if (inputGradientDeferred) consumedWorkspaces.add(workspaceBuffer!.dataId);
      const closures: Record<string, () => Tensor> = {};
      spec.differentiableInputs.forEach((name, i) => (closures[name] = () => grads[i]));
      // Called by the engine only when x leads from a differentiated tensor.
      if (inputGradientDeferred) {
        closures.x = () => tf.engine().runKernel(SequenceInputGrad, { x, kernel: gradInputs.kernel, workspace: workspaceBuffer! }) as Tensor;
      }
      if (spec.hasMask) closures.mask = () => tf.zerosLike(gradInputs.mask);
      return closures;
    },
  };
}

/** One GradConfig per forward kernel name. */
export const fusedGradientConfigs: GradConfig[] = specs.map(gradConfig);
