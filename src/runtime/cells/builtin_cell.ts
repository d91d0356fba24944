/**
 * What the three built-in cells share: canonical weights held as tf.Variables (the tf.layers /
 * Keras layout of the cell table), their initialisation, get/setWeights, validation of step and
 * sequence calls. The math of each cell lives in the kernel layer (src/runtime/kernels); the
 * subclasses only route a validated call to their step and sequence ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape } from '../errors.js';
import { CELLS, weightShapes, type CellKind } from '../kernels/cell_table.js';
import { tidyResult } from '../tidy.js';
import {
  type CarryTemplate,
  checkCarry,
  checkMask,
  checkSequenceInput,
  checkSize,
  checkStepInput,
  checkWeights,
  floatMask,
} from '../validation.js';
import type {
  Carry,
  RecurrentCell,
  SequenceCallOptions,
  SequenceResult,
  StepResult,
} from './cell.js';
import { glorotUniform, orthogonal } from './initializers.js';
import { initialWeightsOf } from './initial_weights.js';

export interface CellOptions {
  /** Makes the random initial weights reproducible. */
  seed?: number;
}

/** Which built-in cell this is (its gates, bias layout and carries come from the cell table). */
export interface CellSpec {
  kind: CellKind;
  /** Initial bias values (zeros unless the cell says otherwise, e.g. the LSTM forget gate). */
  initialBias?: (hiddenSize: number) => tf.Tensor;
  /** A variant's bias shape when it differs from the table's (reset-before GRU: [3H]). */
  biasShape?: (hiddenSize: number) => number[];
}

export type WeightSpec = ReadonlyArray<{ name: string; shape: readonly number[] }>;

function canonicalWeightSpec(kernel: readonly number[], recurrentKernel: readonly number[], bias: readonly number[]): WeightSpec {
  return [
    { name: 'kernel', shape: kernel },
    { name: 'recurrentKernel', shape: recurrentKernel },
    { name: 'bias', shape: bias },
  ];
}

