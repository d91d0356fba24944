/**
 * The kernel configs of one GPU backend: the sequence and step kernels of every cell, forward and
 * backward, over the shared driver (gpu_driver.ts). A step is a time-major sequence of length 1.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CELL_KINDS, CELLS, variantOfAttrs } from '../cell_table.js';
import type { GpuBackend, GpuRunner } from './runner.js';
import { type GpuSequenceGradInputs, type GpuSequenceOptions, gpuSequenceBackward, gpuSequenceForward } from './gpu_driver.js';
import { resetBeforeSequenceBackward, resetBeforeSequenceForward } from './gru_reset_before_driver.js';
import type { SequenceInputs } from '../kernel_names.js';

type Inputs = Record<string, TensorInfo | undefined>;

/** [batch, in] → [1, batch, in]: a step as a time-major sequence of one timestep. */
function asSequenceOfOne(x: TensorInfo): TensorInfo {
  return { ...x, shape: [1, ...x.shape] };
}

/** The driver of a variant: the reset-before GRU has its own (a second product inside each step). */
function sequenceForward(runner: GpuRunner, inputs: SequenceInputs, options: GpuSequenceOptions): TensorInfo[] {
  const forward = options.resetAfter === false ? resetBeforeSequenceForward : gpuSequenceForward;
  return forward(runner, inputs, options);
}

function sequenceBackward(runner: GpuRunner, inputs: GpuSequenceGradInputs, options: GpuSequenceOptions): TensorInfo[] {
  const backward = options.resetAfter === false ? resetBeforeSequenceBackward : gpuSequenceBackward;
  return backward(runner, inputs, options);
}

export function gpuKernelConfigs(backendName: string, makeRunner: (backend: GpuBackend) => GpuRunner): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const kind of CELL_KINDS) {
    const names = CELLS[kind].kernels;
    const withBackend = (body: (runner: GpuRunner, inputs: Inputs, attrs: NamedAttrMap) => TensorInfo[]): KernelFunc =>
      (({ inputs, backend, attrs }) =>
        body(makeRunner(backend as GpuBackend), inputs as Inputs, (attrs ?? {}) as NamedAttrMap)) as KernelFunc;

    const sequence = withBackend((runner, i, attrs) =>
      sequenceForward(
        runner,
        { x: i.x!, kernel: i.kernel!, recurrentKernel: i.recurrentKernel!, bias: i.bias!, h0: i.h0!, c0: i.c0, mask: i.mask },
        {
          kind,
          timeMajor: !!attrs.timeMajor,
          reverse: !!attrs.reverse,
          saveForBackward: attrs.saveForBackward !== false,
          ...variantOfAttrs(attrs),
        },
      ),
    );
    const sequenceGrad = withBackend((runner, i, attrs) =>
      sequenceBackward(
        runner,
        {
          x: i.x!,
          kernel: i.kernel!,
          recurrentKernel: i.recurrentKernel!,
          bias: i.bias!,
          h0: i.h0!,
          c0: i.c0,
          mask: i.mask,
          workspace: i.workspace!,
          dOutput: i.dOutput,
          dhT: i.dhT!,
          dcT: i.dcT,
        },
        { kind, timeMajor: !!attrs.timeMajor, reverse: !!attrs.reverse, saveForBackward: true, ...variantOfAttrs(attrs) },
      ),
    );
    const step = withBackend((runner, i, attrs) => {
      const [sequenceOutput, ...rest] = sequenceForward(
        runner,
        { x: asSequenceOfOne(i.x!), kernel: i.kernel!, recurrentKernel: i.recurrentKernel!, bias: i.bias!, h0: i.h!, c0: i.c },
        {
          kind,
          timeMajor: true,
          reverse: false,
          saveForBackward: attrs.saveForBackward !== false,
          outputSequence: false,
          ...variantOfAttrs(attrs),
        },
      );
      // [h, (c), workspace]; the (empty) output sequence is not a step output.
      runner.backend.disposeData(sequenceOutput.dataId);
      return rest;
    });
    const stepGrad = withBackend((runner, i, attrs) => {
      const [dx, ...rest] = sequenceBackward(
        runner,
        {
          x: asSequenceOfOne(i.x!),
          kernel: i.kernel!,
          recurrentKernel: i.recurrentKernel!,
          bias: i.bias!,
          h0: i.h!,
          c0: i.c,
          workspace: i.workspace!,
          dhT: i.dh!,
          dcT: i.dc,
        },
        { kind, timeMajor: true, reverse: false, saveForBackward: true, ...variantOfAttrs(attrs) },
      );
      return [{ ...dx, shape: dx.shape.slice(1) }, ...rest];
    });
    configs.push(
      { kernelName: names.sequence, backendName, kernelFunc: sequence },
      { kernelName: names.sequenceGrad, backendName, kernelFunc: sequenceGrad },
      { kernelName: names.step, backendName, kernelFunc: step },
      { kernelName: names.stepGrad, backendName, kernelFunc: stepGrad },
    );
  }
  return configs;
}
