/**
 * Just enough of the WebAssembly binary format to build the gate-math module from TypeScript at
 * run time (no external toolchain, no binary checked in): function types, one imported memory,
 * functions with locals, exports, and the scalar, control and SIMD instructions the gate math uses.
 */

const I32 = 0x7f;
const V128 = 0x7b;
export type ValueType = typeof I32 | typeof V128;
export const ValueTypes = { i32: I32, v128: V128 } as const;

function unsignedLeb(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function signedLeb(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(text: string, out: number[]): void {
  const bytes = new TextEncoder().encode(text);
  unsignedLeb(bytes.length, out);
  out.push(...bytes);
}

// SIMD opcodes (prefix 0xfd, then the opcode as unsigned LEB128), from the WebAssembly SIMD spec.
const SIMD = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c, i8x16Shuffle: 0x0d, f32x4Splat: 0x13,
  f32x4Lt: 0x43, f32x4Gt: 0x44, v128And: 0x4e, f32x4Nearest: 0x6a, i32x4Shl: 0xab, i32x4Add: 0xae,
  f32x4Neg: 0xe1, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7, f32x4Min: 0xe8, f32x4Max: 0xe9,
  i32x4TruncSatF32x4S: 0xf8,
} as const;

/** A function body: instructions appended by the methods, each returning `this` for chaining. */
export class Code {
  readonly bytes: number[] = [];
  private simd(op: number): this {
    this.bytes.push(0xfd);
    unsignedLeb(op, this.bytes);
    return this;
  }
  get(local: number): this { this.bytes.push(0x20); unsignedLeb(local, this.bytes); return this; }
  set(local: number): this { this.bytes.push(0x21); unsignedLeb(local, this.bytes); return this; }
  tee(local: number): this { this.bytes.push(0x22); unsignedLeb(local, this.bytes); return this; }
  i32(value: number): this { this.bytes.push(0x41); signedLeb(value, this.bytes); return this; }
  i32Add(): this { this.bytes.push(0x6a); return this; }
  i32Sub(): this { this.bytes.push(0x6b); return this; }
  i32Mul(): this { this.bytes.push(0x6c); return this; }
  i32Shl(): this { this.bytes.push(0x74); return this; }
  i32LtU(): this { this.bytes.push(0x49); return this; }
  i32GeU(): this { this.bytes.push(0x4f); return this; }
  /** [a, b, condition] → condition ≠ 0 ? a : b. */
  select(): this { this.bytes.push(0x1b); return this; }
  /** block … end, branch target at its end. */
  block(body: (c: this) => void): this { this.bytes.push(0x02, 0x40); body(this); this.bytes.push(0x0b); return this; }
  /** loop … end, branch target at its start. */
  loop(body: (c: this) => void): this { this.bytes.push(0x03, 0x40); body(this); this.bytes.push(0x0b); return this; }
  br(depth: number): this { this.bytes.push(0x0c); unsignedLeb(depth, this.bytes); return this; }
  brIf(depth: number): this { this.bytes.push(0x0d); unsignedLeb(depth, this.bytes); return this; }
  /** v128.load from the i32 address on the stack (+ a constant byte offset). */
  load(offset = 0): this { this.simd(SIMD.load); this.bytes.push(4); unsignedLeb(offset, this.bytes); return this; }
  /** v128.load32_splat: the f32 at the i32 address on the stack (+ offset) in all four lanes. */
  loadSplat(offset = 0): this { this.simd(SIMD.load32Splat); this.bytes.push(2); unsignedLeb(offset, this.bytes); return this; }
  /** v128.store [address, value] (+ a constant byte offset). */
  store(offset = 0): this { this.simd(SIMD.store); this.bytes.push(4); unsignedLeb(offset, this.bytes); return this; }
  /** An f32x4 with all lanes = value. */
  splat(value: number): this {
    this.simd(SIMD.const);
    const lanes = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
    this.bytes.push(...lanes);
    return this;
  }
  add(): this { return this.simd(SIMD.f32x4Add); }
  sub(): this { return this.simd(SIMD.f32x4Sub); }
  mul(): this { return this.simd(SIMD.f32x4Mul); }
  div(): this { return this.simd(SIMD.f32x4Div); }
  min(): this { return this.simd(SIMD.f32x4Min); }
  max(): this { return this.simd(SIMD.f32x4Max); }
  neg(): this { return this.simd(SIMD.f32x4Neg); }
  /** Lane masks (all ones where true): [a, b] → a < b, a > b. */
  lt(): this { return this.simd(SIMD.f32x4Lt); }
  gt(): this { return this.simd(SIMD.f32x4Gt); }
  /** Bitwise and of two v128. */
  and(): this { return this.simd(SIMD.v128And); }
  nearest(): this { return this.simd(SIMD.f32x4Nearest); }
  truncToI32x4(): this { return this.simd(SIMD.i32x4TruncSatF32x4S); }
  i32x4Add(): this { return this.simd(SIMD.i32x4Add); }
  /** i32x4.shl [v128, i32 amount]. */
  i32x4Shl(): this { return this.simd(SIMD.i32x4Shl); }
  /**
   * [a, b] → an f32x4 whose lane i is lane `lanes[i]` of a (0–3) or of b (4–7): i8x16.shuffle
   * with each float lane spelled out as its four bytes.
   */
  shuffle(lanes: [number, number, number, number]): this {
    this.simd(SIMD.i8x16Shuffle);
    for (const lane of lanes) this.bytes.push(4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3);
    return this;
  }
  i32x4Splat(value: number): this {
    this.simd(SIMD.const);
    this.bytes.push(...new Uint8Array(new Int32Array([value, value, value, value]).buffer));
    return this;
  }
}

export interface FunctionSpec {
  name: string;
  params: ValueType[];
  locals: ValueType[];
  body: Code;
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  unsignedLeb(content.length, out);
  out.push(...content);
}

/** A module importing `env.memory` and exporting every function by name. */
export function buildModule(functions: FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  const types: number[] = [];
  unsignedLeb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    unsignedLeb(f.params.length, types);
    types.push(...f.params);
    types.push(0x00); // no results
  }
  section(1, types, out);

  const imports: number[] = [1];
  name('env', imports);
  name('memory', imports);
  imports.push(0x02, 0x00, 0x01); // memory, limits: min 1 page, no max
  section(2, imports, out);

  const declarations: number[] = [];
  unsignedLeb(functions.length, declarations);
  functions.forEach((_, i) => unsignedLeb(i, declarations));
  section(3, declarations, out);

  const exports: number[] = [];
  unsignedLeb(functions.length, exports);
  functions.forEach((f, i) => {
    name(f.name, exports);
    exports.push(0x00);
    unsignedLeb(i, exports);
  });
  section(7, exports, out);

  const code: number[] = [];
  unsignedLeb(functions.length, code);
  for (const f of functions) {
    const body: number[] = [];
    unsignedLeb(f.locals.length, body);
    for (const type of f.locals) body.push(1, type);
    body.push(...f.body.bytes, 0x0b);
    unsignedLeb(body.length, code);
    code.push(...body);
  }
  section(10, code, out);
  return new Uint8Array(out);
}
