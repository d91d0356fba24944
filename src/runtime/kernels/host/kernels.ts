/**
 * The host kernels as tfjs KernelConfigs: one generic sequence/step forward and backward kernel
 * function, driven by a small adapter per cell, for any backend given its HostTensorIO.
 */
import { backend as activeBackend, engine, getBackend, getKernel, type KernelBackend, type KernelConfig, type KernelFunc, type NamedAttrMap, type Tensor, type TensorInfo } from '@tensorflow/tfjs-core';
import { CELL_KERNELS, GruSequence, LstmSequence, RnnSequence, SequenceInputGrad, type CellKernelNames, type RnnActivation } from '../kernel_names.js';
import type { HostTensorIO } from './backend_io.js';
import { gruBackward, gruForward, gruWorkspaceFloats } from './gru.js';
import { hostMathFor, type HostMath } from './host_math.js';
import { lstmBackward, lstmForward, lstmWorkspaceFloats } from './lstm.js';
import { withPreparedWeights } from './prepared_weights.js';
import { rnnBackward, rnnForward, rnnWorkspaceFloats } from './rnn.js';
import { inputGradientOf, maskOrNull, type SequenceGeometry } from './sequence.js';

/** A cell's inputs with its carries as a list ([h] or [h, c]) so one driver serves all cells. */
interface CellData {
  x: Float32Array;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
  carries: Float32Array[];
  mask: Float32Array | null;
  /** Backward of a sequence: the saved forward output (the hidden states the workspace omits). */
  output?: Float32Array | null;
  /** Backward: false leaves dx empty (deferred to SequenceInputGrad). */
  inputGradient?: boolean;
}

interface CellGradients {
  dx: Float32Array;
  dInputProjection: Float32Array;
  dKernel: Float32Array;
  dRecurrentKernel: Float32Array;
  dBias: Float32Array;
  dCarries: Float32Array[];
}

interface HostCell {
  forward(g: SequenceGeometry, a: CellData, activation: RnnActivation, save: boolean, math: HostMath): { output: Float32Array; carries: Float32Array[]; workspace: Float32Array };
  backward(
    g: SequenceGeometry,
    a: CellData,
    activation: RnnActivation,
    workspace: Float32Array,
    dOutput: Float32Array | null,
    dCarries: (Float32Array | null)[],
    math: HostMath,
  ): CellGradients;
}

const lstmCell: HostCell = {
  forward(g, a, _activation, save, math) {
    const r = lstmForward(g, { ...a, h0: a.carries[0], c0: a.carries[1] }, save, math);
    return { output: r.output, carries: [r.h, r.c], workspace: r.workspace };
  },
  backward(g, a, _activation, workspace, dOutput, [dh, dc], math) {
    const r = lstmBackward(g, { ...a, h0: a.carries[0], c0: a.carries[1] }, workspace, { dOutput, dh, dc }, math);
    return { ...r, dBias: r.dInputBias, dCarries: [r.dh0, r.dc0] };
  },
};

const gruCell: HostCell = {
  forward(g, a, _activation, save, math) {
    const r = gruForward(g, { ...a, h0: a.carries[0] }, save, math);
    return { output: r.output, carries: [r.h], workspace: r.workspace };
  },
  backward(g, a, _activation, workspace, dOutput, [dh], math) {
    const r = gruBackward(g, { ...a, h0: a.carries[0] }, workspace, { dOutput, dh }, math);
    const dBias = new Float32Array(r.dInputBias.length * 2); // [2, 3H]: input row, recurrent row
    dBias.set(r.dInputBias, 0);
    dBias.set(r.dRecurrentBias, r.dInputBias.length);
    return { ...r, dBias, dCarries: [r.dh0] };
  },
};

const rnnCell: HostCell = {
  forward(g, a, activation, save, math) {
    const r = rnnForward(g, { ...a, h0: a.carries[0] }, activation, save, math);
    return { output: r.output, carries: [r.h], workspace: r.workspace };
  },
  backward(g, a, activation, workspace, dOutput, [dh], math) {
    const r = rnnBackward(g, { ...a, h0: a.carries[0] }, activation, workspace, { dOutput, dh }, math);
    return { ...r, dBias: r.dInputBias, dCarries: [r.dh0] };
  },
};

/** A cell's kernels and its carry names: sequence inputs (h0, c0), step inputs (h, c). */
interface HostCellKernels extends CellKernelNames {
  sequenceCarries: string[];
  stepCarries: string[];
}

const cells: [HostCell, HostCellKernels][] = [
  [lstmCell, { ...CELL_KERNELS.lstm, sequenceCarries: ['h0', 'c0'], stepCarries: ['h', 'c'] }],
  [gruCell, { ...CELL_KERNELS.gru, sequenceCarries: ['h0'], stepCarries: ['h'] }],
  [rnnCell, { ...CELL_KERNELS.rnn, sequenceCarries: ['h0'], stepCarries: ['h'] }],
];

