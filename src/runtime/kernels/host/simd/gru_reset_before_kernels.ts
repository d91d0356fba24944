/**
 * The SIMD gate kernels of the reset-before GRU (../cells/gru_reset_before.ts has its equations),
 * two per pass: the step's second product (r⊙h)·Rn (backward dn·Rnᵀ) runs between them. Same
 * conventions as gate_kernels.ts (byte pointers into the module's memory, hidden sizes multiples of
 * 4, bias rows read with stride 0).
 */
import type { RnnActivation } from '../../cell_table.js';
import { Code, ValueTypes, type FunctionSpec } from './wasm_emitter.js';
import { activation, activationSlope, gateAddress, gateGradient, Locals, rowLoops, type GateActivation, type Scratch } from './vector_math.js';

const { i32, v128 } = ValueTypes;

/** What a reset-before kernel is built for: its export name and the variant's activations. */
export interface ResetBeforeVariant {
  name: string;
  gate: GateActivation;
  hard: boolean;
  act: RnnActivation;
}

/**
 * gates(z, zStride, rec, bias, h, rh, rhStride, operand, batch, hiddenBytes): z rows hold x·K
 * (read) and receive z, r; rec [batch, 3H] = h·R; operand [batch, H] and the rh rows get r⊙h
 * (rh stride 0 and an H-float scratch to skip).
 */
