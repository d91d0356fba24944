/**
 * The host kernels as tfjs KernelConfigs, for any backend given its HostTensorIO: the sequence and
 * step kernels of every cell in the cell table, forward and backward, over the host driver, plus
 * SequenceInputGrad. Each sequence kernel registers its workspace allocator with the kernel layer.
 */
import { backend as activeBackend, engine, type KernelBackend, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { CELL_KINDS, CELLS, hostWorkspaceFloats, variantOfAttrs, type CellKind, type CellVariant } from '../cell_table.js';
import { SequenceInputGrad, type SequenceGradInputs } from '../kernel_names.js';
import { registerWorkspaceAllocator } from '../workspace_allocators.js';
import type { HostTensorIO } from './backend_io.js';
import type { HostCellData, ResidentProducts } from './cell_spec.js';
import { maskOrNull, type SequenceGeometry } from './geometry.js';
import { hostBackward, hostForward, type HostGradients } from './host_driver.js';
import { hostMathFor, type HostMath } from './host_math.js';
import { hostStepBackward, hostStepForward, stepSecondWeight } from './step_driver.js';
import { BackendStepOperands } from './step_operands.js';
import { inputGradientOf } from './weight_gradients.js';

/** Kernel inputs by name (SequenceGradInputs, or a step's h, c, dh, dc); the ops pass every input read. */
type Inputs = SequenceGradInputs & Record<string, TensorInfo>;
interface KernelParams {
  inputs: Inputs;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/**
 * The kernel's inputs as arrays. x and the weights are read on first use: a forward that
 * multiplies them where the backend keeps them (HostCellData.resident) never copies them out.
 */
function readCell(io: HostTensorIO, backend: KernelBackend, inputs: Inputs, carryNames: readonly string[]): HostCellData {
  const read = (t: TensorInfo) => io.read(backend, t);
  const onFirstUse = (t: TensorInfo) => {
    let values: Float32Array | undefined;
    return () => (values ??= read(t));
  };
  const [x, kernel, recurrentKernel] = [inputs.x, inputs.kernel, inputs.recurrentKernel].map(onFirstUse);
  return {
    get x() { return x(); },
    get kernel() { return kernel(); },
    get recurrentKernel() { return recurrentKernel(); },
    bias: read(inputs.bias),
    carries: carryNames.map((name) => read(inputs[name])),
    mask: inputs.mask !== undefined ? maskOrNull(read(inputs.mask)) : null,
    output: inputs.output !== undefined ? read(inputs.output) : null,
  };
}

function sequenceGeometry(inputs: Inputs, carryName: string, attrs: NamedAttrMap): SequenceGeometry {
  const [d0, d1, inputSize] = inputs.x.shape;
  const timeMajor = attrs.timeMajor === true;
  return { batch: timeMajor ? d1 : d0, time: timeMajor ? d0 : d1, inputSize, hidden: inputs[carryName].shape[1], timeMajor, reverse: attrs.reverse === true };
}

function stepGeometry(inputs: Inputs, carryName: string): SequenceGeometry {
  const [batch, inputSize] = inputs.x.shape;
  return { batch, time: 1, inputSize, hidden: inputs[carryName].shape[1], timeMajor: false, reverse: false };
}

function sizeOf(tensor: TensorInfo): number {
  return tensor.shape.reduce((n, d) => n * d, 1);
}

/** [dx, dKernel, dRecurrentKernel, dBias, ...dCarries], each shaped like its input (dx empty when deferred). */
function writeGradients(io: HostTensorIO, backend: KernelBackend, inputs: Inputs, carryNames: readonly string[], r: HostGradients): TensorInfo[] {
  return [
    io.write(backend, r.dx.length === 0 && sizeOf(inputs.x) > 0 ? [0] : inputs.x.shape, r.dx),
    io.write(backend, inputs.kernel.shape, r.dKernel),
    io.write(backend, inputs.recurrentKernel.shape, r.dRecurrentKernel),
    io.write(backend, inputs.bias.shape, r.dBias),
    ...r.dCarries.map((values, i) => io.write(backend, inputs[carryNames[i]].shape, values)),
  ];
}

/**
 * x·K and h·R of a sequence over the tensors where the backend keeps them, with its own matmul
 * (wasm: XNNPACK, K and R packed once for their lifetime), or undefined where it has none or a
 * matmul was plugged in with setHostMath (that one is honoured).
 */
function residentProducts(io: HostTensorIO, kb: KernelBackend, inputs: Inputs, math: HostMath): ResidentProducts | undefined {
  if (!io.product || !io.tensorRight || math !== io.math?.(kb)) return undefined;
  const recurrent = io.tensorRight(kb, inputs.recurrentKernel);
  if (!recurrent) return undefined;
  const { x, kernel } = inputs;
  const [inputSize, gates] = kernel.shape;
  return {
    inputProjection(c) {
      if (io.product!(kb, x, kernel, c)) return;
      math.matmul(io.read(kb, x), io.read(kb, kernel), c, x.shape.slice(0, -1).reduce((rows, d) => rows * d, 1), inputSize, gates);
    },
    recurrent,
  };
}

/** The four host kernels of one cell for one backend. */
function cellKernelConfigs(kind: CellKind, backendName: string, io: HostTensorIO): KernelConfig[] {
  const { carries, kernels: names } = CELLS[kind];
  const sequenceCarries = carries.map((c) => `${c}0`);
  const sequenceUpstream = carries.map((c) => `d${c}T`);
  const stepUpstream = carries.map((c) => `d${c}`);
  const hostMath = (kb: KernelBackend) => hostMathFor(backendName, () => io.math?.(kb));
  // A step's operands; a sequence uses their WeightForms (K's, R's and [K; R]'s forms prepared per
  // weight lifetime; on wasm, where SIMD validates, those on the panel product a step streams).
  const stepOperands = (kb: KernelBackend, inputs: Inputs, variant: CellVariant, carryNames: readonly string[] = carries, kernelName = names.step) =>
    new BackendStepOperands({ io, backend: kb, math: hostMath(kb), inputs, carryNames, secondWeight: stepSecondWeight(kind, variant), kernelName });
  const readOrNull = (kb: KernelBackend, t: TensorInfo | undefined) => (t ? io.read(kb, t) : null);

  const sequence = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
    const kb = backend as KernelBackend;
    const g = sequenceGeometry(inputs, sequenceCarries[0], attrs);
    const math = hostMath(kb);
    const variant = variantOfAttrs(attrs);
    const a = readCell(io, kb, inputs, sequenceCarries);
    a.resident = residentProducts(io, kb, inputs, math);
    a.weightForms = stepOperands(kb, inputs, variant, sequenceCarries, names.sequence);
    const r = hostForward(kind, g, a, variant, attrs.saveForBackward === true, math);
    const outputShape = [inputs.x.shape[0], inputs.x.shape[1], g.hidden];
    // With a workspace buffer (SequenceInputs.workspaceBuffer) the workspace output stays empty.
    const buffer = inputs.workspaceBuffer;
    const inBuffer = buffer !== undefined && sizeOf(buffer) > 0;
    if (inBuffer && sizeOf(buffer) !== r.workspace.length) {
      throw new Error(`${names.sequence}: workspace buffer of ${sizeOf(buffer)} floats for a workspace of ${r.workspace.length}`);
    }
    if (inBuffer) io.fill(kb, buffer, r.workspace);
    return [
      io.write(kb, outputShape, r.output),
      ...r.carries.map((values, i) => io.write(kb, inputs[sequenceCarries[i]].shape, values)),
      inBuffer ? io.write(kb, [0], new Float32Array(0)) : io.write(kb, [r.workspace.length], r.workspace),
    ];
  };

  const sequenceGrad = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
    const kb = backend as KernelBackend;
    const g = sequenceGeometry(inputs, sequenceCarries[0], attrs);
    const variant = variantOfAttrs(attrs);
    const a = readCell(io, kb, inputs, sequenceCarries);
    a.weightForms = stepOperands(kb, inputs, variant, sequenceCarries, names.sequenceGrad);
    const upstream = { dOutput: readOrNull(kb, inputs.dOutput), dCarries: sequenceUpstream.map((name) => readOrNull(kb, inputs[name])) };
    // Deferring dx leaves dInputProjection [rows, gates] at the start of the workspace, which
    // the Grad kernel owns from here on (kernel_names.ts: deferInputGradient).
    const dInputProjectionSize = g.batch * g.time * inputs.kernel.shape[1];
    a.inputGradient = !(attrs.deferInputGradient === true && sizeOf(inputs.workspace) >= dInputProjectionSize);
    const r = hostBackward(kind, g, a, variant, io.read(kb, inputs.workspace), upstream, hostMath(kb));
    if (!a.inputGradient) io.fill(kb, inputs.workspace, r.dInputProjection);
    return writeGradients(io, kb, inputs, sequenceCarries, r);
  };

  const step = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
    const kb = backend as KernelBackend;
    const g = stepGeometry(inputs, carries[0]);
    const variant = variantOfAttrs(attrs);
    const saveForBackward = attrs.saveForBackward === true;
    const r = hostStepForward(kind, g, variant, saveForBackward, stepOperands(kb, inputs, variant));
    // With one timestep the output is the new h (r.carries[0]); return the carries only, and the
    // workspace only when it is kept (runFusedStep drops it): an empty tensor per step costs.
    const outputs = r.carries.map((values, i) => io.write(kb, inputs[carries[i]].shape, values));
    if (saveForBackward) outputs.push(io.write(kb, [r.workspace.length], r.workspace));
    return outputs;
  };

  const stepGrad = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
    const kb = backend as KernelBackend;
    const g = stepGeometry(inputs, carries[0]);
    const variant = variantOfAttrs(attrs);
    // K and R are not read: their products come prepared (stepOperands).
    const a = { x: io.read(kb, inputs.x), bias: io.read(kb, inputs.bias), carries: carries.map((name) => io.read(kb, inputs[name])), mask: null };
    // The step's h output is the sequence output of a one-step sequence.
    const upstream = { dOutput: readOrNull(kb, inputs.dh), dCarries: stepUpstream.map((name, i) => (i > 0 ? readOrNull(kb, inputs[name]) : null)) };
    const r = hostStepBackward(kind, g, a, variant, io.read(kb, inputs.workspace), upstream, hostMath(kb), stepOperands(kb, inputs, variant));
    return writeGradients(io, kb, inputs, carries, r);
  };

  const sequenceFunc = sequence as unknown as KernelFunc;
  registerWorkspaceAllocator(sequenceFunc, (_kernelName, rows, hidden) => {
    const floats = hostWorkspaceFloats(kind, rows, hidden);
    return floats === 0 ? null : engine().makeTensorFromTensorInfo(io.allocate(activeBackend(), floats));
  });
  return [
    { kernelName: names.sequence, backendName, kernelFunc: sequenceFunc },
    { kernelName: names.sequenceGrad, backendName, kernelFunc: sequenceGrad as unknown as KernelFunc },
    { kernelName: names.step, backendName, kernelFunc: step as unknown as KernelFunc },
    { kernelName: names.stepGrad, backendName, kernelFunc: stepGrad as unknown as KernelFunc },
  ];
}

