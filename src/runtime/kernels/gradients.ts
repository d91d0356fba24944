/**
 * The gradients of the fused kernels: one backend-independent GradConfig per forward kernel. Each
 * hands the saved inputs, the forward outputs (the opaque workspace included) and the upstream
 * gradients to the matching *Grad kernel of the active backend, which runs the whole BPTT at once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import {
  GruSequence,
  GruSequenceGrad,
  GruStep,
  GruStepGrad,
  LstmSequence,
  LstmSequenceGrad,
  LstmStep,
  LstmStepGrad,
  RnnSequence,
  RnnSequenceGrad,
  RnnStep,
  RnnStepGrad,
} from './kernel_names.js';

interface FusedGradientSpec {
  kernelName: string;
  gradKernelName: string;
  /** Forward inputs in the order the Grad kernel returns their gradients (mask excluded). */
  differentiableInputs: string[];
  /** Names of the forward outputs, workspace last. */
  outputs: string[];
  /**
   * The forward outputs the Grad kernels read, saved (engine clones: copies on some backends) for
   * the backward: the workspace and, for sequences, the output (the host kernels rebuild the
   * hidden state each step started from out of it rather than keeping it twice). hT / cT and a
   * step's new carries are never read.
   */
  savedOutputs: string[];
  /** Names under which the upstream gradients of the visible outputs reach the Grad kernel. */
  upstream: string[];
  hasMask: boolean;
}

const weights = ['x', 'kernel', 'recurrentKernel', 'bias'];

const specs: FusedGradientSpec[] = [
  { kernelName: LstmSequence, gradKernelName: LstmSequenceGrad, differentiableInputs: [...weights, 'h0', 'c0'], outputs: ['output', 'hT', 'cT', 'workspace'], savedOutputs: ['output', 'workspace'], upstream: ['dOutput', 'dhT', 'dcT'], hasMask: true },
  { kernelName: GruSequence, gradKernelName: GruSequenceGrad, differentiableInputs: [...weights, 'h0'], outputs: ['output', 'hT', 'workspace'], savedOutputs: ['output', 'workspace'], upstream: ['dOutput', 'dhT'], hasMask: true },
  { kernelName: RnnSequence, gradKernelName: RnnSequenceGrad, differentiableInputs: [...weights, 'h0'], outputs: ['output', 'hT', 'workspace'], savedOutputs: ['output', 'workspace'], upstream: ['dOutput', 'dhT'], hasMask: true },
  { kernelName: LstmStep, gradKernelName: LstmStepGrad, differentiableInputs: [...weights, 'h', 'c'], outputs: ['hOut', 'cOut', 'workspace'], savedOutputs: ['workspace'], upstream: ['dh', 'dc'], hasMask: false },
  { kernelName: GruStep, gradKernelName: GruStepGrad, differentiableInputs: [...weights, 'h'], outputs: ['hOut', 'workspace'], savedOutputs: ['workspace'], upstream: ['dh'], hasMask: false },
  { kernelName: RnnStep, gradKernelName: RnnStepGrad, differentiableInputs: [...weights, 'h'], outputs: ['hOut', 'workspace'], savedOutputs: ['workspace'], upstream: ['dh'], hasMask: false },
];

function gradConfig(spec: FusedGradientSpec): GradConfig {
  // Sequence ops always pass `mask` and `workspaceBuffer` (empty when unused: see ops.ts); a host
  // kernel writes its workspace into the buffer and leaves the workspace output empty.
  const savedInputs = spec.hasMask ? [...spec.differentiableInputs, 'mask', 'workspaceBuffer'] : spec.differentiableInputs;
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
      [...savedInputs, ...spec.outputs.filter((name) => spec.savedOutputs.includes(name))].forEach((name, i) => (gradInputs[name] = saved[i]));
      spec.upstream.forEach((name, i) => (gradInputs[name] = upstream[i]));
      const buffer = gradInputs.workspaceBuffer;
      if (buffer !== undefined) {
        if (buffer.size > 0) gradInputs.workspace = buffer;
        delete gradInputs.workspaceBuffer;
      }
      // All gradients at once, eagerly: the per-input closures below only hand them out.
      const grads = tf.engine().runKernel(spec.gradKernelName, gradInputs, attrs) as Tensor[];
      const closures: Record<string, () => Tensor> = {};
      spec.differentiableInputs.forEach((name, i) => (closures[name] = () => grads[i]));
      if (spec.hasMask) {
        closures.mask = () => tf.zerosLike(gradInputs.mask);
        closures.workspaceBuffer = () => tf.zerosLike(buffer!); // never on a gradient path
      }
      return closures;
    },
  };
}

/** One GradConfig per forward kernel name. */
export const fusedGradientConfigs: GradConfig[] = specs.map(gradConfig);
