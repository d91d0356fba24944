/**
 * One timestep of a cell on the host with its two projections given: what the step kernels run.
 * A step's products x·K and h·R read only the kernel's inputs, so the backend computes them where
 * it keeps the tensors (kernel_configs.ts: stepProjections) and this file runs the cell's gate
 * math on them: the cell's SIMD gate kernel when it applies, else its JavaScript row function,
 * with the same workspace as the host driver's one-step sequence.
 */
import { CELLS, hostWorkspaceFloats, type CellKind, type CellVariant } from '../cell_table.js';
import type { HostForwardResult, SimdForwardContext } from './cell_spec.js';
import { HOST_CELLS } from './cells/index.js';
import type { SequenceGeometry } from './geometry.js';
import { simdKernelsFor } from './host_driver.js';
import { allocate } from './simd/arena.js';

/** x·K and h·R of one step, [batch, gates] each (without bias). */
export interface StepProjections {
  input: Float32Array;
  recurrent: Float32Array;
}

/** The step's bias (canonical layout) and carries (h first). */
export interface StepState {
  bias: Float32Array;
  carries: Float32Array[];
}

/**
 * Whether this driver runs the variant's step: a step with a second product inside it (the
 * reset-before GRU's (r⊙h)·Rn, TwoPhaseRows) goes through the host driver's one-step sequence.
 */
export function stepDriverRuns(kind: CellKind, variant: CellVariant): boolean {
  return !(kind === 'gru' && variant.resetAfter === false);
}

/** One step (`g.time` is 1): the new carries, h first, and the workspace when saveForBackward. */
export function hostStepForward(kind: CellKind, g: SequenceGeometry, state: StepState, variant: CellVariant, saveForBackward: boolean,
  projections: StepProjections): HostForwardResult {
  const cell = HOST_CELLS[kind];
  const simdCell = cell.simd(variant);
  const kernels = simdCell ? simdKernelsFor(g, null) : null;
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const B = g.batch;
  const savedFloats = saveForBackward ? hostWorkspaceFloats(kind, B, H) : 0;
  if (simdCell && kernels) {
    // The same buffers as simdForward: a fused projection reads x·K + h·R from `product`, the
    // others x·K from the workspace's first block and h·R from `product`.
    const [workspace, output, product, bias, scratch, ...carries] = allocate(kernels, [
      saveForBackward ? savedFloats : simdCell.fusedProjection ? 0 : B * G, B * H, B * G, state.bias.length, H, ...state.carries.map(() => B * H),
    ]);
    carries.forEach((carry, i) => carry.view.set(state.carries[i]));
    bias.view.set(state.bias);
    if (simdCell.fusedProjection) {
      const z = product.view;
      for (let i = 0; i < B * G; i++) z[i] = projections.input[i] + projections.recurrent[i];
    } else {
      workspace.view.set(projections.input.subarray(0, B * G));
      product.view.set(projections.recurrent.subarray(0, B * G));
    }
    const c: SimdForwardContext = { g, saveForBackward, workspace, output, carries, product, bias, scratch, second: null };
    simdCell.forwardStep(kernels, c, 0);
    return { output: output.view, carries: carries.map((carry) => carry.view), workspace: saveForBackward ? workspace.view : new Float32Array(0) };
  }
  const workspace = new Float32Array(Math.max(savedFloats, B * G));
  workspace.set(projections.input.subarray(0, B * G));
  const carries = state.carries.map((carry) => Float32Array.from(carry));
  const output = new Float32Array(B * H);
  // No second product here (stepDriverRuns): the row function is a plain one.
  const row = cell.forwardRow({ g, variant, workspace, saveForBackward, bias: state.bias, recurrentKernel: new Float32Array(0), carries, output });
  if (typeof row !== 'function') throw new Error(`hostStepForward: the ${kind} variant needs a second product; run it through hostForward`);
  for (let b = 0; b < B; b++) row(b, b, projections.recurrent);
  return { output, carries, workspace: saveForBackward ? workspace : new Float32Array(0) };
}
