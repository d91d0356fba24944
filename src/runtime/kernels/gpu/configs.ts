/**
 * The kernel configs of one GPU backend: the sequence and step kernels of every cell, forward and
 * backward, over the shared driver (gpu_driver.ts). A step is a time-major sequence of length 1.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CELL_KINDS, CELLS, variantOfAttrs } from '../cell_table.js';
import type { GpuBackend, GpuRunner } from './runner.js';
import { gpuSequenceBackward, gpuSequenceForward } from './gpu_driver.js';

type Inputs = Record<string, TensorInfo | undefined>;

/** [batch, in] → [1, batch, in]: a step as a time-major sequence of one timestep. */
function asSequenceOfOne(x: TensorInfo): TensorInfo {
  return { ...x, shape: [1, ...x.shape] };
}

export function gpuKernelConfigs(backendName: string, makeRunner: (backend: GpuBackend) => GpuRunner): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const kind of CELL_KINDS) {
    const names = CELLS[kind].kernels;
    const withBackend = (body: (runner: GpuRunner, inputs: Inputs, attrs: NamedAttrMap) => TensorInfo[]): KernelFunc =>
      (({ inputs, backend, attrs }) =>
        body(makeRunner(backend as GpuBackend), inputs as Inputs, (attrs ?? {}) as NamedAttrMap)) as KernelFunc;

    const sequence = withBackend((runner, i, attrs) =>
      gpuSequenceForward(
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
      gpuSequenceBackward(
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
      const [sequenceOutput, ...rest] = gpuSequenceForward(
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
      const [dx, ...rest] = gpuSequenceBackward(
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
