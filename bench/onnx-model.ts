/**
 * A tiny hand-built ONNX model holding one recurrent op (LSTM, GRU with linear_before_reset = 1,
 * or RNN with tanh), so ONNX Runtime's native kernels can serve as an inference reference.
 * The protobuf is written by hand: only the handful of ModelProto fields the model needs.
 *
 *   x [B, T, D] → Transpose(1,0,2) → LSTM/GRU/RNN → Y [T, 1, B, H] → Transpose(2,0,1,3) → [B, T, 1, H]
 *
 * Weights arrive in the canonical Keras layout and are converted to ONNX's: W [1, G·H, D]
 * (transposed), gate blocks reordered (Keras LSTM i,f,g,o → ONNX i,o,f,c; GRU z,r,n = ONNX z,r,h),
 * and B [1, 2·G·H] = [input bias, recurrent bias].
 */
import type { CaseWeights, CellKind, Size } from './cases.js';
import { GATES } from './cases.js';

// --- protobuf wire format -------------------------------------------------------------------------
class Writer {
  private chunks: number[] = [];
  varint(value: number): this {
    let v = value;
    while (v >= 0x80) {
      this.chunks.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.chunks.push(v);
    return this;
  }
  tag(field: number, wireType: 0 | 2 | 5): this {
    return this.varint(field * 8 + wireType);
  }
  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (let i = 0; i < data.length; i++) this.chunks.push(data[i]);
    return this;
  }
  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2, ATTR_INTS = 7;

function tensorProto(w: Writer, name: string, dims: number[], data: Float32Array): void {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT);
  w.string(8, name);
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function valueInfo(w: Writer, name: string, dims: Array<number | string>): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

interface Node { op: string; inputs: string[]; outputs: string[]; ints?: Record<string, number>; intLists?: Record<string, number[]> }

function node(w: Writer, n: Node): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${n.outputs[0]}`);
  w.string(4, n.op);
  for (const [name, value] of Object.entries(n.ints ?? {})) {
    w.message(5, (a) => a.string(1, name).int(3, value).int(20, ATTR_INT));
  }
  for (const [name, values] of Object.entries(n.intLists ?? {})) {
    w.message(5, (a) => {
      a.string(1, name);
      for (const v of values) a.int(8, v);
      a.int(20, ATTR_INTS);
    });
  }
}

// --- weight layout --------------------------------------------------------------------------------
/** Keras [rows, G·H] with gate blocks in `order` → ONNX [G·H, rows] (one direction). */
function toOnnxWeight(keras: Float32Array, rows: number, H: number, blockOrder: number[]): Float32Array {
  const G = blockOrder.length;
  const out = new Float32Array(G * H * rows);
  for (let g = 0; g < G; g++) {
    const src = blockOrder[g];
    for (let j = 0; j < H; j++) {
      for (let r = 0; r < rows; r++) out[(g * H + j) * rows + r] = keras[r * G * H + src * H + j];
    }
  }
  return out;
}

function reorderBias(bias: Float32Array, H: number, blockOrder: number[]): Float32Array {
  const out = new Float32Array(blockOrder.length * H);
  blockOrder.forEach((src, g) => out.set(bias.subarray(src * H, src * H + H), g * H));
  return out;
}

const ONNX_OP: Record<CellKind, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };
/** For each ONNX gate block, the Keras block it comes from. */
const BLOCK_ORDER: Record<CellKind, number[]> = { lstm: [0, 3, 1, 2], gru: [0, 1, 2], rnn: [0] };

/** The serialized model; its input is `x` [B, T, D], its output `y` [B, T, 1, H]. */
export function buildOnnxModel(cell: CellKind, { D, H }: Size, w: CaseWeights): Uint8Array {
  const G = GATES[cell];
  const order = BLOCK_ORDER[cell];
  const W = toOnnxWeight(w.kernel, D, H, order);
  const R = toOnnxWeight(w.recurrentKernel, H, H, order);
  const B = new Float32Array(2 * G * H);
  if (cell === 'gru') {
    B.set(w.bias.subarray(0, G * H), 0);
    B.set(w.bias.subarray(G * H), G * H);
  } else {
    B.set(reorderBias(w.bias, H, order), 0); // the recurrent half stays zero
  }
  const rnnAttrs: Record<string, number> = { hidden_size: H };
  if (cell === 'gru') rnnAttrs.linear_before_reset = 1;

  const model = new Writer();
  model.int(1, 8); // ir_version
  model.string(2, 'rnn-migrate-bench');
  model.message(7, (graph) => {
    graph.message(1, (n) => node(n, { op: 'Transpose', inputs: ['x'], outputs: ['x_tbd'], intLists: { perm: [1, 0, 2] } }));
    graph.message(1, (n) => node(n, { op: ONNX_OP[cell], inputs: ['x_tbd', 'W', 'R', 'B'], outputs: ['y_t1bh'], ints: rnnAttrs }));
    graph.message(1, (n) => node(n, { op: 'Transpose', inputs: ['y_t1bh'], outputs: ['y'], intLists: { perm: [2, 0, 1, 3] } }));
    graph.string(2, `${cell}-graph`);
    graph.message(5, (t) => tensorProto(t, 'W', [1, G * H, D], W));
    graph.message(5, (t) => tensorProto(t, 'R', [1, G * H, H], R));
    graph.message(5, (t) => tensorProto(t, 'B', [1, 2 * G * H], B));
    graph.message(11, (v) => valueInfo(v, 'x', ['batch', 'time', D]));
    graph.message(12, (v) => valueInfo(v, 'y', ['batch', 'time', 1, H]));
  });
  model.message(8, (opset) => opset.string(1, '').int(2, 14));
  return model.finish();
}
