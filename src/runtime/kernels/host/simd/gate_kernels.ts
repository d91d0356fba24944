/**
 * The gate math of one timestep (LSTM, GRU, tanh RNN; forward and backward), for all batch rows at
 * once, as WebAssembly SIMD (f32x4) built at run time from vector_math.ts, compiled into one module
 * with the transpose (transpose.ts). All pointers are byte offsets into the module's memory
 * (`SimdGateKernels.memory`); the buffers live in an arena there (arena.ts). Hidden sizes must be
 * multiples of 4.
 */
import { buildModule, Code, ValueTypes, type FunctionSpec } from './wasm_emitter.js';
import { RECURRENT_ACTIVATIONS, RNN_ACTIVATIONS, type CellVariant } from '../../cell_table.js';
import {
  activation, activationSlope, elementwise, gateAddress, gateGradient, hardSigmoid, Locals, rowLoops, sigmoid, tanh, type GateActivation, type Scratch,
} from './vector_math.js';
import { transpose } from './transpose.js';
import { resetBeforeBackwardN, resetBeforeBackwardR, resetBeforeGates, resetBeforeOutput, type ResetBeforeVariant } from './gru_reset_before_kernels.js';

const { i32, v128 } = ValueTypes;

/**
 * lstm_forward(z, zStride, bias, c, h, out, outStride, act, actStride, batch, hiddenBytes):
 * z rows hold this step's x·K + h·R (read); act rows receive the activations i, f, g, o (act may
 * be z: a lane's four gates are loaded before they are stored); c and h [batch, H] are updated in
 * place; out rows get h'. The gates i, f, o use the variant's recurrentActivation, g and the
 * cell output its activation.
 */
