/**
 * The gate math of one timestep (LSTM, GRU, tanh RNN; forward and backward), for all batch rows at
 * once, as WebAssembly SIMD (f32x4) built at run time from vector_math.ts, compiled into one module
 * with the transpose (transpose.ts). All pointers are byte offsets into the module's memory
 * (`SimdGateKernels.memory`); the buffers live in an arena there (arena.ts). Hidden sizes must be
 * multiples of 4.
 */
import { buildModule, type FunctionSpec } from './wasm_emitter.js';
import { RECURRENT_ACTIVATIONS, RNN_ACTIVATIONS, type CellVariant } from '../../cell_table.js';
import { activation, activationSlope, elementwise, gateGradient, hardSigmoid, RowKernel, sigmoid, tanh, type GateActivation } from './vector_math.js';
import { transpose } from './transpose.js';
import { resetBeforeBackwardN, resetBeforeBackwardR, resetBeforeGates, resetBeforeOutput, type ResetBeforeVariant } from './gru_reset_before_kernels.js';

/**
 * lstm_forward(z, zStride, bias, c, h, out, outStride, act, actStride, batch, hiddenBytes):
 * z rows hold this step's x·K + h·R (read); act rows receive the activations i, f, g, o (act may
 * be z: a lane's four gates are loaded before they are stored); c and h [batch, H] are updated in
 * place; out rows get h'. The gates i, f, o use the variant's recurrentActivation, g and the
 * cell output its activation.
 */
