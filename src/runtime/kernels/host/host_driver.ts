/**
 * The host driver: one forward and one cuDNN-style backward for every cell, over the cell's
 * equations (cells/<cell>.ts, the HostCellSpec of cell_spec.ts). It owns the input projection, the
 * time loops, the choice between the SIMD gate kernels and the JavaScript row functions, the
 * workspace and the BPTT epilogue (weight and input gradients as batched matmuls).
 */
import { CELLS, hostWorkspaceFloats, recurrentProductGates, type CellKind, type CellVariant } from '../cell_table.js';
import type { HostCellData, HostForwardResult, HostUpstream } from './cell_spec.js';
import { HOST_CELLS } from './cells/index.js';
import { carryGradient, previousHidden, type SequenceGeometry } from './geometry.js';
import type { HostMath } from './host_math.js';
import { simdGateKernels, type SimdGateKernels } from './simd/gate_kernels.js';
import { simdBackward, simdForward } from './simd/simd_driver.js';
import { backwardSteps, forwardSteps, kernelTransposedProduct, projectInputs, recurrentProduct, recurrentTransposedProduct, weightGradientMath } from './time_loops.js';
import { weightGradients, type WeightGradients } from './weight_gradients.js';

export type { HostCellData, HostForwardResult, HostUpstream } from './cell_spec.js';

export interface HostGradients {
  /** Empty when the input gradient was not asked for. */
  dx: Float32Array;
  /** The gradient of x·K + b, [rows, gates] in x's row layout. */
  dInputProjection: Float32Array;
  dKernel: Float32Array;
  dRecurrentKernel: Float32Array;
  /** Shaped like the canonical bias. */
  dBias: Float32Array;
  dCarries: Float32Array[];
}

/**
 * The SIMD gate kernels when they can run this case, else null (the JavaScript row functions
 * run): masks need per-row branching, and hidden sizes must fill whole f32x4 lanes.
 */
export function simdKernelsFor(g: SequenceGeometry, mask: Float32Array | null): SimdGateKernels | null {
  if (mask !== null || g.hidden % 4 !== 0 || g.hidden === 0 || g.batch === 0 || g.time === 0) return null;
  return simdGateKernels();
}

export function hostForward(kind: CellKind, g: SequenceGeometry, a: HostCellData, variant: CellVariant, saveForBackward: boolean, math: HostMath): HostForwardResult {
  const cell = HOST_CELLS[kind];
  const simdCell = cell.simd(variant);
  const kernels = simdCell ? simdKernelsFor(g, a.mask) : null;
  if (simdCell && kernels) return simdForward(kernels, simdCell, kind, variant, g, a, saveForBackward, math);
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const P = recurrentProductGates(kind, variant) * H;
  const rows = g.batch * g.time;
  const workspace = projectInputs(g, math, a, G, saveForBackward ? hostWorkspaceFloats(kind, rows, H) : 0);
  const carries = a.carries.map((carry) => Float32Array.from(carry));
  const output = new Float32Array(rows * H);
  // R read out of the backend only by a row function that asks for it (the reset-before GRU's Rn
  // where nothing keeps it prepared).
  const row = cell.forwardRow({ g, variant, workspace, saveForBackward, bias: a.bias, get recurrentKernel() { return a.recurrentKernel; }, carries, output });
  forwardSteps(g, math, a.mask, carries[0], recurrentProduct(g, math, a, G, P), P, row, a.weightForms);
  return { output, carries, workspace: saveForBackward ? workspace : new Float32Array(0) };
}

export function hostBackward(
  kind: CellKind,
  g: SequenceGeometry,
  a: HostCellData,
  variant: CellVariant,
  workspace: Float32Array,
  upstream: HostUpstream,
  math: HostMath,
): HostGradients {
  const cell = HOST_CELLS[kind];
  const simdCell = cell.simd(variant);
  const kernels = simdCell ? simdKernelsFor(g, a.mask) : null;
  if (simdCell && kernels) {
    const r = simdBackward(kernels, simdCell, cell, kind, variant, g, a, workspace, upstream, math);
    return gradientsOf(a.bias.length, r.weights, r.dCarries);
  }
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const P = recurrentProductGates(kind, variant) * H;
  const rows = g.batch * g.time;
  const hPrev = previousHidden(g, a.output, a.carries[0], a.mask);
  const dCarries = a.carries.map((_, i) => carryGradient(upstream.dCarries[i], g.batch * H));
  const dInputProjection = new Float32Array(rows * G);
  const dRecurrentProjection = cell.sharedProjectionGradient ? dInputProjection : new Float32Array(rows * G);
  const row = cell.backwardRow({
    g, variant, workspace, get recurrentKernel() { return a.recurrentKernel; }, initialCarries: a.carries, mask: a.mask, hPrev, dOutput: upstream.dOutput,
    dCarries, dInputProjection,
  });
  backwardSteps(g, math, a.mask, dCarries[0], recurrentTransposedProduct(g, math, a, G, P), P, dRecurrentProjection, G, row, a.weightForms);
  const weights = weightGradients(weightGradientMath(math, a), g, G, a.x, () => kernelTransposedProduct(g, math, a, G), hPrev, dInputProjection, dRecurrentProjection, { inputGradient: a.inputGradient });
  cell.finishWeightGradients?.({ g, variant, workspace, dInputProjection, dRecurrentKernel: weights.dRecurrentKernel, matmul: math.matmul.bind(math) });
  return gradientsOf(a.bias.length, weights, dCarries);
}

/** The gradients, dBias shaped like the canonical bias of `biasLength` floats (one or two rows). */
function gradientsOf(biasLength: number, weights: WeightGradients, dCarries: Float32Array[]): HostGradients {
  let dBias = weights.dInputBias;
  if (biasLength === 2 * weights.dInputBias.length) {
    // [2, gates]: the input bias row, then the recurrent bias row.
    dBias = new Float32Array(weights.dInputBias.length * 2);
    dBias.set(weights.dInputBias, 0);
    dBias.set(weights.dRecurrentBias, weights.dInputBias.length);
  }
  const { dx, dInputProjection, dKernel, dRecurrentKernel } = weights;
  return { dx, dInputProjection, dKernel, dRecurrentKernel, dBias, dCarries };
}