export abstract class BuiltinCell<TCarry extends Carry> implements RecurrentCell<TCarry> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** [inputSize, gates * hiddenSize] */
  readonly kernel: tf.Variable<tf.Rank.R2>;
  /** [hiddenSize, gates * hiddenSize] */
  readonly recurrentKernel: tf.Variable<tf.Rank.R2>;
  /** [gates * hiddenSize], or [2, 3 * hiddenSize] for GRU. */
  readonly bias: tf.Variable;
  private readonly carryKeys: readonly string[];
  private readonly carryTemplate: CarryTemplate;
  /** The context of step errors, made once: a batch-1 step is short enough for a string per call to show. */
  private readonly stepContext: string;

  protected constructor(inputSize: number, hiddenSize: number, spec: CellSpec, options: CellOptions) {
    const context = `new ${new.target.name}`;
    this.inputSize = checkSize(inputSize, context, 'inputSize');
    this.hiddenSize = checkSize(hiddenSize, context, 'hiddenSize');
    this.carryKeys = CELLS[spec.kind].carries;
    this.carryTemplate = Object.fromEntries(this.carryKeys.map((key) => [key, [hiddenSize]]));
    this.stepContext = `${new.target.name}.step`;
    const shapes = weightShapes(spec.kind, inputSize, hiddenSize);
    const biasShape = spec.biasShape?.(hiddenSize) ?? shapes.bias;
    const imported = initialWeightsOf(options);
    // An importer's weights (initial_weights.ts) replace the initialisers, which then never run;
    // checked before any variable exists, so a refusal leaks nothing.
    if (imported) checkWeights(imported, canonicalWeightSpec(shapes.kernel, shapes.recurrentKernel, biasShape), context);
    const seed = options.seed;
    // tf.variable takes a reference to the initial value's data (an importer's tensors are shared,
    // not copied); the tidy only frees the intermediates.
    [this.kernel, this.recurrentKernel, this.bias] = tf.tidy(() => {
      const [kernel, recurrentKernel, bias] = imported ?? [
        glorotUniform(shapes.kernel, seed),
        orthogonal(shapes.recurrentKernel, seed === undefined ? undefined : seed + 1),
        spec.initialBias?.(hiddenSize) ?? tf.zeros(biasShape),
      ];
      return [tf.variable(kernel), tf.variable(recurrentKernel), tf.variable(bias)];
    }) as [tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R2>, tf.Variable];
  }

  /** The weights as the kernel ops take them (the subclass adds its variant's options). */
  protected weightTensors<TBias extends tf.Tensor = tf.Tensor>(): { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D; bias: TBias } {
    return { kernel: this.kernel, recurrentKernel: this.recurrentKernel, bias: this.bias as unknown as TBias };
  }

  /** The canonical weight list: names and shapes, in getWeights order. */
  weightSpec(): WeightSpec {
    return canonicalWeightSpec(this.kernel.shape, this.recurrentKernel.shape, this.bias.shape);
  }

  initialCarry(batchSize: number): TCarry {
    checkSize(batchSize, `${this.constructor.name}.initialCarry`, 'batchSize');
    return Object.fromEntries(
      this.carryKeys.map((key) => [key, tf.zeros([batchSize, this.hiddenSize])]),
    ) as unknown as TCarry;
  }

  /** One timestep through the cell's step kernel. `output` is the new `carry.h`. */
  step(x: tf.Tensor2D, carry: TCarry): StepResult<TCarry> {
    const context = this.stepContext;
    this.assertNotDisposed(context);
    const batch = checkStepInput(x, this.inputSize, context);
    checkCarry(carry, this.carryTemplate, batch, context);
    const next = this.runStep(x, carry);
    return { output: next.h as tf.Tensor2D, carry: next };
  }

  /**
   * The whole sequence through the cell's fused sequence kernel (one recorded kernel, BPTT fused
   * in its gradient). `Recurrence` calls this for built-in cells instead of looping over `step`.
   */
  sequence(x: tf.Tensor3D, carry: TCarry, options: SequenceCallOptions = {}): SequenceResult<TCarry> {
    const context = `${this.constructor.name}.sequence`;
    this.assertNotDisposed(context);
    const timeMajor = options.timeMajor ?? false;
    const { batch, time } = checkSequenceInput(x, this.inputSize, timeMajor, context);
    checkCarry(carry, this.carryTemplate, batch, context);
    if (options.mask !== undefined) checkMask(options.mask, batch, time, context);
    return tidyResult(() => {
      // The mask becomes float32 0/1 here (floatMask); the tidy frees that copy.
      const mask = options.mask === undefined ? undefined : floatMask(options.mask);
      return this.runSequence(x, carry, { mask, timeMajor, reverse: options.reverse ?? false });
    });
  }

  getWeights(): tf.Tensor[] {
    // The variables themselves, as tf.layers does: no copy to dispose, but do not dispose them.
    return [this.kernel, this.recurrentKernel, this.bias];
  }

  setWeights(weights: tf.Tensor[]): void {
    checkWeights(weights, this.weightSpec(), `${this.constructor.name}.setWeights`);
    const variables = this.trainableVariables();
    variables.forEach((variable, i) => {
      // Assigning a variable to itself would release its data before re-reading it.
      if (weights[i] !== variable) variable.assign(weights[i]);
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.kernel, this.recurrentKernel, this.bias];
  }

  dispose(): void {
    for (const variable of this.trainableVariables()) {
      if (!variable.isDisposed) variable.dispose();
    }
  }

  toString(): string {
    return `${this.constructor.name}(${this.inputSize} → ${this.hiddenSize}, kernel ${formatShape(this.kernel.shape)})`;
  }

  private assertNotDisposed(context: string): void {
    if (this.kernel.isDisposed || this.recurrentKernel.isDisposed || this.bias.isDisposed) {
      throw new Error(`${context}: this cell was disposed (its weights are released); build a new one.`);
    }
  }

  /** Validated inputs to the step kernel. */
  protected abstract runStep(x: tf.Tensor2D, carry: TCarry): TCarry;
  /** Validated inputs (float32 mask) to the sequence kernel. */
  protected abstract runSequence(
    x: tf.Tensor3D,
    carry: TCarry,
    options: Required<Omit<SequenceCallOptions, 'mask'>> & { mask?: tf.Tensor2D },
  ): SequenceResult<TCarry>;
}
