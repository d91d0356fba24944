/**
 * The SIMD path of the host driver (../host_driver.ts): the same workspace and matmuls as the
 * JavaScript path, with the per-step gate math in the cell's WebAssembly SIMD kernels
 * (SimdCellSpec). Every buffer the gate math touches lives in the kernels' arena, allocated at
 * once per call; the results are views of it, valid until the next host kernel call.
 */
import { CELLS, hostWorkspaceFloats, recurrentProductGates, type CellKind, type CellVariant } from '../../cell_table.js';
import type {
  HostCellData, HostCellSpec, HostForwardResult, HostUpstream, SimdBackwardContext, SimdCellSpec, SimdForwardContext, SimdSecondProduct,
} from '../cell_spec.js';
import { previousHidden, type SequenceGeometry } from '../geometry.js';
import { GEMV_MAX_ROWS, prepareRight, type HostMath } from '../host_math.js';
import { inputProjection, kernelTransposedProduct, recurrentProduct, recurrentTransposedProduct, stepForms, weightGradientMath } from '../time_loops.js';
import { weightGradients, type WeightGradients } from '../weight_gradients.js';
import { allocate, subBuffer, type ArenaBuffer } from './arena.js';
import type { SimdGateKernels } from './gate_kernels.js';
import { backwardLoop, forwardLoop, fusedForwardLoop, loadUpstream, projectedForwardLoop, transposeFloats, weightGradientOptions } from './time_loops.js';

/**
 * The cell's second product per step over the given arena buffers, or null; release() after the
 * loop. Its weight as the caller keeps it prepared per R lifetime (stepForms), else prepared for this call.
 */
function secondProduct(cell: SimdCellSpec, math: HostMath, a: HostCellData, g: SequenceGeometry, [operand, product]: ArenaBuffer[],
  transposeB: boolean): { second: SimdSecondProduct | null; release(): void } {
  if (!cell.secondWeight) return { second: null, release() {} };
  const times = stepForms(g, a)?.second(transposeB) ?? prepareRight(math, cell.secondWeight(a.recurrentKernel, g.hidden), g.hidden, g.hidden, { transposeB });
  return { second: { operand, product, run: () => times.run(operand.view, product.view, g.batch) }, release: () => times.release() };
}

/**
 * Whether a cell with a fused projection runs x·K up front instead (projectedForwardLoop), when
 * the backend multiplies by its weight tensors in place (a.resident): it reads R alone per step
 * and needs no per-call [K; R], but adds a row of x·K per step. Measured on wasm (LSTM forward,
 * loaded machine, min of 5–7 interleaved runs): with K ≥ 1 MiB it wins at every batch
 * (1×64×512×512 3.3×, 16×64×512×512 1.3×, 64×64×512×512 1.4× faster: R alone stays in L2 where
 * [K; R] did not); with a small K it wins only while the weights outweigh the rows (1×64×128×128
 * 2×), and loses up to 2–3× on long small-weight sequences (4×512×16×64, 8×1000×16×64).
 *
 * At ≤ GEMV_MAX_ROWS rows on the panel product (wasm's stepForms; cpu's own HostMath) also with
 * R ≥ 1 MiB, and on cpu with K or R ≥ 1 MiB: R alone per step is then the 'R' a step streams (no
 * second copy in [K; R]) and faster (cpu LSTM 1×64×512×512 forward 1.6×); with small weights the
 * fused loop stays (projected 10–30% slower at 1×512×16×64 and 1×64×64×128 on wasm and cpu).
 */
function projectedPays(g: SequenceGeometry, a: HostCellData, gates: number, math: HostMath): boolean {
  const D = g.inputSize;
  const largeK = D * gates >= PROJECTED_MIN_KERNEL_FLOATS;
  const onPanel = a.weightForms !== undefined && g.batch <= GEMV_MAX_ROWS && (a.weightForms.panelForms?.() !== undefined || math.preparedGemv === true);
  const largeR = onPanel && g.hidden * gates >= PROJECTED_MIN_KERNEL_FLOATS;
  if (a.resident !== undefined) return largeK || largeR || D + g.hidden >= g.batch * g.time;
  return onPanel && (largeK || largeR);
}
/** 1 MiB of K (or of R, above). */
const PROJECTED_MIN_KERNEL_FLOATS = 2 ** 18;

