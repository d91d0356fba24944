/**
 * The forms of a cell's weights (host/weight_form.ts) and the values a step's operands give for
 * each (step_operands.ts: values switches on the form's kind): R's leading columns of any width,
 * the stacked [K; R], the second weight, each against the weights sliced by hand; a form is one
 * object per width (the cache tells forms apart by it, a step names them without allocating).
 */
import { describe, expect, it } from 'vitest';
import { activateBackend, tf } from '../../../helpers/backends.js';
import { cpuTensorIO } from '../../../../src/runtime/kernels/host/backend_io.js';
import { jsHostMath } from '../../../../src/runtime/kernels/host/host_math.js';
import { BackendStepOperands } from '../../../../src/runtime/kernels/host/step_operands.js';
import { stepSecondWeight } from '../../../../src/runtime/kernels/host/step_driver.js';
import { KERNEL_FORM, RECURRENT_FORM, recurrentColumnsForm, SECOND_FORM, STACKED_FORM } from '../../../../src/runtime/kernels/host/weight_form.js';

/** Columns [from, to) of a row-major [rows, cols] matrix, dense. */
function columns(values: Float32Array, rows: number, cols: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) out.push(...values.subarray(r * cols + from, r * cols + to));
  return out;
}

describe('weight forms', () => {
  it('R\'s leading columns: one object per width, R itself when all of them', () => {
    expect(recurrentColumnsForm(10, 15)).toBe(recurrentColumnsForm(10, 15));
    expect(recurrentColumnsForm(10, 15)).toMatchObject({ kind: 'recurrentLeading', width: 10 });
    expect(recurrentColumnsForm(6, 15)).not.toBe(recurrentColumnsForm(10, 15));
    expect(recurrentColumnsForm(15, 15)).toBe(RECURRENT_FORM);
    const keys = [KERNEL_FORM, RECURRENT_FORM, STACKED_FORM, SECOND_FORM, recurrentColumnsForm(6, 15), recurrentColumnsForm(10, 15)].map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a reset-before GRU step\'s operands give each form\'s values from K and R', async () => {
    await activateBackend('cpu');
    const [D, H] = [3, 5];
    const G = 3 * H;
    const kernel = tf.randomNormal([D, G], 0, 1, 'float32', 1);
    const recurrentKernel = tf.randomNormal([H, G], 0, 1, 'float32', 2);
    const [k, r] = [kernel, recurrentKernel].map((t) => t.dataSync() as Float32Array);
    const inputs = { x: tf.zeros([1, D]), kernel, recurrentKernel, bias: tf.zeros([G]), h: tf.zeros([1, H]) };
    const secondWeight = stepSecondWeight('gru', { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false });
    const operands = new BackendStepOperands({ io: cpuTensorIO, backend: tf.backend(), math: jsHostMath, inputs, carryNames: ['h'], secondWeight, kernelName: 'test' });
    expect(Array.from(operands.values(KERNEL_FORM))).toEqual(Array.from(k));
    expect(Array.from(operands.values(RECURRENT_FORM))).toEqual(Array.from(r));
    expect(Array.from(operands.values(recurrentColumnsForm(2 * H, G)))).toEqual(columns(r, H, G, 0, 2 * H));
    expect(Array.from(operands.values(recurrentColumnsForm(7, G)))).toEqual(columns(r, H, G, 0, 7));
    expect(Array.from(operands.values(SECOND_FORM))).toEqual(columns(r, H, G, 2 * H, 3 * H));
    expect(Array.from(operands.values(STACKED_FORM))).toEqual([...k, ...r]);
    const withoutSecond = new BackendStepOperands({ io: cpuTensorIO, backend: tf.backend(), math: jsHostMath, inputs, carryNames: ['h'], secondWeight: null, kernelName: 'LSTMStep' });
    expect(() => withoutSecond.values(SECOND_FORM)).toThrow(/LSTMStep: this step has no second weight/);
    tf.dispose(Object.values(inputs));
  });
});
