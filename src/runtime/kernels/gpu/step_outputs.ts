/**
 * The outputs of a time loop, one per timestep, [T, size] in time order. Where the backend's
 * programs can write into part of a tensor (webgpu), one tensor written in place step by step;
 * elsewhere (webgl, whose programs write whole textures) a tensor per step, concatenated once
 * after the loop (the backend's concat: a tree of programs, as many inputs each as it binds).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { GpuScope } from './runner.js';
import type { ShaderSpec } from './shaders.js';

/** Where a step's output lies: the tensor holding it and the element it starts at. */
export interface StepOutputAt {
  tensor: TensorInfo;
  offset: number;
}

export class StepOutputs {
  /** All steps in one tensor, when written in place. */
  private readonly whole?: TensorInfo;
  private readonly parts: TensorInfo[];

  constructor(
    private readonly scope: GpuScope,
    private readonly time: number,
    private readonly size: number,
  ) {
    this.parts = new Array(time);
    // One step: its own output is the whole, no concat to save.
    if (scope.runner.runInto && time > 1) this.whole = scope.allocate([time * size]);
  }

  /**
   * Runs `spec` as the output of timestep `t`. `earlier` names the inputs that are outputs of
   * earlier steps of this loop (given in `available` as `at(step).tensor`, read at the offsets
   * the uniforms carry): written in place, they are read from the one tensor.
   */
  write(t: number, spec: ShaderSpec, available: Record<string, TensorInfo | undefined>, uniformValues: number[], earlier: string[] = []): void {
    if (this.whole) this.scope.shaderInto(this.whole, t * this.size, spec, available, uniformValues, earlier);
    else this.parts[t] = this.scope.shader(spec, available, uniformValues);
  }

  at(t: number): StepOutputAt {
    return this.whole ? { tensor: this.whole, offset: t * this.size } : { tensor: this.parts[t], offset: 0 };
  }

  /** Step t's output as a tensor of its own, where it is one (not written in place). */
  own(t: number): TensorInfo | undefined {
    return this.whole ? undefined : this.parts[t];
  }

  /** Every step's output, flat [time · size]. */
  all(): TensorInfo {
    return this.whole ?? this.scope.concat(this.parts, 0);
  }
}