export function simdForward(kernels: SimdGateKernels, cell: SimdCellSpec, kind: CellKind, variant: CellVariant, g: SequenceGeometry,
  a: HostCellData, saveForBackward: boolean, math: HostMath): HostForwardResult {
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const P = recurrentProductGates(kind, variant) * H;
  const rows = g.batch * g.time;
  const fused = cell.fusedProjection && !projectedPays(g, a, G, math);
  // Without a fused projection x·K is the workspace's first block even when nothing is kept.
  const workspaceFloats = Math.max(saveForBackward ? hostWorkspaceFloats(kind, rows, H) : 0, fused ? 0 : rows * G);
  const secondFloats = cell.secondWeight ? g.batch * H : 0;
  const [workspace, output, product, bias, scratch, secondOperand, secondProductBuffer, ...carries] = allocate(kernels, [
    workspaceFloats, rows * H, g.batch * P, a.bias.length, H, secondFloats, secondFloats, ...a.carries.map(() => g.batch * H),
  ]);
  carries.forEach((carry, i) => carry.view.set(a.carries[i]));
  bias.view.set(a.bias);
  const second = secondProduct(cell, math, a, g, [secondOperand, secondProductBuffer], false);
  const c: SimdForwardContext = { g, saveForBackward, workspace, output, carries, product, bias, scratch, second: second.second };
  const step = (row0: number) => cell.forwardStep(kernels, c, row0);
  try {
    if (fused) {
      fusedForwardLoop(g, math, a, G, carries[0], product, step);
    } else {
      const projections = workspace.view.subarray(0, rows * G);
      inputProjection(g, math, a, G, projections);
      if (cell.fusedProjection) projectedForwardLoop(g, math, a, G, projections, carries[0], product, step);
      else forwardLoop(g, recurrentProduct(g, math, a, G, P), carries[0], product, step);
    }
  } finally {
    second.release();
  }
  return {
    output: output.view,
    carries: carries.map((carry) => carry.view),
    workspace: saveForBackward ? workspace.view : new Float32Array(0),
  };
}

export function simdBackward(kernels: SimdGateKernels, cell: SimdCellSpec, host: HostCellSpec, kind: CellKind, variant: CellVariant,
  g: SequenceGeometry, a: HostCellData, savedWorkspace: Float32Array, upstream: HostUpstream,
  math: HostMath): { weights: WeightGradients; dCarries: Float32Array[] } {
  const H = g.hidden;
  const G = CELLS[kind].gates * H;
  const P = recurrentProductGates(kind, variant) * H;
  const rows = g.batch * g.time;
  const shared = host.sharedProjectionGradient;
  const workspaceFloats = hostWorkspaceFloats(kind, rows, H);
  const { dOutput } = upstream;
  const secondFloats = cell.secondWeight ? g.batch * H : 0;
  const [workspace, extra, hPrevious, dOut, dRecurrentStep, dInSeparate, dRecSeparate, dInTransposed, dRecTransposed, secondOperand, secondProductBuffer,
    ...dCarries] = allocate(kernels, [
    workspaceFloats, rows * H * cell.backwardFloatsPerRow, rows * H, dOutput ? rows * H : H, g.batch * P,
    shared ? 0 : rows * G, shared ? 0 : rows * G, transposeFloats(rows, G), shared ? 0 : transposeFloats(rows, G), secondFloats, secondFloats,
    ...a.carries.map(() => g.batch * H),
  ]);
  workspace.view.set(savedWorkspace.subarray(0, workspaceFloats));
  // A shared projection gradient overwrites the gates block of this private copy of the workspace.
  const dIn = shared ? subBuffer(workspace, 0, rows * G) : dInSeparate;
  const dRec = shared ? dIn : dRecSeparate;
  const hPrev = previousHidden(g, a.output, a.carries[0], null, hPrevious.view);
  const second = secondProduct(cell, math, a, g, [secondOperand, secondProductBuffer], true);
  const c: SimdBackwardContext = {
    g, workspace, extra, hPrev: hPrevious, initialCarries: a.carries, dOutput: dOut, hasDOutput: dOutput !== null, dCarries, dRecurrentStep,
    dInputProjection: dIn, dRecurrentProjection: dRec, second: second.second,
  };
  cell.beforeBackward?.(kernels, c);
  dCarries.forEach((dCarry, i) => loadUpstream(dCarry, upstream.dCarries[i] ?? null));
  loadUpstream(dOut, dOutput); // absent: one zero row read with stride 0
  try {
    backwardLoop(g, recurrentTransposedProduct(g, math, a, G, P), dCarries[0].view, dRecurrentStep.view, (row0) => cell.backwardStep(kernels, c, row0));
  } finally {
    second.release();
  }
  const projections: Array<[typeof dIn, typeof dIn]> = shared ? [[dIn, dInTransposed]] : [[dIn, dInTransposed], [dRec, dRecTransposed]];
  const options = weightGradientOptions(kernels, rows, G, a.inputGradient, projections);
  const weights = weightGradients(weightGradientMath(math, a), g, G, a.x, () => kernelTransposedProduct(g, math, a, G), hPrev, dIn.view, dRec.view, options);
  host.finishWeightGradients?.({
    g, variant, workspace: workspace.view, dInputProjection: dIn.view, dRecurrentKernel: weights.dRecurrentKernel, matmul: math.matmul.bind(math),
  });
  return { weights, dCarries: dCarries.map((dCarry) => dCarry.view.slice()) };
}
