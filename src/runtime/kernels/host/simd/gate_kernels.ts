/**
 * The gate math of one timestep (LSTM, GRU, tanh RNN; forward and backward), for all batch rows at
 * once, as WebAssembly SIMD (f32x4),
 * built at run time by wasm_emitter.ts. JavaScript pays a libm call per Math.exp / Math.tanh
 * (five per hidden unit and step in the LSTM forward): here they are 4-lane polynomials.
 *
 *   exp(x):  Cephes expf: x clamped to [-87.3, 88.3], n = round(x·log2 e), r = x − n·ln 2 (two
 *            parts), degree-6 polynomial, times 2ⁿ built in the exponent bits (≈ 1 ulp)
 *   σ(x) = 1 / (1 + exp(−x)),  tanh(x) = 1 − 2 / (exp(2x) + 1)   (absolute error ≲ 1e-7)
 *
 * All pointers are byte offsets into the module's memory (`SimdGateKernels.memory`); the buffers
 * live in an arena there (see SimdArena). Hidden sizes must be multiples of 4.
 */
import { buildModule, Code, ValueTypes, type FunctionSpec } from './wasm_emitter.js';

const { i32, v128 } = ValueTypes;

const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** Scratch v128 locals the transcendental macros clobber. */
interface Scratch { x: number; n: number }

/** Pushes exp(local `src`) (clobbers src and the scratch locals). */
function exp(c: Code, src: number, s: Scratch): void {
  c.get(src).splat(-87.3).max().splat(88.3).min().set(s.x);
  c.get(s.x).splat(LOG2E).mul().nearest().set(s.n);
  c.get(s.x).get(s.n).splat(LN2_HI).mul().sub().get(s.n).splat(LN2_LO).mul().sub().set(s.x);
  c.splat(EXP_POLY[0]);
  for (const p of EXP_POLY.slice(1)) c.get(s.x).mul().splat(p).add();
  c.get(s.x).mul().get(s.x).mul().get(s.x).add().splat(1).add();
  // 2ⁿ: (n + 127) << 23 read as float32
  c.get(s.n).truncToI32x4().i32x4Splat(127).i32x4Add().i32(23).i32x4Shl();
  c.mul();
}

/** Pushes σ(local src) (clobbers src). */
function sigmoid(c: Code, src: number, s: Scratch): void {
  c.splat(1);
  c.get(src).neg().set(src);
  exp(c, src, s);
  c.splat(1).add().div();
}

/** Pushes tanh(local src) (clobbers src). */
function tanh(c: Code, src: number, s: Scratch): void {
  c.splat(1).splat(2);
  c.get(src).splat(2).mul().set(src);
  exp(c, src, s);
  c.splat(1).add().div().sub();
}

/** Declares locals in order; params first. */
class Locals {
  readonly types: number[] = [];
  constructor(private readonly paramCount: number) {}
  add(type: number): number {
    this.types.push(type);
    return this.paramCount + this.types.length - 1;
  }
}

/**
 * Emits: for b in [0, batch): per-row pointers from the bases and strides, then for j in
 * [0, hiddenBytes) step 16 the `inner` body, every pointer advancing by 16 bytes.
 * `rows` lists [pointerLocal, baseParam, strideParam | null (stride = given constant factor·Hb)].
 */
function rowLoops(c: Code, batch: number, hiddenBytes: number, b: number, j: number,
  rows: Array<{ ptr: number; base: number; stride: number | { hiddenFactor: number } }>, inner: () => void): void {
  c.i32(0).set(b);
  c.loop(() => {
    for (const r of rows) {
      c.get(r.base).get(b);
      if (typeof r.stride === 'number') c.get(r.stride);
      else c.get(hiddenBytes).i32(r.stride.hiddenFactor).i32Mul();
      c.i32Mul().i32Add().set(r.ptr);
    }
    c.i32(0).set(j);
    c.loop(() => {
      inner();
      for (const r of rows) c.get(r.ptr).i32(16).i32Add().set(r.ptr);
      c.get(j).i32(16).i32Add().tee(j).get(hiddenBytes).i32LtU().brIf(0);
    });
    c.get(b).i32(1).i32Add().tee(b).get(batch).i32LtU().brIf(0);
  });
}

/** Address of gate block k of the row at `ptr`: ptr + k·Hb (Hb·k precomputed in gateOffsets). */
function gateAddress(c: Code, ptr: number, gateOffsets: number[], k: number): Code {
  c.get(ptr);
  if (k > 0) c.get(gateOffsets[k]).i32Add();
  return c;
}

/**
 * lstm_forward(z, zStride, bias, c, h, out, outStride, act, actStride, batch, hiddenBytes):
 * z rows hold this step's x·K + h·R (read); act rows receive the activations i, f, g, o (act may
 * be z: a lane's four gates are loaded before they are stored); c and h [batch, H] are updated in
 * place; out rows get h'.
 */