export function resetBeforeGates(v: ResetBeforeVariant): FunctionSpec {
  const P = { z: 0, zStride: 1, rec: 2, bias: 3, h: 4, rh: 5, rhStride: 6, operand: 7, batch: 8, hb: 9 };
  const L = new Locals(10);
  const b = L.add(i32), j = L.add(i32);
  const zp = L.add(i32), rp = L.add(i32), bp = L.add(i32), hp = L.add(i32), rhp = L.add(i32), opp = L.add(i32), zeroStride = L.add(i32);
  const off = [0, L.add(i32), L.add(i32)];
  const zv = L.add(v128), rv = L.add(v128), rh = L.add(v128);
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  for (let k = 1; k < 3; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: zp, base: P.z, stride: P.zStride },
    { ptr: rp, base: P.rec, stride: { hiddenFactor: 3 } },
    { ptr: bp, base: P.bias, stride: zeroStride },
    { ptr: hp, base: P.h, stride: { hiddenFactor: 1 } },
    { ptr: rhp, base: P.rh, stride: P.rhStride },
    { ptr: opp, base: P.operand, stride: { hiddenFactor: 1 } },
  ], () => {
    for (const [k, target] of [[0, zv], [1, rv]]) {
      gateAddress(c, zp, off, k).load();
      gateAddress(c, bp, off, k).load().add();
      gateAddress(c, rp, off, k).load().add().set(target);
      v.gate(c, target, s); c.set(target);
      gateAddress(c, zp, off, k).get(target).store();
    }
    c.get(rv).get(hp).load().mul().set(rh);
    c.get(opp).get(rh).store();
    c.get(rhp).get(rh).store();
  });
  return { name: `${v.name}_gates`, params: Array(10).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * output(z, zStride, rhRn, bias, h, out, outStride, batch, hiddenBytes): n = act(xKn + bn + rhRn)
 * into the z rows' n block (rhRn [batch, H] = (r⊙h)·Rn); h' = n + z·(h − n) into h and out.
 */
export function resetBeforeOutput(v: ResetBeforeVariant): FunctionSpec {
  const P = { z: 0, zStride: 1, rhRn: 2, bias: 3, h: 4, out: 5, outStride: 6, batch: 7, hb: 8 };
  const L = new Locals(9);
  const b = L.add(i32), j = L.add(i32);
  const zp = L.add(i32), sp = L.add(i32), bp = L.add(i32), hp = L.add(i32), op = L.add(i32), zeroStride = L.add(i32);
  const off = [0, L.add(i32), L.add(i32)];
  const nv = L.add(v128), tmp = L.add(v128);
  const s: Scratch = { x: L.add(v128), n: L.add(v128) };
  const c = new Code();
  for (let k = 1; k < 3; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: zp, base: P.z, stride: P.zStride },
    { ptr: sp, base: P.rhRn, stride: { hiddenFactor: 1 } },
    { ptr: bp, base: P.bias, stride: zeroStride },
    { ptr: hp, base: P.h, stride: { hiddenFactor: 1 } },
    { ptr: op, base: P.out, stride: P.outStride },
  ], () => {
    gateAddress(c, zp, off, 2).load();
    gateAddress(c, bp, off, 2).load().add().get(sp).load().add().set(nv);
    activation(c, v.act, nv, s); c.set(nv);
    gateAddress(c, zp, off, 2).get(nv).store();
    c.get(nv);
    gateAddress(c, zp, off, 0).load().get(hp).load().get(nv).sub().mul().add().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
  return { name: `${v.name}_output`, params: Array(9).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * backward_n(gates, gStride, hPrev, hpStride, dOut, dOutStride, dh, dIn, dInStride, dRecStep, dRec,
 * dRecStride, dn, batch, hiddenBytes): dn = dhT·(1 − z)·act'(n) into the dIn rows and dn [batch, H];
 * dz = σ'(dhT·(hPrev − n)) into dIn, dRecStep and dRec (whose n blocks get 0); dh ← dhT·z.
 */
export function resetBeforeBackwardN(v: ResetBeforeVariant): FunctionSpec {
  const P = { gates: 0, gStride: 1, hPrev: 2, hpStride: 3, dOut: 4, dOutStride: 5, dh: 6, dIn: 7, dInStride: 8, dRecStep: 9, dRec: 10, dRecStride: 11, dn: 12, batch: 13, hb: 14 };
  const L = new Locals(15);
  const b = L.add(i32), j = L.add(i32);
  const gp = L.add(i32), hpp = L.add(i32), dop = L.add(i32), dhp = L.add(i32), dip = L.add(i32), dsp = L.add(i32), drp = L.add(i32), dnp = L.add(i32);
  const off = [0, L.add(i32), L.add(i32)];
  const zv = L.add(v128), nv = L.add(v128), dhT = L.add(v128), dn = L.add(v128), dz = L.add(v128);
  const c = new Code();
  for (let k = 1; k < 3; k++) c.get(P.hb).i32(k).i32Mul().set(off[k]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: gp, base: P.gates, stride: P.gStride },
    { ptr: hpp, base: P.hPrev, stride: P.hpStride },
    { ptr: dop, base: P.dOut, stride: P.dOutStride },
    { ptr: dhp, base: P.dh, stride: { hiddenFactor: 1 } },
    { ptr: dip, base: P.dIn, stride: P.dInStride },
    { ptr: dsp, base: P.dRecStep, stride: { hiddenFactor: 3 } },
    { ptr: drp, base: P.dRec, stride: P.dRecStride },
    { ptr: dnp, base: P.dn, stride: { hiddenFactor: 1 } },
  ], () => {
    gateAddress(c, gp, off, 0).load().set(zv);
    gateAddress(c, gp, off, 2).load().set(nv);
    c.get(dhp).load().get(dop).load().add().set(dhT);
    c.get(dhT).splat(1).get(zv).sub().mul(); activationSlope(c, v.act, nv); c.set(dn);
    c.get(dhT).get(hpp).load().get(nv).sub().mul(); gateGradient(c, zv, v.hard); c.set(dz);
    gateAddress(c, dip, off, 0).get(dz).store();
    gateAddress(c, dip, off, 2).get(dn).store();
    for (const ptr of [dsp, drp]) {
      gateAddress(c, ptr, off, 0).get(dz).store();
      gateAddress(c, ptr, off, 2).splat(0).store();
    }
    c.get(dnp).get(dn).store();
    c.get(dhp).get(dhT).get(zv).mul().store();
  });
  return { name: `${v.name}_backward_n`, params: Array(15).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}

/**
 * backward_r(gates, gStride, hPrev, hpStride, dRh, dh, dIn, dInStride, dRecStep, dRec, dRecStride,
 * batch, hiddenBytes): with dRh [batch, H] = dn·Rnᵀ, dr = σ'(dRh·hPrev) into dIn, dRecStep and
 * dRec; dh += dRh·r (the path h → r⊙h).
 */
export function resetBeforeBackwardR(v: ResetBeforeVariant): FunctionSpec {
  const P = { gates: 0, gStride: 1, hPrev: 2, hpStride: 3, dRh: 4, dh: 5, dIn: 6, dInStride: 7, dRecStep: 8, dRec: 9, dRecStride: 10, batch: 11, hb: 12 };
  const L = new Locals(13);
  const b = L.add(i32), j = L.add(i32);
  const gp = L.add(i32), hpp = L.add(i32), dsp0 = L.add(i32), dhp = L.add(i32), dip = L.add(i32), dsp = L.add(i32), drp = L.add(i32);
  const off = [0, L.add(i32)];
  const rv = L.add(v128), dRh = L.add(v128), dr = L.add(v128);
  const c = new Code();
  c.get(P.hb).set(off[1]);
  rowLoops(c, P.batch, P.hb, b, j, [
    { ptr: gp, base: P.gates, stride: P.gStride },
    { ptr: hpp, base: P.hPrev, stride: P.hpStride },
    { ptr: dsp0, base: P.dRh, stride: { hiddenFactor: 1 } },
    { ptr: dhp, base: P.dh, stride: { hiddenFactor: 1 } },
    { ptr: dip, base: P.dIn, stride: P.dInStride },
    { ptr: dsp, base: P.dRecStep, stride: { hiddenFactor: 3 } },
    { ptr: drp, base: P.dRec, stride: P.dRecStride },
  ], () => {
    gateAddress(c, gp, off, 1).load().set(rv);
    c.get(dsp0).load().set(dRh);
    c.get(dRh).get(hpp).load().mul(); gateGradient(c, rv, v.hard); c.set(dr);
    for (const ptr of [dip, dsp, drp]) gateAddress(c, ptr, off, 1).get(dr).store();
    c.get(dhp).get(dhp).load().get(dRh).get(rv).mul().add().store();
  });
  return { name: `${v.name}_backward_r`, params: Array(13).fill(i32), locals: L.types as FunctionSpec['locals'], body: c };
}