/** Upstream gradient names of the carries: dh0 → dhT for sequences, h → dh for steps. */
const sequenceUpstream = (carry: string) => `d${carry[0]}T`;
const stepUpstream = (carry: string) => `d${carry}`;

function readCell(io: HostTensorIO, backend: KernelBackend, inputs: Inputs, carryNames: string[]): CellData {
  const read = (t: TensorInfo) => io.read(backend, t);
  return {
    x: read(inputs.x),
    kernel: read(inputs.kernel),
    recurrentKernel: read(inputs.recurrentKernel),
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

function activationOf(attrs: NamedAttrMap): RnnActivation {
  return (attrs.activation as RnnActivation | undefined) ?? 'tanh';
}

/** Kernel inputs by name; the ops always pass every input the kernel reads (mask aside). */
type Inputs = Record<string, TensorInfo>;
interface KernelParams {
  inputs: Inputs;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** The sequence kernel functions made here: they accept a `workspaceBuffer` input. */
const hostSequenceKernels = new WeakSet<KernelFunc>();

/** How each backend with host kernels reads and writes its tensors (set by hostKernelConfigs). */
const tensorIOByBackend = new Map<string, HostTensorIO>();

/**
 * The `workspaceBuffer` input of a sequence op recording a gradient: a float32 tensor of the
 * workspace the host sequence kernel registered for the active backend keeps for its backward
 * (LSTM 4H, GRU 4H, RNN H floats per row of x), values undefined until the kernel fills it; null
 * when that kernel is not a host kernel.
 */
export function allocateHostWorkspace(kernelName: string, rows: number, hidden: number): Tensor | null {
  const backendName = getBackend();
  const kernel = getKernel(kernelName, backendName);
  const io = tensorIOByBackend.get(backendName);
  const floats = workspaceFloatsOf[kernelName]?.(rows, hidden) ?? 0;
  if (!kernel || !hostSequenceKernels.has(kernel.kernelFunc) || !io || floats === 0) return null;
  return engine().makeTensorFromTensorInfo(io.allocate(activeBackend(), floats));
}

const workspaceFloatsOf: Record<string, (rows: number, hidden: number) => number> = {
  [LstmSequence]: lstmWorkspaceFloats,
  [GruSequence]: gruWorkspaceFloats,
  [RnnSequence]: rnnWorkspaceFloats,
};

/** All forward and backward host kernels of the three cells for one backend. */
export function hostKernelConfigs(backendName: string, io: HostTensorIO): KernelConfig[] {
  const configs: KernelConfig[] = [];
  tensorIOByBackend.set(backendName, io);
  const hostMath = (kb: KernelBackend) => hostMathFor(backendName, () => io.math?.(kb));
  // A step kernel runs once per timestep with the same weights: their prepared forms are kept.
  const stepMath = (kb: KernelBackend, inputs: Inputs) => withPreparedWeights(hostMath(kb), [inputs.kernel.dataId, inputs.recurrentKernel.dataId]);
  for (const [cell, names] of cells) {
    const carryShape = (inputs: Inputs, carry: string) => inputs[carry].shape;

    const sequence = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
      const kb = backend as KernelBackend;
      const g = sequenceGeometry(inputs, names.sequenceCarries[0], attrs);
      const a = readCell(io, kb, inputs, names.sequenceCarries);
      const r = cell.forward(g, a, activationOf(attrs), attrs.saveForBackward === true, hostMath(kb));
      const outputShape = [inputs.x.shape[0], inputs.x.shape[1], g.hidden];
      // With a workspace buffer from the op (allocateHostWorkspace) the workspace goes there and the
      // workspace output stays empty: the engine would otherwise give that output a zero-filled
      // upstream gradient of its full size in the backward.
      const buffer = inputs.workspaceBuffer;
      const inBuffer = buffer !== undefined && sizeOf(buffer) > 0;
      if (inBuffer && sizeOf(buffer) !== r.workspace.length) {
        throw new Error(`${names.sequence}: workspace buffer of ${sizeOf(buffer)} floats for a workspace of ${r.workspace.length}`);
      }
      if (inBuffer) io.fill(kb, buffer, r.workspace);
      return [
        io.write(kb, outputShape, r.output),
        ...r.carries.map((values, i) => io.write(kb, carryShape(inputs, names.sequenceCarries[i]), values)),
        inBuffer ? io.write(kb, [0], new Float32Array(0)) : io.write(kb, [r.workspace.length], r.workspace),
      ];
    };

    const sequenceGrad = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
      const kb = backend as KernelBackend;
      const g = sequenceGeometry(inputs, names.sequenceCarries[0], attrs);
      const a = readCell(io, kb, inputs, names.sequenceCarries);
      const upstream = names.sequenceCarries.map((c) => (inputs[sequenceUpstream(c)] ? io.read(kb, inputs[sequenceUpstream(c)]) : null));
      const dOutput = inputs.dOutput ? io.read(kb, inputs.dOutput) : null;
      // Deferring dx leaves dInputProjection [rows, gates] at the start of the workspace, which
      // the Grad kernel owns from here on (kernel_names.ts: deferInputGradient).
      const dInputProjectionSize = g.batch * g.time * inputs.kernel.shape[1];
      a.inputGradient = !(attrs.deferInputGradient === true && sizeOf(inputs.workspace) >= dInputProjectionSize);
      const r = cell.backward(g, a, activationOf(attrs), io.read(kb, inputs.workspace), dOutput, upstream, hostMath(kb));
      if (!a.inputGradient) io.fill(kb, inputs.workspace, r.dInputProjection);
      return writeGradients(io, kb, inputs, names.sequenceCarries, r);
    };

    const step = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
      const kb = backend as KernelBackend;
      const g = stepGeometry(inputs, names.stepCarries[0]);
      const a = readCell(io, kb, inputs, names.stepCarries);
      const r = cell.forward(g, a, activationOf(attrs), attrs.saveForBackward === true, stepMath(kb, inputs));
      // With one timestep the output is the new h (r.carries[0]); return the carries only.
      return [
        ...r.carries.map((values, i) => io.write(kb, carryShape(inputs, names.stepCarries[i]), values)),
        io.write(kb, [r.workspace.length], r.workspace),
      ];
    };

    const stepGrad = ({ inputs, backend, attrs = {} }: KernelParams): TensorInfo[] => {
      const kb = backend as KernelBackend;
      const g = stepGeometry(inputs, names.stepCarries[0]);
      const a = readCell(io, kb, inputs, names.stepCarries);
      // The step's h output is the sequence output of a one-step sequence.
      const upstream = names.stepCarries.map((c, i) => (i > 0 && inputs[stepUpstream(c)] ? io.read(kb, inputs[stepUpstream(c)]) : null));
      const dOutput = inputs.dh ? io.read(kb, inputs.dh) : null;
      const r = cell.backward(g, a, activationOf(attrs), io.read(kb, inputs.workspace), dOutput, upstream, stepMath(kb, inputs));
      return writeGradients(io, kb, inputs, names.stepCarries, r);
    };

    hostSequenceKernels.add(sequence as unknown as KernelFunc);
    configs.push(
      { kernelName: names.sequence, backendName, kernelFunc: sequence as unknown as KernelFunc },
      { kernelName: names.sequenceGrad, backendName, kernelFunc: sequenceGrad as unknown as KernelFunc },
      { kernelName: names.step, backendName, kernelFunc: step as unknown as KernelFunc },
      { kernelName: names.stepGrad, backendName, kernelFunc: stepGrad as unknown as KernelFunc },
    );
  }
  const sequenceInputGrad = ({ inputs, backend }: KernelParams): TensorInfo => {
    const kb = backend as KernelBackend;
    const [inputSize, gates] = inputs.kernel.shape;
    const rows = sizeOf(inputs.x) / inputSize;
    const dInputProjection = io.read(kb, inputs.workspace).subarray(0, rows * gates);
    const dx = inputGradientOf(hostMath(kb), dInputProjection, io.read(kb, inputs.kernel), rows, gates, inputSize);
    return io.write(kb, inputs.x.shape, dx);
  };
  configs.push({ kernelName: SequenceInputGrad, backendName, kernelFunc: sequenceInputGrad as unknown as KernelFunc });
  return configs;
}

function sizeOf(tensor: TensorInfo): number {
  return tensor.shape.reduce((n, d) => n * d, 1);
}

/** [dx, dKernel, dRecurrentKernel, dBias, ...dCarries], each shaped like its input (dx empty when deferred). */
function writeGradients(io: HostTensorIO, backend: KernelBackend, inputs: Inputs, carryNames: string[], r: CellGradients): TensorInfo[] {
  return [
    io.write(backend, r.dx.length === 0 && sizeOf(inputs.x) > 0 ? [0] : inputs.x.shape, r.dx),
    io.write(backend, inputs.kernel.shape, r.dKernel),
    io.write(backend, inputs.recurrentKernel.shape, r.dRecurrentKernel),
    io.write(backend, inputs.bias.shape, r.dBias),
    ...r.dCarries.map((values, i) => io.write(backend, inputs[carryNames[i]].shape, values)),
  ];
}