/** All forward and backward host kernels of every cell for one backend. */
export function hostKernelConfigs(backendName: string, io: HostTensorIO): KernelConfig[] {
  const hostMath = (kb: KernelBackend) => hostMathFor(backendName, () => io.math?.(kb));
  const sequenceInputGrad = ({ inputs, backend }: KernelParams): TensorInfo => {
    const kb = backend as KernelBackend;
    const [inputSize, gates] = inputs.kernel.shape;
    const rows = sizeOf(inputs.x) / inputSize;
    const dInputProjection = io.read(kb, inputs.workspace).subarray(0, rows * gates);
    // Kᵀ prepared once per K lifetime (only the kernel input is read of the operands' inputs).
    const weights = new BackendStepOperands({ io, backend: kb, math: hostMath(kb), inputs, carryNames: [], secondWeight: null, kernelName: SequenceInputGrad });
    const dx = inputGradientOf(weights.kernelTransposed(), dInputProjection, rows, inputSize);
    return io.write(kb, inputs.x.shape, dx);
  };
  return [
    ...CELL_KINDS.flatMap((kind) => cellKernelConfigs(kind, backendName, io)),
    { kernelName: SequenceInputGrad, backendName, kernelFunc: sequenceInputGrad as unknown as KernelFunc },
  ];
}
