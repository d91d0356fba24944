/**
 * WebAssembly SIMD building blocks of the gate kernels (emitted with wasm_emitter.ts): 4-lane
 * exp, σ and tanh, and the row loops every gate kernel runs. JavaScript pays a libm call per
 * Math.exp / Math.tanh (five per hidden unit and step in the LSTM forward); here they are
 * polynomials over f32x4:
 *
 *   exp(x):  Cephes expf: x clamped to [-87.3, 88.3], n = round(x·log2 e), r = x − n·ln 2 (two
 *            parts), degree-6 polynomial, times 2ⁿ built in the exponent bits (≈ 1 ulp)
 *   σ(x) = 1 / (1 + exp(−x)),  tanh(x) = 1 − 2 / (exp(2x) + 1)   (absolute error ≲ 1e-7)
 */
import type { RnnActivation } from '../../cell_table.js';
import { Code, ValueTypes, type FunctionSpec, type ValueType } from './wasm_emitter.js';

const { i32, v128 } = ValueTypes;

const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** Scratch v128 locals the transcendental macros clobber. */
export interface Scratch { x: number; n: number }

/** Pushes exp(local `src`) (clobbers src and the scratch locals). */
export function exp(c: Code, src: number, s: Scratch): void {
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
export function sigmoid(c: Code, src: number, s: Scratch): void {
  c.splat(1);
  c.get(src).neg().set(src);
  exp(c, src, s);
  c.splat(1).add().div();
}

/** Pushes tf.layers' hard sigmoid clip(0.2·src + 0.5, 0, 1) of local src. */
export function hardSigmoid(c: Code, src: number): void {
  c.get(src).splat(0.2).mul().splat(0.5).add().splat(0).max().splat(1).min();
}

/** A gate activation: σ or the hard sigmoid (pushes its value of local src, may clobber src). */
export type GateActivation = (c: Code, src: number, s: Scratch) => void;

/**
 * Multiplies the value on the stack by dσ/dz written in terms of the activation in local `act`:
 * act·(1 − act) for σ (the order of the JavaScript path), 0.2 inside the hard sigmoid's clip.
 */
export function gateGradient(c: Code, act: number, hard: boolean): void {
  if (hard) c.get(act).splat(0).gt().get(act).splat(1).lt().and().splat(0.2).and().mul();
  else c.get(act).mul().splat(1).get(act).sub().mul();
}

/** Pushes tanh(local src) (clobbers src). */
export function tanh(c: Code, src: number, s: Scratch): void {
  c.splat(1).splat(2);
  c.get(src).splat(2).mul().set(src);
  exp(c, src, s);
  c.splat(1).add().div().sub();
}

/** Pushes act(local src) for a cell activation (tanh clobbers src). */
export function activation(c: Code, act: RnnActivation, src: number, s: Scratch): void {
  if (act === 'tanh') tanh(c, src, s);
  else if (act === 'relu') c.get(src).splat(0).max();
  else c.get(src);
}

/** Multiplies the value on the stack by act'(z) written in terms of a = act(z) in local `a`. */
export function activationSlope(c: Code, act: RnnActivation, a: number): void {
  if (act === 'tanh') c.splat(1).get(a).get(a).mul().sub().mul();
  else if (act === 'relu') c.get(a).splat(0).gt().splat(1).and().mul();
}

/** Declares locals in order; params first. */
export class Locals {
  readonly types: number[] = [];
  constructor(private readonly paramCount: number) {}
  add(type: number): number {
    this.types.push(type);
    return this.paramCount + this.types.length - 1;
  }
}

/**
 * One gate kernel under construction: its parameters, i32 each (those named in `params`, then the
 * batch size and the hidden size in bytes), the byte offsets of gate blocks 1 … gates−1, and
 * the row pointers its loops advance. `build(inner)` emits, for b in [0, batch), each pointer at
 * its base + b·stride, then for j in [0, hiddenBytes) step 16 the `inner` body, every pointer
 * advancing by 16 bytes.
 */
export class RowKernel<Name extends string> {
  readonly c = new Code();
  /** The parameters' indices by name. */
  readonly p: Record<Name | 'batch' | 'hiddenBytes', number>;
  private readonly locals: Locals;
  private readonly gateOffsets: number[] = [0];
  private readonly rows: Array<{ ptr: number; base: number; stride: { param: number } | { hiddenFactor: number } }> = [];
  private readonly paramCount: number;
  private readonly b: number;
  private readonly j: number;

  constructor(private readonly name: string, params: readonly Name[], gates: number) {
    const all = [...params, 'batch', 'hiddenBytes'];
    this.p = Object.fromEntries(all.map((param, i) => [param, i])) as RowKernel<Name>['p'];
    this.paramCount = all.length;
    this.locals = new Locals(all.length);
    this.b = this.locals.add(i32);
    this.j = this.locals.add(i32);
    for (let k = 1; k < gates; k++) {
      this.gateOffsets.push(this.locals.add(i32));
      this.c.get(this.p.hiddenBytes).i32(k).i32Mul().set(this.gateOffsets[k]);
    }
  }

  /**
   * A row pointer (an i32 local) over the rows at parameter `base`: `stride` names the parameter
   * holding their byte stride, or is a multiple of the hidden bytes (0: every batch row reads
   * the same row, as the bias rows do).
   */
  row(base: Name, stride: Name | number): number {
    const ptr = this.locals.add(i32);
    this.rows.push({ ptr, base: this.p[base], stride: typeof stride === 'string' ? { param: this.p[stride] } : { hiddenFactor: stride } });
    return ptr;
  }

  v128(): number {
    return this.locals.add(v128);
  }

  /** The scratch locals of the transcendental macros. */
  scratch(): Scratch {
    return { x: this.v128(), n: this.v128() };
  }

  /** Pushes the address of gate block k of the row at `ptr`: ptr + k·hiddenBytes. */
  at(ptr: number, k: number): Code {
    this.c.get(ptr);
    if (k > 0) this.c.get(this.gateOffsets[k]).i32Add();
    return this.c;
  }

  build(inner: () => void): FunctionSpec {
    const { c, b, j } = this;
    const { hiddenBytes, batch } = this.p;
    c.i32(0).set(b);
    c.loop(() => {
      for (const r of this.rows) {
        c.get(r.base);
        if ('param' in r.stride) c.get(b).get(r.stride.param).i32Mul().i32Add();
        else if (r.stride.hiddenFactor !== 0) c.get(b).get(hiddenBytes).i32(r.stride.hiddenFactor).i32Mul().i32Mul().i32Add();
        c.set(r.ptr);
      }
      c.i32(0).set(j);
      c.loop(() => {
        inner();
        for (const r of this.rows) c.get(r.ptr).i32(16).i32Add().set(r.ptr);
        c.get(j).i32(16).i32Add().tee(j).get(hiddenBytes).i32LtU().brIf(0);
      });
      c.get(b).i32(1).i32Add().tee(b).get(batch).i32LtU().brIf(0);
    });
    return { name: this.name, params: Array<ValueType>(this.paramCount).fill(i32), locals: this.locals.types as FunctionSpec['locals'], body: c };
  }
}

/** Elementwise, in place over n floats (n a multiple of 4): for GRU and RNN and tests. */
export function elementwise(fnName: string, fn: (c: Code, src: number, s: Scratch) => void): FunctionSpec {
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

/** add_into(dst, src, bytes): dst[i] += src[i] over `bytes` (a multiple of 16) from both pointers. */
export function addInto(): FunctionSpec {
  const L = new Locals(3); // (dst, src, bytes)
  const end = L.add(i32);
  const c = new Code();
  c.get(0).get(2).i32Add().set(end);
  c.block(() => {
    c.get(0).get(end).i32GeU().brIf(0);
    c.loop(() => {
      c.get(0).get(0).load().get(1).load().add().store();
      c.get(1).i32(16).i32Add().set(1);
      c.get(0).i32(16).i32Add().tee(0).get(end).i32LtU().brIf(0);
    });
  });
  return { name: 'add_into', params: [i32, i32, i32], locals: L.types as FunctionSpec['locals'], body: c };
}