function lstmForward(variant: KernelVariant): FunctionSpec {
  const gate = gateOf(variant);
  const k = new RowKernel(kernelName('lstm_forward', variant), ['z', 'zStride', 'bias', 'c', 'h', 'out', 'outStride', 'act', 'actStride'], 4);
  const zp = k.row('z', 'zStride'), bp = k.row('bias', 0), cp = k.row('c', 1), hp = k.row('h', 1), op = k.row('out', 'outStride');
  const ap = k.row('act', 'actStride');
  const pre = [k.v128(), k.v128(), k.v128(), k.v128()];
  const act = [k.v128(), k.v128(), k.v128(), k.v128()];
  const cn = k.v128(), tmp = k.v128();
  const s = k.scratch();
  const { c } = k;
  return k.build(() => {
    for (let q = 0; q < 4; q++) {
      k.at(zp, q).load();
      k.at(bp, q).load().add().set(pre[q]);
    }
    gate(c, pre[0], s); c.set(act[0]);
    gate(c, pre[1], s); c.set(act[1]);
    activation(c, variant.activation, pre[2], s); c.set(act[2]);
    gate(c, pre[3], s); c.set(act[3]);
    for (let q = 0; q < 4; q++) k.at(ap, q).get(act[q]).store();
    // c' = f·c + i·g
    c.get(act[1]).get(cp).load().mul().get(act[0]).get(act[2]).mul().add().tee(cn).set(tmp);
    c.get(cp).get(cn).store();
    // h' = o·act(c')
    c.get(act[3]);
    activation(c, variant.activation, tmp, s);
    c.mul().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
}

/**
 * lstm_backward(gates, gStride, cPrev, cStride, dOut, dOutStride, dh, dc, dGates, dProj,
 * dProjStride, batch, hiddenBytes): one step of the reverse loop. Reads the activations and the
 * carry c the step started from, dh/dc [batch, H] (the carry gradients; dOut rows add to dh);
 * writes the pre-activation gradients to dGates [batch, 4H] and to the dProj rows, dc ← dc·f,
 * dh ← 0 (h reaches the previous step only through h·R, added by the caller).
 */
function lstmBackward(variant: KernelVariant): FunctionSpec {
  const hard = variant.recurrentActivation === 'hardSigmoid';
  const k = new RowKernel(kernelName('lstm_backward', variant),
    ['gates', 'gStride', 'cPrev', 'cStride', 'dOut', 'dOutStride', 'dh', 'dc', 'dGates', 'dProj', 'dProjStride'], 4);
  const gp = k.row('gates', 'gStride'), cpp = k.row('cPrev', 'cStride'), dop = k.row('dOut', 'dOutStride'), dhp = k.row('dh', 1);
  const dcp = k.row('dc', 1), dgp = k.row('dGates', 4), dpp = k.row('dProj', 'dProjStride');
  const act = [k.v128(), k.v128(), k.v128(), k.v128()];
  const cPrev = k.v128(), tanhC = k.v128(), dhT = k.v128(), dcT = k.v128(), grad = [k.v128(), k.v128(), k.v128(), k.v128()];
  const s = k.scratch();
  const { c } = k;
  return k.build(() => {
    const [i, f, g, o] = act;
    for (let q = 0; q < 4; q++) k.at(gp, q).load().set(act[q]);
    c.get(cpp).load().set(cPrev);
    // act(c') with c' = f·cPrev + i·g
    c.get(f).get(cPrev).mul().get(i).get(g).mul().add().set(tanhC);
    activation(c, variant.activation, tanhC, s);
    c.set(tanhC);
    c.get(dhp).load().get(dop).load().add().set(dhT);
    // dcT = dc + dhT·o·act'(c')
    c.get(dcp).load().get(dhT).get(o).mul();
    activationSlope(c, variant.activation, tanhC);
    c.add().set(dcT);
    // di = dcT·g·σ'(i), df = dcT·cPrev·σ'(f), dg = dcT·i·act'(g), do = dhT·act(c')·σ'(o)
    c.get(dcT).get(g).mul(); gateGradient(c, i, hard); c.set(grad[0]);
    c.get(dcT).get(cPrev).mul(); gateGradient(c, f, hard); c.set(grad[1]);
    c.get(dcT).get(i).mul(); activationSlope(c, variant.activation, g); c.set(grad[2]);
    c.get(dhT).get(tanhC).mul(); gateGradient(c, o, hard); c.set(grad[3]);
    for (let q = 0; q < 4; q++) {
      k.at(dgp, q).get(grad[q]).store();
      k.at(dpp, q).get(grad[q]).store();
    }
    c.get(dcp).get(dcT).get(f).mul().store();
    c.get(dhp).splat(0).store();
  });
}

/**
 * lstm_carry(gates, gStride, c, cPrev, cStride, batch, hiddenBytes): one step of the cell-carry
 * recurrence the backward recomputes (the workspace keeps the gates only): the cPrev rows get the
 * carry c [batch, H] the step started from, then c ← f·c + i·g.
 */
function lstmCarry(): FunctionSpec {
  const k = new RowKernel('lstm_carry', ['gates', 'gStride', 'c', 'cPrev', 'cStride'], 3);
  const gp = k.row('gates', 'gStride'), cp = k.row('c', 1), pp = k.row('cPrev', 'cStride');
  const carry = k.v128();
  const { c } = k;
  return k.build(() => {
    c.get(cp).load().set(carry);
    c.get(pp).get(carry).store();
    c.get(cp);
    k.at(gp, 1).load().get(carry).mul();
    k.at(gp, 0).load();
    k.at(gp, 2).load().mul().add();
    c.store();
  });
}

/**
 * gru_forward(z, zStride, rec, inputBias, recurrentBias, h, out, outStride, hn, hnStride, batch,
 * hiddenBytes): z rows hold x·K (read) and receive z, r, n; rec [batch, 3H] = h·R; h updated in
 * place; out rows get h'; hn rows get h·Rn + b1n (pass stride 0 and an H-float scratch to skip).
 */
function gruForward(variant: KernelVariant): FunctionSpec {
  const gate = gateOf(variant);
  const k = new RowKernel(kernelName('gru_forward', variant), ['z', 'zStride', 'rec', 'b0', 'b1', 'h', 'out', 'outStride', 'hn', 'hnStride'], 3);
  const zp = k.row('z', 'zStride'), rp = k.row('rec', 3), b0p = k.row('b0', 0), b1p = k.row('b1', 0), hp = k.row('h', 1);
  const op = k.row('out', 'outStride'), hnp = k.row('hn', 'hnStride');
  const zv = k.v128(), rv = k.v128(), hnv = k.v128(), nv = k.v128(), tmp = k.v128();
  const s = k.scratch();
  const { c } = k;
  return k.build(() => {
    const preactivation = (q: number, target: number) => {
      k.at(zp, q).load();
      k.at(b0p, q).load().add();
      k.at(rp, q).load().add();
      k.at(b1p, q).load().add().set(target);
    };
    preactivation(0, zv);
    gate(c, zv, s); c.set(zv);
    preactivation(1, rv);
    gate(c, rv, s); c.set(rv);
    k.at(rp, 2).load();
    k.at(b1p, 2).load().add().set(hnv);
    // n = act(xKn + b0n + r·hn)
    k.at(zp, 2).load();
    k.at(b0p, 2).load().add().get(rv).get(hnv).mul().add().set(nv);
    activation(c, variant.activation, nv, s); c.set(nv);
    k.at(zp, 0).get(zv).store();
    k.at(zp, 1).get(rv).store();
    k.at(zp, 2).get(nv).store();
    c.get(hnp).get(hnv).store();
    // h' = n + z·(h − n)
    c.get(nv).get(zv).get(hp).load().get(nv).sub().mul().add().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
}

/**
 * gru_backward(gates, gStride, hn, hnStride, hPrev, hpStride, dOut, dOutStride, dh, dIn, dInStride,
 * dRecStep, dRec, dRecStride, batch, hiddenBytes): the gradients of x·K + b0 (dIn rows) and of
 * h·R + b1 (dRec rows and dRecStep [batch, 3H]); dh ← (dh + dOut)·z, the direct path.
 */
function gruBackward(variant: KernelVariant): FunctionSpec {
  const hard = variant.recurrentActivation === 'hardSigmoid';
  const k = new RowKernel(kernelName('gru_backward', variant),
    ['gates', 'gStride', 'hn', 'hnStride', 'hPrev', 'hpStride', 'dOut', 'dOutStride', 'dh', 'dIn', 'dInStride', 'dRecStep', 'dRec', 'dRecStride'], 3);
  const gp = k.row('gates', 'gStride'), hnp = k.row('hn', 'hnStride'), hpp = k.row('hPrev', 'hpStride'), dop = k.row('dOut', 'dOutStride');
  const dhp = k.row('dh', 1), dip = k.row('dIn', 'dInStride'), dsp = k.row('dRecStep', 3), drp = k.row('dRec', 'dRecStride');
  const zv = k.v128(), rv = k.v128(), nv = k.v128(), dhT = k.v128(), dn = k.v128(), dz = k.v128(), dr = k.v128(), dnr = k.v128();
  const { c } = k;
  return k.build(() => {
    k.at(gp, 0).load().set(zv);
    k.at(gp, 1).load().set(rv);
    k.at(gp, 2).load().set(nv);
    c.get(dhp).load().get(dop).load().add().set(dhT);
    // dn = dhT·(1 − z)·act'(n); dz = dhT·(hPrev − n)·σ'(z); dr = dn·hn·σ'(r)
    c.get(dhT).splat(1).get(zv).sub().mul(); activationSlope(c, variant.activation, nv); c.set(dn);
    c.get(dhT).get(hpp).load().get(nv).sub().mul(); gateGradient(c, zv, hard); c.set(dz);
    c.get(dn).get(hnp).load().mul(); gateGradient(c, rv, hard); c.set(dr);
    c.get(dn).get(rv).mul().set(dnr);
    k.at(dip, 0).get(dz).store();
    k.at(dip, 1).get(dr).store();
    k.at(dip, 2).get(dn).store();
    for (const ptr of [dsp, drp]) {
      k.at(ptr, 0).get(dz).store();
      k.at(ptr, 1).get(dr).store();
      k.at(ptr, 2).get(dnr).store();
    }
    c.get(dhp).get(dhT).get(zv).mul().store();
  });
}

/**
 * rnn_forward(z, zStride, bias, h, out, outStride, act, actStride, batch, hiddenBytes), tanh
 * activation: z rows hold this step's x·K + h·R (read); act rows (may be z) receive h' (the
 * activation); h updated in place; out rows get h'.
 */
function rnnForward(): FunctionSpec {
  const k = new RowKernel('rnn_forward', ['z', 'zStride', 'bias', 'h', 'out', 'outStride', 'act', 'actStride'], 1);
  const zp = k.row('z', 'zStride'), bp = k.row('bias', 0), hp = k.row('h', 1), op = k.row('out', 'outStride'), ap = k.row('act', 'actStride');
  const v = k.v128();
  const s = k.scratch();
  const { c } = k;
  return k.build(() => {
    c.get(zp).load().get(bp).load().add().set(v);
    tanh(c, v, s);
    c.set(v);
    c.get(ap).get(v).store();
    c.get(hp).get(v).store();
    c.get(op).get(v).store();
  });
}

/**
 * rnn_backward(activated, aStride, dOut, dOutStride, dh, dStep, dProj, dProjStride, batch,
 * hiddenBytes), tanh: d = (dh + dOut)·(1 − a²) into dStep [batch, H] and the dProj rows; dh ← 0.
 */
function rnnBackward(): FunctionSpec {
  const k = new RowKernel('rnn_backward', ['act', 'aStride', 'dOut', 'dOutStride', 'dh', 'dStep', 'dProj', 'dProjStride'], 1);
  const ap = k.row('act', 'aStride'), dop = k.row('dOut', 'dOutStride'), dhp = k.row('dh', 1), dsp = k.row('dStep', 1);
  const dpp = k.row('dProj', 'dProjStride');
  const a = k.v128(), d = k.v128();
  const { c } = k;
  return k.build(() => {
    c.get(ap).load().set(a);
    c.get(dhp).load().get(dop).load().add().splat(1).get(a).get(a).mul().sub().mul().set(d);
    c.get(dsp).get(d).store();
    c.get(dpp).get(d).store();
    c.get(dhp).splat(0).store();
  });
}

/** What selects a gate kernel (the reset-before GRU has none: it runs on the JavaScript path). */
export type KernelVariant = Pick<CellVariant, 'activation' | 'recurrentActivation'>;

/** Every LSTM / GRU variant: each gets its own gate kernels. */
const GATED_VARIANTS: KernelVariant[] = RECURRENT_ACTIVATIONS.flatMap((recurrentActivation) =>
  RNN_ACTIVATIONS.map((activation) => ({ activation, recurrentActivation })));

/** The key of a variant in the kernel records: `sigmoid_tanh`, `hardSigmoid_relu`, … */
export function variantKey(variant: KernelVariant): string {
  return `${variant.recurrentActivation}_${variant.activation}`;
}

/** The export name of a gate kernel: lstm_forward (the default variant), lstm_forward_hardSigmoid_relu, … */
function kernelName(stem: string, variant: KernelVariant): string {
  const key = variantKey(variant);
  return key === 'sigmoid_tanh' ? stem : `${stem}_${key}`;
}

function gateOf(variant: KernelVariant): GateActivation {
  return variant.recurrentActivation === 'hardSigmoid' ? hardSigmoid : sigmoid;
}

export type LstmForwardKernel = (z: number, zStride: number, bias: number, c: number, h: number, out: number, outStride: number, act: number,
  actStride: number, batch: number, hiddenBytes: number) => void;
export type GruForwardKernel = (z: number, zStride: number, rec: number, inputBias: number, recurrentBias: number, h: number, out: number,
  outStride: number, hn: number, hnStride: number, batch: number, hiddenBytes: number) => void;
export type GruBackwardKernel = (gates: number, gStride: number, hn: number, hnStride: number, hPrev: number, hpStride: number, dOut: number,
  dOutStride: number, dh: number, dIn: number, dInStride: number, dRecStep: number, dRec: number, dRecStride: number, batch: number,
  hiddenBytes: number) => void;
export type LstmBackwardKernel = (gates: number, gStride: number, cPrev: number, cStride: number, dOut: number, dOutStride: number, dh: number,
  dc: number, dGates: number, dProj: number, dProjStride: number, batch: number, hiddenBytes: number) => void;

type Kernel = (...args: number[]) => void;
export interface ResetBeforeKernels { gates: Kernel; output: Kernel; backwardN: Kernel; backwardR: Kernel }

function resetBeforeVariant(variant: KernelVariant): ResetBeforeVariant {
  return { name: kernelName('gru_reset_before', variant), gate: gateOf(variant), hard: variant.recurrentActivation === 'hardSigmoid', act: variant.activation };
}

export interface SimdGateKernels {
  memory: WebAssembly.Memory;
  /** By variant (variantKey). */
  lstmForward: Record<string, LstmForwardKernel>;
  lstmBackward: Record<string, LstmBackwardKernel>;
  lstmCarry(gates: number, gStride: number, c: number, cPrev: number, cStride: number, batch: number, hiddenBytes: number): void;
  /** The reset-before GRU by variant (variantKey): gru_reset_before_kernels.ts. */
  gruResetBefore: Record<string, ResetBeforeKernels>;
  /** By variant (variantKey). */
  gruForward: Record<string, GruForwardKernel>;
  gruBackward: Record<string, GruBackwardKernel>;
  rnnForward(z: number, zStride: number, bias: number, h: number, out: number, outStride: number, act: number, actStride: number,
    batch: number, hiddenBytes: number): void;
  rnnBackward(activated: number, aStride: number, dOut: number, dOutStride: number, dh: number, dStep: number, dProj: number, dProjStride: number,
    batch: number, hiddenBytes: number): void;
  sigmoid(ptr: number, n: number): void;
  tanh(ptr: number, n: number): void;
  /** dst [cols, rows] = src [rows, cols]ᵀ; rows and cols multiples of 4; src and dst disjoint. */
  transpose(src: number, rows: number, cols: number, dst: number): void;
}

function byVariant<T>(of: (variant: KernelVariant) => T): Record<string, T> {
  return Object.fromEntries(GATED_VARIANTS.map((variant) => [variantKey(variant), of(variant)]));
}

let cached: SimdGateKernels | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable (then the JS path runs). */
export function simdGateKernels(): SimdGateKernels | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const gated = GATED_VARIANTS.flatMap((variant) => {
      const rb = resetBeforeVariant(variant);
      return [lstmForward(variant), lstmBackward(variant), gruForward(variant), gruBackward(variant),
        resetBeforeGates(rb), resetBeforeOutput(rb), resetBeforeBackwardN(rb), resetBeforeBackwardR(rb)];
    });
    const bytes = buildModule([...gated, lstmCarry(), rnnForward(), rnnBackward(),
      elementwise('sigmoid', sigmoid), elementwise('tanh', tanh), transpose()]);
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const e = exports as unknown as Record<string, (...args: number[]) => void>;
    cached = {
      memory,
      lstmForward: byVariant((v) => e[kernelName('lstm_forward', v)]),
      lstmBackward: byVariant((v) => e[kernelName('lstm_backward', v)]),
      gruForward: byVariant((v) => e[kernelName('gru_forward', v)]),
      gruBackward: byVariant((v) => e[kernelName('gru_backward', v)]),
      gruResetBefore: byVariant((v) => {
        const name = resetBeforeVariant(v).name;
        return { gates: e[`${name}_gates`], output: e[`${name}_output`], backwardN: e[`${name}_backward_n`], backwardR: e[`${name}_backward_r`] };
      }),
      lstmCarry: e.lstm_carry,
      rnnForward: e.rnn_forward, rnnBackward: e.rnn_backward, sigmoid: e.sigmoid, tanh: e.tanh, transpose: e.transpose,
    };
  } catch {
    cached = null;
  }
  return cached;
}


/** The kernels if they were compiled already (nothing compiles here). */
export function compiledSimdGateKernels(): SimdGateKernels | null {
  return cached ?? null;
}