function lstmForward(): FunctionSpec {
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
    sigmoid(c, pre[0], s); c.set(act[0]);
    sigmoid(c, pre[1], s); c.set(act[1]);
    tanh(c, pre[2], s); c.set(act[2]);
    sigmoid(c, pre[3], s); c.set(act[3]);
    for (let k = 0; k < 4; k++) gateAddress(c, ap, off, k).get(act[k]).store();
    // c' = f·c + i·g
    c.get(act[1]).get(cp).load().mul().get(act[0]).get(act[2]).mul().add().tee(cn).set(tmp);
    c.get(cp).get(cn).store();
    // h' = o·tanh(c')
    c.get(act[3]);
    tanh(c, tmp, s);
    c.mul().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
  return { name: 'lstm_forward', params: Array(11).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * lstm_backward(gates, gStride, cPrev, cStride, dOut, dOutStride, dh, dc, dGates, dProj,
 * dProjStride, batch, hiddenBytes): one step of the reverse loop. Reads the activations and the
 * carry c the step started from, dh/dc [batch, H] (the carry gradients; dOut rows add to dh);
 * writes the pre-activation gradients to dGates [batch, 4H] and to the dProj rows, dc ← dc·f,
 * dh ← 0 (h reaches the previous step only through h·R, added by the caller).
 */
function lstmBackward(): FunctionSpec {
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
    // tanh(c') with c' = f·cPrev + i·g
    c.get(f).get(cPrev).mul().get(i).get(g).mul().add().set(tanhC);
    tanh(c, tanhC, s);
    c.set(tanhC);
    c.get(dhp).load().get(dop).load().add().set(dhT);
    // dcT = dc + dhT·o·(1 − tanhC²)
    c.get(dcp).load().get(dhT).get(o).mul().splat(1).get(tanhC).get(tanhC).mul().sub().mul().add().set(dcT);
    // di = dcT·g·i(1−i), df = dcT·cPrev·f(1−f), dg = dcT·i·(1−g²), do = dhT·tanhC·o(1−o)
    c.get(dcT).get(g).mul().get(i).mul().splat(1).get(i).sub().mul().set(grad[0]);
    c.get(dcT).get(cPrev).mul().get(f).mul().splat(1).get(f).sub().mul().set(grad[1]);
    c.get(dcT).get(i).mul().splat(1).get(g).get(g).mul().sub().mul().set(grad[2]);
    c.get(dhT).get(tanhC).mul().get(o).mul().splat(1).get(o).sub().mul().set(grad[3]);
    for (let k = 0; k < 4; k++) {
      gateAddress(c, dgp, off, k).get(grad[k]).store();
      gateAddress(c, dpp, off, k).get(grad[k]).store();
    }
    c.get(dcp).get(dcT).get(f).mul().store();
    c.get(dhp).splat(0).store();
  });
  return { name: 'lstm_backward', params: Array(13).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
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
function gruForward(): FunctionSpec {
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
    sigmoid(c, zv, s); c.set(zv);
    preactivation(1, rv);
    sigmoid(c, rv, s); c.set(rv);
    gateAddress(c, rp, off, 2).load();
    gateAddress(c, b1p, off, 2).load().add().set(hnv);
    // n = tanh(xKn + b0n + r·hn)
    gateAddress(c, zp, off, 2).load();
    gateAddress(c, b0p, off, 2).load().add().get(rv).get(hnv).mul().add().set(nv);
    tanh(c, nv, s); c.set(nv);
    gateAddress(c, zp, off, 0).get(zv).store();
    gateAddress(c, zp, off, 1).get(rv).store();
    gateAddress(c, zp, off, 2).get(nv).store();
    c.get(hnp).get(hnv).store();
    // h' = n + z·(h − n)
    c.get(nv).get(zv).get(hp).load().get(nv).sub().mul().add().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
  return { name: 'gru_forward', params: Array(12).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * gru_backward(gates, gStride, hn, hnStride, hPrev, hpStride, dOut, dOutStride, dh, dIn, dInStride,
 * dRecStep, dRec, dRecStride, batch, hiddenBytes): the gradients of x·K + b0 (dIn rows) and of
 * h·R + b1 (dRec rows and dRecStep [batch, 3H]); dh ← (dh + dOut)·z, the direct path.
 */
function gruBackward(): FunctionSpec {
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
    // dn = dhT·(1 − z)·(1 − n²); dz = dhT·(hPrev − n)·z(1 − z); dr = dn·hn·r(1 − r)
    c.get(dhT).splat(1).get(zv).sub().mul().splat(1).get(nv).get(nv).mul().sub().mul().set(dn);
    c.get(dhT).get(hpp).load().get(nv).sub().mul().get(zv).mul().splat(1).get(zv).sub().mul().set(dz);
    c.get(dn).get(hnp).load().mul().get(rv).mul().splat(1).get(rv).sub().mul().set(dr);
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
  return { name: 'gru_backward', params: Array(16).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
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

/**
 * transpose(src, rows, cols, dst): dst [cols, rows] = srcᵀ for a row-major src [rows, cols], rows
 * and cols multiples of 4, in 4×4 tiles (four loads, eight lane shuffles, four stores). The
 * weight-gradient GEMM contracts over the rows of the gate gradients; the backend's GEMM only
 * takes plain operands, and a JavaScript transpose of [N, 4H] cost ~10% of an LSTM backward.
 */
/**
 * Rows and columns per block of the transpose: a block's source and destination rows span few
 * enough pages and cache sets to stay resident (row strides of [N, 4H] matrices are powers of
 * two, the worst case for both); a plain 4×4-tile sweep ran at ~100 cycles per tile.
 */
const TRANSPOSE_BLOCK = 32;

function transpose(): FunctionSpec {
  const P = { src: 0, rows: 1, cols: 2, dst: 3 };
  const L = new Locals(4);
  const r0 = L.add(i32), c0 = L.add(i32), rEnd = L.add(i32), cEnd = L.add(i32), r = L.add(i32), col = L.add(i32);
  const p = L.add(i32), q = L.add(i32), rowBytes = L.add(i32), colBytes = L.add(i32), end = L.add(i32);
  const v = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const t = [L.add(v128), L.add(v128), L.add(v128), L.add(v128)];
  const c = new Code();
  /** local = min(start + TRANSPOSE_BLOCK, limit) */
  const blockEnd = (target: number, start: number, limit: number) =>
    c.get(start).i32(TRANSPOSE_BLOCK).i32Add().tee(end).get(limit).get(end).get(limit).i32LtU().select().set(target);
  c.get(P.cols).i32(4).i32Mul().set(rowBytes);
  c.get(P.rows).i32(4).i32Mul().set(colBytes);
  c.block(() => {
    c.i32(0).get(P.rows).i32GeU().brIf(0); // rows = 0
    c.i32(0).get(P.cols).i32GeU().brIf(0); // cols = 0
    c.i32(0).set(r0);
    c.loop(() => {
      blockEnd(rEnd, r0, P.rows);
      c.i32(0).set(c0);
      c.loop(() => {
        blockEnd(cEnd, c0, P.cols);
        c.get(r0).set(r);
        c.loop(() => {
          c.get(c0).set(col);
          c.loop(() => {
            c.get(P.src).get(r).get(P.cols).i32Mul().get(col).i32Add().i32(4).i32Mul().i32Add().set(p);
            for (let k = 0; k < 4; k++) {
              c.get(p);
              if (k > 0) c.get(rowBytes).i32(k).i32Mul().i32Add();
              c.load().set(v[k]);
            }
            // rows a, b, c, d → (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3) → columns
            c.get(v[0]).get(v[1]).shuffle([0, 4, 1, 5]).set(t[0]);
            c.get(v[0]).get(v[1]).shuffle([2, 6, 3, 7]).set(t[1]);
            c.get(v[2]).get(v[3]).shuffle([0, 4, 1, 5]).set(t[2]);
            c.get(v[2]).get(v[3]).shuffle([2, 6, 3, 7]).set(t[3]);
            c.get(P.dst).get(col).get(P.rows).i32Mul().get(r).i32Add().i32(4).i32Mul().i32Add().set(q);
            const columns: Array<[number, number, [number, number, number, number]]> = [
              [t[0], t[2], [0, 1, 4, 5]], [t[0], t[2], [2, 3, 6, 7]], [t[1], t[3], [0, 1, 4, 5]], [t[1], t[3], [2, 3, 6, 7]],
            ];
            columns.forEach(([first, second, lanes], k) => {
              c.get(q);
              if (k > 0) c.get(colBytes).i32(k).i32Mul().i32Add();
              c.get(first).get(second).shuffle(lanes).store();
            });
            c.get(col).i32(4).i32Add().tee(col).get(cEnd).i32LtU().brIf(0);
          });
          c.get(r).i32(4).i32Add().tee(r).get(rEnd).i32LtU().brIf(0);
        });
        c.get(cEnd).tee(c0).get(P.cols).i32LtU().brIf(0);
      });
      c.get(rEnd).tee(r0).get(P.rows).i32LtU().brIf(0);
    });
  });
  return { name: 'transpose', params: Array(4).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/** Elementwise, in place over n floats (n a multiple of 4): for GRU and RNN and tests. */
function elementwise(fnName: string, fn: (c: Code, src: number, s: Scratch) => void): FunctionSpec {
  const L = new Locals(2); // (ptr, n)
  const end = L.add(i32), v = L.add(v128);
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  c.get(0).get(1).i32(4).i32Mul().i32Add().set(end);
  c.block(() => {
    c.get(0).get(end).i32GeU().brIf(0); // n = 0: nothing to do
    c.loop(() => {
      c.get(0).load().set(v);
      c.get(0);
      fn(c, v, s);
      c.store();
      c.get(0).i32(16).i32Add().tee(0).get(end).i32LtU().brIf(0);
    });
  });
  return { name: fnName, params: [i32, i32], locals: L.types as FunctionSpec['locals'], body: c };
}

export interface SimdGateKernels {
  memory: WebAssembly.Memory;
  lstmForward(z: number, zStride: number, bias: number, c: number, h: number, out: number, outStride: number, act: number, actStride: number,
    batch: number, hiddenBytes: number): void;
  lstmBackward(gates: number, gStride: number, cPrev: number, cStride: number, dOut: number, dOutStride: number, dh: number, dc: number,
    dGates: number, dProj: number, dProjStride: number, batch: number, hiddenBytes: number): void;
  lstmCarry(gates: number, gStride: number, c: number, cPrev: number, cStride: number, batch: number, hiddenBytes: number): void;
  gruForward(z: number, zStride: number, rec: number, inputBias: number, recurrentBias: number, h: number, out: number, outStride: number,
    hn: number, hnStride: number, batch: number, hiddenBytes: number): void;
  gruBackward(gates: number, gStride: number, hn: number, hnStride: number, hPrev: number, hpStride: number, dOut: number, dOutStride: number,
    dh: number, dIn: number, dInStride: number, dRecStep: number, dRec: number, dRecStride: number, batch: number, hiddenBytes: number): void;
  rnnForward(z: number, zStride: number, bias: number, h: number, out: number, outStride: number, act: number, actStride: number,
    batch: number, hiddenBytes: number): void;
  rnnBackward(activated: number, aStride: number, dOut: number, dOutStride: number, dh: number, dStep: number, dProj: number, dProjStride: number,
    batch: number, hiddenBytes: number): void;
  sigmoid(ptr: number, n: number): void;
  tanh(ptr: number, n: number): void;
  /** dst [cols, rows] = src [rows, cols]ᵀ; rows and cols multiples of 4; src and dst disjoint. */
  transpose(src: number, rows: number, cols: number, dst: number): void;
}

let cached: SimdGateKernels | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable (then the JS path runs). */
export function simdGateKernels(): SimdGateKernels | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const bytes = buildModule([lstmForward(), lstmBackward(), lstmCarry(), gruForward(), gruBackward(), rnnForward(), rnnBackward(),
      elementwise('sigmoid', sigmoid), elementwise('tanh', tanh), transpose()]);
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const e = exports as unknown as Record<string, (...args: number[]) => void>;
    cached = {
      memory, lstmForward: e.lstm_forward, lstmBackward: e.lstm_backward, lstmCarry: e.lstm_carry, gruForward: e.gru_forward, gruBackward: e.gru_backward,
      rnnForward: e.rnn_forward, rnnBackward: e.rnn_backward, sigmoid: e.sigmoid, tanh: e.tanh, transpose: e.transpose,
    };
  } catch {
    cached = null;
  }
  return cached;
}

/** A region of the kernels' memory: its byte offset and a view (valid until the next `allocate`). */
export interface ArenaBuffer {
  ptr: number;
  view: Float32Array;
}

/**
 * Bump allocation in the kernels' memory, all at once per kernel call: growing the memory
 * detaches every earlier view, so a kernel asks for all its buffers in one `allocate`, which
 * invalidates the buffers of the previous call. Kernels never run concurrently.
 */
export function allocate(kernels: SimdGateKernels, sizes: number[]): ArenaBuffer[] {
  const offsets: number[] = [];
  let top = 0;
  for (const size of sizes) {
    offsets.push(top);
    top += Math.ceil(size / 4) * 16; // 16-byte aligned
  }
  const needed = Math.ceil(top / 65536) - kernels.memory.buffer.byteLength / 65536;
  if (needed > 0) kernels.memory.grow(needed);
  const buffer = kernels.memory.buffer;
  return sizes.map((size, i) => ({ ptr: offsets[i], view: new Float32Array(buffer, offsets[i], size) }));
}

/** `count` floats of `buffer` from float index `start`, as an ArenaBuffer of its own. */
export function subBuffer(buffer: ArenaBuffer, start: number, count: number): ArenaBuffer {
  return { ptr: buffer.ptr + start * 4, view: buffer.view.subarray(start, start + count) };
}

/**
 * Whether `values` is a view of the kernels' arena. The SIMD forward kernels return such views
 * (valid until the next host kernel call): an output writer that keeps the array must copy it.
 */
export function isArenaView(values: Float32Array): boolean {
  return cached != null && values.buffer === cached.memory.buffer;
}
