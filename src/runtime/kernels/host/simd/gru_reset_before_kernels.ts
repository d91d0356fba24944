/**
 * The SIMD gate kernels of the reset-before GRU (../cells/gru_reset_before.ts has its equations),
 * two per pass: the step's second product (r⊙h)·Rn (backward dn·Rnᵀ) runs between them. Same
 * conventions as gate_kernels.ts (byte pointers into the module's memory, hidden sizes multiples of
 * 4, bias rows read with stride 0).
 */
import type { RnnActivation } from '../../cell_table.js';
import type { FunctionSpec } from './wasm_emitter.js';
import { activation, activationSlope, gateGradient, RowKernel, type GateActivation } from './vector_math.js';

/** What a reset-before kernel is built for: its export name and the variant's activations. */
export interface ResetBeforeVariant {
  name: string;
  gate: GateActivation;
  hard: boolean;
  act: RnnActivation;
}

/**
 * gates(z, zStride, rec, bias, h, rh, rhStride, operand, batch, hiddenBytes): z rows hold x·K
 * (read) and receive z, r; rec [batch, 2H] = h·[Rz Rr]; operand [batch, H] and the rh rows get r⊙h
 * (rh stride 0 and an H-float scratch to skip).
 */
export function resetBeforeGates(v: ResetBeforeVariant): FunctionSpec {
  const k = new RowKernel(`${v.name}_gates`, ['z', 'zStride', 'rec', 'bias', 'h', 'rh', 'rhStride', 'operand'], 3);
  const zp = k.row('z', 'zStride'), rp = k.row('rec', 2), bp = k.row('bias', 0), hp = k.row('h', 1), rhp = k.row('rh', 'rhStride');
  const opp = k.row('operand', 1);
  const zv = k.v128(), rv = k.v128(), rh = k.v128();
  const s = k.scratch();
  const { c } = k;
  return k.build(() => {
    for (const [q, target] of [[0, zv], [1, rv]]) {
      k.at(zp, q).load();
      k.at(bp, q).load().add();
      k.at(rp, q).load().add().set(target);
      v.gate(c, target, s); c.set(target);
      k.at(zp, q).get(target).store();
    }
    c.get(rv).get(hp).load().mul().set(rh);
    c.get(opp).get(rh).store();
    c.get(rhp).get(rh).store();
  });
}

/**
 * output(z, zStride, rhRn, bias, h, out, outStride, batch, hiddenBytes): n = act(xKn + bn + rhRn)
 * into the z rows' n block (rhRn [batch, H] = (r⊙h)·Rn); h' = n + z·(h − n) into h and out.
 */
export function resetBeforeOutput(v: ResetBeforeVariant): FunctionSpec {
  const k = new RowKernel(`${v.name}_output`, ['z', 'zStride', 'rhRn', 'bias', 'h', 'out', 'outStride'], 3);
  const zp = k.row('z', 'zStride'), sp = k.row('rhRn', 1), bp = k.row('bias', 0), hp = k.row('h', 1), op = k.row('out', 'outStride');
  const nv = k.v128(), tmp = k.v128();
  const s = k.scratch();
  const { c } = k;
  return k.build(() => {
    k.at(zp, 2).load();
    k.at(bp, 2).load().add().get(sp).load().add().set(nv);
    activation(c, v.act, nv, s); c.set(nv);
    k.at(zp, 2).get(nv).store();
    c.get(nv);
    k.at(zp, 0).load().get(hp).load().get(nv).sub().mul().add().set(tmp);
    c.get(hp).get(tmp).store();
    c.get(op).get(tmp).store();
  });
}

/**
 * backward_n(gates, gStride, hPrev, hpStride, dOut, dOutStride, dh, dIn, dInStride, dRecStep, dRec,
 * dRecStride, dn, batch, hiddenBytes): dn = dhT·(1 − z)·act'(n) into the dIn rows and dn [batch, H];
 * dz = σ'(dhT·(hPrev − n)) into dIn, dRecStep [batch, 2H] and dRec (whose n blocks get 0); dh ← dhT·z.
 */
export function resetBeforeBackwardN(v: ResetBeforeVariant): FunctionSpec {
  const k = new RowKernel(`${v.name}_backward_n`,
    ['gates', 'gStride', 'hPrev', 'hpStride', 'dOut', 'dOutStride', 'dh', 'dIn', 'dInStride', 'dRecStep', 'dRec', 'dRecStride', 'dn'], 3);
  const gp = k.row('gates', 'gStride'), hpp = k.row('hPrev', 'hpStride'), dop = k.row('dOut', 'dOutStride'), dhp = k.row('dh', 1);
  const dip = k.row('dIn', 'dInStride'), dsp = k.row('dRecStep', 2), drp = k.row('dRec', 'dRecStride'), dnp = k.row('dn', 1);
  const zv = k.v128(), nv = k.v128(), dhT = k.v128(), dn = k.v128(), dz = k.v128();
  const { c } = k;
  return k.build(() => {
    k.at(gp, 0).load().set(zv);
    k.at(gp, 2).load().set(nv);
    c.get(dhp).load().get(dop).load().add().set(dhT);
    c.get(dhT).splat(1).get(zv).sub().mul(); activationSlope(c, v.act, nv); c.set(dn);
    c.get(dhT).get(hpp).load().get(nv).sub().mul(); gateGradient(c, zv, v.hard); c.set(dz);
    k.at(dip, 0).get(dz).store();
    k.at(dip, 2).get(dn).store();
    c.get(dsp).get(dz).store();
    c.get(drp).get(dz).store();
    k.at(drp, 2).splat(0).store();
    c.get(dnp).get(dn).store();
    c.get(dhp).get(dhT).get(zv).mul().store();
  });
}

/**
 * backward_r(gates, gStride, hPrev, hpStride, dRh, dh, dIn, dInStride, dRecStep, dRec, dRecStride,
 * batch, hiddenBytes): with dRh [batch, H] = dn·Rnᵀ, dr = σ'(dRh·hPrev) into dIn, dRecStep
 * [batch, 2H] and dRec; dh += dRh·r (the path h → r⊙h).
 */
export function resetBeforeBackwardR(v: ResetBeforeVariant): FunctionSpec {
  const k = new RowKernel(`${v.name}_backward_r`,
    ['gates', 'gStride', 'hPrev', 'hpStride', 'dRh', 'dh', 'dIn', 'dInStride', 'dRecStep', 'dRec', 'dRecStride'], 2);
  const gp = k.row('gates', 'gStride'), hpp = k.row('hPrev', 'hpStride'), dRhp = k.row('dRh', 1), dhp = k.row('dh', 1);
  const dip = k.row('dIn', 'dInStride'), dsp = k.row('dRecStep', 2), drp = k.row('dRec', 'dRecStride');
  const rv = k.v128(), dRh = k.v128(), dr = k.v128();
  const { c } = k;
  return k.build(() => {
    k.at(gp, 1).load().set(rv);
    c.get(dRhp).load().set(dRh);
    c.get(dRh).get(hpp).load().mul(); gateGradient(c, rv, v.hard); c.set(dr);
    for (const ptr of [dip, dsp, drp]) k.at(ptr, 1).get(dr).store();
    c.get(dhp).get(dhp).load().get(dRh).get(rv).mul().add().store();
  });
}