function lstmForward(variant: KernelVariant): FunctionSpec {
  const gate = gateOf(variant);
  const P = { z: 0, zStride: 1, bias: 2, c: 3, h: 4, out: 5, outStride: 6, act: 7, actStride: 8, batch: 9, hb: 10 };
  const L = new Locals(11);
  const b = L.add(i32), j = L.add(i32);
  const zp = L.add(i32), bp = L.add(i32), cp = L.add(i32), hp = L.add(i32), op = L.add(i32), ap = L.add(i32);
  const off = [0, L.add(i32), L.add(i32), L.add(i32)];
  const pre = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const act = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const cn = L.add(v128), tmp = L.add(v128);
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  for (let k = 1; k < 4; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  const zeroStride = L.add(i32); // bias rows do not advance with b
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: zp, base: P.z, stride: P.zStride },
    { ptr: bp, base: P.bias, stride: zeroStride },
    { ptr: cp, base: P.c, stride: { hiddenFactor: 1 } },
    { ptr: hp, base: P.h, stride: { hiddenFactor: 1 } },
    { ptr: op, base: P.out, stride: P.outStride },
    { ptr: ap, base: P.act, stride: P.actStride },
  ], () => {
    for (let k = 0; k < 4; k++) {
      gateAddress(c, zp, off, k).load();
      gateAddress(c, bp, off, k).load().add().set(pre[k]);
    }
    gate(c, pre[0], s); c.set(act[0]);
    gate(c, pre[1], s); c.set(act[1]);
    activation(c, variant.activation, pre[2], s); c.set(act[2]);
    gate(c, pre[3], s); c.set(act[3]);
    for (let k = 0; k < 4; k++) gateAddress(c, ap, off, k).get(act[k]).store();
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
  return { name: kernelName('lstm_forward', variant), params: Array(11).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
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
  const P = { gates: 0, gStride: 1, cPrev: 2, cStride: 3, dOut: 4, dOutStride: 5, dh: 6, dc: 7, dGates: 8, dProj: 9, dProjStride: 10, batch: 11, hb: 12 };
  const L = new Locals(13);
  const b = L.add(i32), j = L.add(i32);
  const gp = L.add(i32), cpp = L.add(i32), dop = L.add(i32), dhp = L.add(i32), dcp = L.add(i32), dgp = L.add(i32), dpp = L.add(i32);
  const off = [0, L.add(i32), L.add(i32), L.add(i32)];
  const act = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const cPrev = L.add(v128), tanhC = L.add(v128), dhT = L.add(v128), dcT = L.add(v128), grad = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  for (let k = 1; k < 4; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: gp, base: P.gates, stride: P.gStride },
    { ptr: cpp, base: P.cPrev, stride: P.cStride },
    { ptr: dop, base: P.dOut, stride: P.dOutStride },
    { ptr: dhp, base: P.dh, stride: { hiddenFactor: 1 } },
    { ptr: dcp, base: P.dc, stride: { hiddenFactor: 1 } },
    { ptr: dgp, base: P.dGates, stride: { hiddenFactor: 4 } },
    { ptr: dpp, base: P.dProj, stride: P.dProjStride },
  ], () => {
    const [i, f, g, o] = act;
    for (let k = 0; k < 4; k++) gateAddress(c, gp, off, k).load().set(act[k]);
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
    for (let k = 0; k < 4; k++) {
      gateAddress(c, dgp, off, k).get(grad[k]).store();
      gateAddress(c, dpp, off, k).get(grad[k]).store();
    }
    c.get(dcp).get(dcT).get(f).mul().store();
    c.get(dhp).splat(0).store();
  });
  return { name: kernelName('lstm_backward', variant), params: Array(13).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * lstm_carry(gates, gStride, c, cPrev, cStride, batch, hiddenBytes): one step of the cell-carry
 * recurrence the backward recomputes (the workspace keeps the gates only): the cPrev rows get the
 * carry c [batch, H] the step started from, then c ← f·c + i·g.
 */
function lstmCarry(): FunctionSpec {
  const P = { gates: 0, gStride: 1, c: 2, cPrev: 3, cStride: 4, batch: 5, hb: 6 };
  const L = new Locals(7);
  const b = L.add(i32), j = L.add(i32);
  const gp = L.add(i32), cp = L.add(i32), pp = L.add(i32);
  const off = [0, L.add(i32), L.add(i32)];
  const carry = L.add(v128);
  const c = new Code();
  for (let k = 1; k < 3; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: gp, base: P.gates, stride: P.gStride },
    { ptr: cp, base: P.c, stride: { hiddenFactor: 1 } },
    { ptr: pp, base: P.cPrev, stride: P.cStride },
  ], () => {
    c.get(cp).load().set(carry);
    c.get(pp).get(carry).store();
    c.get(cp);
    gateAddress(c, gp, off, 1).load().get(carry).mul();
    gateAddress(c, gp, off, 0).load();
    gateAddress(c, gp, off, 2).load().mul().add();
    c.store();
  });
  return { name: 'lstm_carry', params: Array(7).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * gru_forward(z, zStride, rec, inputBias, recurrentBias, h, out, outStride, hn, hnStride, batch,
 * hiddenBytes): z rows hold x·K (read) and receive z, r, n; rec [batch, 3H] = h·R; h updated in
 * place; out rows get h'; hn rows get h·Rn + b1n (pass stride 0 and an H-float scratch to skip).
 */
function gruForward(variant: KernelVariant): FunctionSpec {
  const gate = gateOf(variant);
  const P = { z: 0, zStride: 1, rec: 2, b0: 3, b1: 4, h: 5, out: 6, outStride: 7, hn: 8, hnStride: 9, batch: 10, hb: 11 };
  const L = new Locals(12);
  const b = L.add(i32), j = L.add(i32);
  const zp = L.add(i32), rp = L.add(i32), b0p = L.add(i32), b1p = L.add(i32), hp = L.add(i32), op = L.add(i32), hnp = L.add(i32);
  const zeroStride = L.add(i32);
  const off = [0, L.add(i32), L.add(i32)];
  const zv = L.add(v128), rv = L.add(v128), hnv = L.add(v128), nv = L.add(v128), tmp = L.add(v128);
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  for (let k = 1; k < 3; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: zp, base: P.z, stride: P.zStride },
    { ptr: rp, base: P.rec, stride: { hiddenFactor: 3 } },
    { ptr: b0p, base: P.b0, stride: zeroStride },
    { ptr: b1p, base: P.b1, stride: zeroStride },
    { ptr: hp, base: P.h, stride: { hiddenFactor: 1 } },
    { ptr: op, base: P.out, stride: P.outStride },
    { ptr: hnp, base: P.hn, stride: P.hnStride },
  ], () => {
    const preactivation = (k: number, target: number) => {
      gateAddress(c, zp, off, k).load();
      gateAddress(c, b0p, off, k).load().add();
      gateAddress(c, rp, off, k).load().add();
      gateAddress(c, b1p, off, k).load().add().set(target);
    };
    preactivation(0, zv);
    gate(c, zv, s); c.set(zv);
    preactivation(1, rv);
    gate(c, rv, s); c.set(rv);
    gateAddress(c, rp, off, 2).load();
    gateAddress(c, b1p, off, 2).load().add().set(hnv);
    // n = act(xKn + b0n + r·hn)
    gateAddress(c, zp, off, 2).load();
    gateAddress(c, b0p, off, 2).load().add().get(rv).get(hnv).mul().add().set(nv);
    activation(c, variant.activation, nv, s); c.set(nv);
    gateAddress(c, zp, off, 0).get(zv).store();
    gateAddress(c, zp, off, 1).get(rv).store();
    gateAddress(c, zp, off, 2).get(nv).store();
    c.get(hnp).get(hnv).store();
    // h' = n + z·(h − n)
    c.get(nv).get(zv).get(hp).load().get(nv).sub().mul().add().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
  return { name: kernelName('gru_forward', variant), params: Array(12).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * gru_backward(gates, gStride, hn, hnStride, hPrev, hpStride, dOut, dOutStride, dh, dIn, dInStride,
 * dRecStep, dRec, dRecStride, batch, hiddenBytes): the gradients of x·K + b0 (dIn rows) and of
 * h·R + b1 (dRec rows and dRecStep [batch, 3H]); dh ← (dh + dOut)·z, the direct path.
 */
function gruBackward(variant: KernelVariant): FunctionSpec {
  const hard = variant.recurrentActivation === 'hardSigmoid';
  const P = { gates: 0, gStride: 1, hn: 2, hnStride: 3, hPrev: 4, hpStride: 5, dOut: 6, dOutStride: 7, dh: 8, dIn: 9, dInStride: 10, dRecStep: 11, dRec: 12, dRecStride: 13, batch: 14, hb: 15 };
  const L = new Locals(16);
  const b = L.add(i32), j = L.add(i32);
  const gp = L.add(i32), hnp = L.add(i32), hpp = L.add(i32), dop = L.add(i32), dhp = L.add(i32), dip = L.add(i32), dsp = L.add(i32), drp = L.add(i32);
  const off = [0, L.add(i32), L.add(i32)];
  const zv = L.add(v128), rv = L.add(v128), nv = L.add(v128), dhT = L.add(v128), dn = L.add(v128), dz = L.add(v128), dr = L.add(v128), dnr = L.add(v128);
  const c = new Code();
  for (let k = 1; k < 3; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: gp, base: P.gates, stride: P.gStride },
    { ptr: hnp, base: P.hn, stride: P.hnStride },
    { ptr: hpp, base: P.hPrev, stride: P.hpStride },
    { ptr: dop, base: P.dOut, stride: P.dOutStride },
    { ptr: dhp, base: P.dh, stride: { hiddenFactor: 1 } },
    { ptr: dip, base: P.dIn, stride: P.dInStride },
    { ptr: dsp, base: P.dRecStep, stride: { hiddenFactor: 3 } },
    { ptr: drp, base: P.dRec, stride: P.dRecStride },
  ], () => {
    gateAddress(c, gp, off, 0).load().set(zv);
    gateAddress(c, gp, off, 1).load().set(rv);
    gateAddress(c, gp, off, 2).load().set(nv);
    c.get(dhp).load().get(dop).load().add().set(dhT);
    // dn = dhT·(1 − z)·act'(n); dz = dhT·(hPrev − n)·σ'(z); dr = dn·hn·σ'(r)
    c.get(dhT).splat(1).get(zv).sub().mul(); activationSlope(c, variant.activation, nv); c.set(dn);
    c.get(dhT).get(hpp).load().get(nv).sub().mul(); gateGradient(c, zv, hard); c.set(dz);
    c.get(dn).get(hnp).load().mul(); gateGradient(c, rv, hard); c.set(dr);
    c.get(dn).get(rv).mul().set(dnr);
    gateAddress(c, dip, off, 0).get(dz).store();
    gateAddress(c, dip, off, 1).get(dr).store();
    gateAddress(c, dip, off, 2).get(dn).store();
    for (const ptr of [dsp, drp]) {
      gateAddress(c, ptr, off, 0).get(dz).store();
      gateAddress(c, ptr, off, 1).get(dr).store();
      gateAddress(c, ptr, off, 2).get(dnr).store();
    }
    c.get(dhp).get(dhT).get(zv).mul().store();
  });
  return { name: kernelName('gru_backward', variant), params: Array(16).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * rnn_forward(z, zStride, bias, h, out, outStride, act, actStride, batch, hiddenBytes), tanh
 * activation: z rows hold this step's x·K + h·R (read); act rows (may be z) receive h' (the
 * activation); h updated in place; out rows get h'.
 */
function rnnForward(): FunctionSpec {
  const P = { z: 0, zStride: 1, bias: 2, h: 3, out: 4, outStride: 5, act: 6, actStride: 7, batch: 8, hb: 9 };
  const L = new Locals(10);
  const b = L.add(i32), j = L.add(i32);
  const zp = L.add(i32), bp = L.add(i32), hp = L.add(i32), op = L.add(i32), ap = L.add(i32), zeroStride = L.add(i32);
  const v = L.add(v128);
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: zp, base: P.z, stride: P.zStride },
    { ptr: bp, base: P.bias, stride: zeroStride },
    { ptr: hp, base: P.h, stride: { hiddenFactor: 1 } },
    { ptr: op, base: P.out, stride: P.outStride },
    { ptr: ap, base: P.act, stride: P.actStride },
  ], () => {
    c.get(zp).load().get(bp).load().add().set(v);
    tanh(c, v, s);
    c.set(v);
    c.get(ap).get(v).store();
    c.get(hp).get(v).store();
    c.get(op).get(v).store();
  });
  return { name: 'rnn_forward', params: Array(10).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * rnn_backward(activated, aStride, dOut, dOutStride, dh, dStep, dProj, dProjStride, batch,
 * hiddenBytes), tanh: d = (dh + dOut)·(1 − a²) into dStep [batch, H] and the dProj rows; dh ← 0.
 */
function rnnBackward(): FunctionSpec {
  const P = { act: 0, aStride: 1, dOut: 2, dOutStride: 3, dh: 4, dStep: 5, dProj: 6, dProjStride: 7, batch: 8, hb: 9 };
  const L = new Locals(10);
  const b = L.add(i32), j = L.add(i32);
  const ap = L.add(i32), dop = L.add(i32), dhp = L.add(i32), dsp = L.add(i32), dpp = L.add(i32);
  const a = L.add(v128), d = L.add(v128);
  const c = new Code();
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: ap, base: P.act, stride: P.aStride },
    { ptr: dop, base: P.dOut, stride: P.dOutStride },
    { ptr: dhp, base: P.dh, stride: { hiddenFactor: 1 } },
    { ptr: dsp, base: P.dStep, stride: { hiddenFactor: 1 } },
    { ptr: dpp, base: P.dProj, stride: P.dProjStride },
  ], () => {
    c.get(ap).load().set(a);
    c.get(dhp).load().get(dop).load().add().splat(1).get(a).get(a).mul().sub().mul().set(d);
    c.get(dsp).get(d).store();
    c.get(dpp).get(d).store();
    c.get(dhp).splat(0).store();
  });
  return { name: 'rnn_backward', params: Array(10).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
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
