/**
 * Bidirectional: a forward and a backward sequence layer over the same input, outputs merged.
 *
 * Decision: Bidirectional never changes a layer's direction behind its back. The backward layer
 * is built with `reverse: true` (and the forward one without), which the constructor checks, so
 * each layer means the same thing inside and outside the wrapper. Because `reverse` keeps
 * output[t] aligned with x[t], the two output sequences merge step by step with no re-ordering.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CarryOf, RecurrentCell } from './cells/cell.js';
import { RnnShapeError } from './errors.js';
import type { ApplyOptions, Recurrence } from './recurrence.js';
import { tidyResult } from './tidy.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

export interface BidirectionalOptions {
  /** How the two outputs combine: 'concat' (default, features [fwd, bwd]), 'sum', 'mul', 'ave'. */
  merge?: MergeMode;
}

type AnyCell = RecurrentCell<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type BidirectionalCarry<TForward extends AnyCell, TBackward extends AnyCell> = {
  forward: CarryOf<TForward>;
  backward: CarryOf<TBackward>;
};

export class Bidirectional<TForward extends AnyCell, TBackward extends AnyCell = TForward> {
  readonly forward: Recurrence<TForward>;
  readonly backward: Recurrence<TBackward>;
  readonly merge: MergeMode;

  constructor(forward: Recurrence<TForward>, backward: Recurrence<TBackward>, options: BidirectionalOptions = {}) {
    const merge = options.merge ?? 'concat';
    if (!MERGE_MODES.includes(merge)) {
      throw new TypeError(
        `new Bidirectional: merge must be one of ${MERGE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(merge)}.`,
      );
    }
    if (forward === (backward as unknown)) {
      throw new TypeError('new Bidirectional: the forward and backward layers must be two layers, got the same one twice.');
    }
    if (forward.reverse || !backward.reverse) {
      throw new TypeError(
        'new Bidirectional: expected the backward layer built with { reverse: true } and the forward one without, ' +
          `got forward reverse=${forward.reverse}, backward reverse=${backward.reverse}.`,
      );
    }
    for (const option of ['timeMajor', 'returnSequences'] as const) {
      if (forward[option] !== backward[option]) {
        throw new TypeError(
          `new Bidirectional: both layers need the same ${option}, got forward ${forward[option]}, backward ${backward[option]}.`,
        );
      }
    }
    if (forward.cell.inputSize !== backward.cell.inputSize) {
      throw new RnnShapeError(
        'new Bidirectional',
        `two layers with the same inputSize (forward ${forward.cell.inputSize})`,
        `backward inputSize ${backward.cell.inputSize}`,
      );
    }
    if (merge !== 'concat' && forward.cell.hiddenSize !== backward.cell.hiddenSize) {
      throw new RnnShapeError(
        'new Bidirectional',
        `the same hiddenSize in both layers for merge '${merge}' (forward ${forward.cell.hiddenSize})`,
        `backward hiddenSize ${backward.cell.hiddenSize}`,
      );
    }
    this.forward = forward;
    this.backward = backward;
    this.merge = merge;
  }

  initialCarry(batchSize: number): BidirectionalCarry<TForward, TBackward> {
    return { forward: this.forward.initialCarry(batchSize), backward: this.backward.initialCarry(batchSize) };
  }

  /** Both directions over x (same mask); carry in and out as `{ forward, backward }`. */
  apply(
    x: tf.Tensor,
    carry?: BidirectionalCarry<TForward, TBackward>,
    options: ApplyOptions = {},
  ): { output: tf.Tensor; carry: BidirectionalCarry<TForward, TBackward> } {
    if (carry !== undefined) {
      const keys = typeof carry === 'object' && carry !== null ? Object.keys(carry) : [];
      if (keys.length !== 2 || !keys.includes('forward') || !keys.includes('backward')) {
        throw new RnnShapeError(
          'Bidirectional.apply',
          'a carry { forward, backward }',
          typeof carry === 'object' && carry !== null ? `keys { ${keys.join(', ')} }` : String(carry),
        );
      }
    }
    // The tidy frees the forward result if the backward layer rejects its input.
    return tidyResult(() => {
      const forward = this.forward.apply(x, carry?.forward, options);
      const backward = this.backward.apply(x, carry?.backward, options);
      return {
        output: this.mergeOutputs(forward.output, backward.output),
        carry: { forward: forward.carry, backward: backward.carry },
      };
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.forward.trainableVariables(), ...this.backward.trainableVariables()];
  }

  dispose(): void {
    this.forward.dispose();
    this.backward.dispose();
  }

  private mergeOutputs(forward: tf.Tensor, backward: tf.Tensor): tf.Tensor {
    switch (this.merge) {
      case 'concat':
        return tf.concat([forward, backward], -1);
      case 'sum':
        return tf.add(forward, backward);
      case 'mul':
        return tf.mul(forward, backward);
      case 'ave':
        return tf.div(tf.add(forward, backward), 2);
    }
  }
}
