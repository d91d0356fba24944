/**
 * What a prepared right operand derived from a cell's weights K [D, gates] and R [H, gates] is
 * (cell_spec.ts: WeightForms): its kind and, for R's leading columns, how many. A source of the
 * weights' values (step_operands.ts) switches on the kind; nothing is read back out of a name.
 * Interned: one object per form, so a step names the forms it multiplies by without allocating,
 * and prepared_weights.ts keys its cache by `key`.
 */
import type { OperandForm } from './prepared_weights.js';

export type WeightForm = OperandForm & (
  | { readonly kind: 'kernel' }
  | { readonly kind: 'recurrent' }
  /** R's leading `width` columns, fewer than all (the reset-before GRU's z and r: recurrentProductGates). */
  | { readonly kind: 'recurrentLeading'; readonly width: number }
  /** [K; R] [D + H, gates]: the fused product [x | h]·[K; R] of LSTM and RNN. */
  | { readonly kind: 'stacked' }
  /** The cell's [H, H] second weight, from R (SimdCellSpec.secondWeight: the reset-before GRU's Rn). */
  | { readonly kind: 'second' }
);

export const KERNEL_FORM: WeightForm = Object.freeze({ kind: 'kernel', key: 'K' });
export const RECURRENT_FORM: WeightForm = Object.freeze({ kind: 'recurrent', key: 'R' });
export const STACKED_FORM: WeightForm = Object.freeze({ kind: 'stacked', key: 'K;R' });
export const SECOND_FORM: WeightForm = Object.freeze({ kind: 'second', key: 'second' });

const leadingByWidth = new Map<number, WeightForm>();

/** R's leading `width` of its `gates` columns: RECURRENT_FORM when all of them. */
export function recurrentColumnsForm(width: number, gates: number): WeightForm {
  if (width === gates) return RECURRENT_FORM;
  let form = leadingByWidth.get(width);
  if (!form) {
    form = Object.freeze({ kind: 'recurrentLeading', width, key: `R[:, :${width}]` });
    leadingByWidth.set(width, form);
  }
  return form;
}
