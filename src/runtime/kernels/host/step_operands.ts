/**
 * The operands of one step kernel call on its backend (step_driver.ts: StepOperands): its products
 * computed on the tensors where the backend keeps them, the weights never copied or repacked per
 * step, and its state read in place. One object per call and no closures: at batch 1 a step is
 * short enough that its garbage shows.
 *
 * At ≤ GEMV_MAX_ROWS rows (batch-1 streaming and sampling), where WebAssembly SIMD validates, on
 * cpu and wasm alike: each weight packed once per lifetime into our SIMD panel product's memory
 * (HostMath.preparedGemv; `streamed`), x and h read where the backend keeps them; x·K + h·R
 * (LSTM, RNN) as two products, the second added into the first (a stacked copy would add a third
 * copy of the weights: measured no faster at H = 512 and 1024); the reset-before GRU's x·K,
 * h·R[:, :2H] and (r⊙h)·Rn as three, each over its own form (K, R's z and r columns, Rn). Without
 * SIMD: on wasm XNNPACK on the tensors' ids (it keeps its packing per weight), summed on the heap
 * (HostTensorIO.productSum), the reset-before GRU's forms of R prepared on XNNPACK's HostMath; on
 * cpu GEMVs over the tensors' own arrays. Above GEMV_MAX_ROWS rows, on wasm where SIMD validates,
 * the same products on the panel product (faster than XNNPACK at every batch measured; the forms a
 * sequence multiplies by too); on cpu and without SIMD x·K and h·R apart (GRU) on the backend's
 * product or a form prepared once per lifetime, LSTM and RNN as one GEMM [x | h]·[K; R] over the
 * stacked weights prepared once per (K, R) lifetime, as the sequence forward does.
 */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import type { HostTensorIO } from './backend_io.js';
import { GEMV_MAX_ROWS, leadingColumns, PANEL_GEMM_MIN_WEIGHT_FLOATS, type HostMath, type PreparedMatmul } from './host_math.js';
import { preparedOperand, type LivenessCheck, type OperandSource } from './prepared_weights.js';
import { scratch } from './scratch.js';
import { simdHostMath } from './simd/simd_host_math.js';
import type { WeightForms } from './cell_spec.js';
import type { StepOperands, StepState } from './step_driver.js';
import { KERNEL_FORM, RECURRENT_FORM, recurrentColumnsForm, SECOND_FORM, STACKED_FORM, type WeightForm } from './weight_form.js';

/** Whether a tensor's data is still held on its backend (prepared forms of it may be kept), per backend. */
const livenessByBackend = new WeakMap<KernelBackend, LivenessCheck>();
export function livenessOn(backend: KernelBackend): LivenessCheck {
  let isLive = livenessByBackend.get(backend);
  if (!isLive) {
    isLive = (dataId: object) => backend.refCount(dataId) > 0;
    livenessByBackend.set(backend, isLive);
  }
  return isLive;
}

/** preparedOperand's options, shared: nothing allocated per product. */
const TRANSPOSED = Object.freeze({ transposeB: true });
const AS_STORED = Object.freeze({ transposeB: false });

/** What the operands need of the kernel's call besides its inputs. */
export interface StepCall {
  io: HostTensorIO;
  backend: KernelBackend;
  math: HostMath;
  /** The inputs by name: x, kernel, recurrentKernel, bias and the carries. */
  inputs: Record<string, TensorInfo>;
  /** The carries' input names, h first. */
  carryNames: readonly string[];
  /** The cell's [H, H] second weight from R [H, gates], or null (step_driver.ts: stepSecondWeight). */
  secondWeight: ((recurrentKernel: Float32Array, hidden: number) => Float32Array) | null;
  /** The kernel's name, for errors. */
  kernelName: string;
}

export class BackendStepOperands implements StepOperands, OperandSource<WeightForm> {
  private readonly isLive: LivenessCheck;
  /** The backend's own product on tensors in place, unless a matmul was plugged in with setHostMath. */
  private readonly native: HostTensorIO['product'];

  /**
   * Our SIMD panel product (HostMath.preparedGemv: its prepared operands beat a GEMV over the
   * weights as stored): the cpu backend's own, and on wasm in place of XNNPACK (onPanel), each
   * weight form packed once per lifetime into its memory and x, h read in place; it streams big
   * stacks faster than XNNPACK's GEMV (3×H1024: 7.4 vs 10.8 ms a step). Undefined without
   * WebAssembly SIMD.
   */
  private readonly panel: HostMath | undefined;
  /** The operands of panelForms, made on first use. */
  private panelOperands: BackendStepOperands | undefined;

  /** `formMath`: the HostMath the WeightForms are prepared on (default: the call's). */
  constructor(private readonly call: StepCall, private readonly formMath: HostMath = call.math) {
    this.isLive = livenessOn(call.backend);
    const { io, backend, math } = call;
    this.native = io.product && math === io.math?.(backend) ? io.product : undefined;
    const simd = math.preparedGemv ? math : this.native ? simdHostMath() : null;
    this.panel = simd?.preparedGemv ? simd : undefined;
  }

  /**
   * WeightForms.panelForms: these forms on the panel product, where a step streams K and R (same
   * keys, same copies), at every batch: on wasm it multiplies faster than XNNPACK at every size
   * measured, GEMV and GEMM (16×[512, 2048]: 0.81 vs 1.03 ms; 1024×[512, 2048]: 50 vs 63 ms).
   */
  panelForms(): WeightForms | undefined {
    if (!this.panel || this.formMath === this.panel) return undefined;
    return (this.panelOperands ??= new BackendStepOperands(this.call, this.panel));
  }

  /** WeightForms.math: the HostMath the forms are prepared on. */
  math(): HostMath {
    return this.formMath;
  }

  separate(input: Float32Array, recurrent: Float32Array, width: number): void {
    const { x, kernel, recurrentKernel } = this.call.inputs;
    const h = this.call.inputs[this.call.carryNames[0]];
    this.multiply(x, kernel, KERNEL_FORM, input, false);
    // All of R, or the reset-before GRU's z and r columns (each a form of R packed once per lifetime).
    const form = recurrentColumnsForm(width, this.gates);
    if (this.onPanel(h.shape[0])) return this.streamed(h, recurrentKernel, form, width, recurrent, false);
    if (width === this.gates) return this.multiply(h, recurrentKernel, form, recurrent, false);
    const times = this.recurrentLeading(width); // first: preparing may allocate on the backend
    times.run(this.copied(h), recurrent, h.shape[0]);
  }

  secondProduct(operand: Float32Array, product: Float32Array): void {
    const rows = this.call.inputs[this.call.carryNames[0]].shape[0];
    const math = this.onPanel(rows) ? this.panel! : this.call.math;
    this.secondOn(math, false).run(operand, product, rows);
  }

  summed(sum: Float32Array): void {
    const { inputs } = this.call;
    const { x, kernel, recurrentKernel } = inputs;
    const h = inputs[this.call.carryNames[0]];
    const rows = x.shape[0];
    if (this.onPanel(rows)) {
      this.streamed(x, kernel, KERNEL_FORM, this.gates, sum, false);
      this.streamed(h, recurrentKernel, RECURRENT_FORM, this.gates, sum, true);
      return;
    }
    if (rows <= GEMV_MAX_ROWS) {
      if (this.native && this.call.io.productSum?.(this.call.backend, x, kernel, h, recurrentKernel, sum)) return;
      this.multiply(x, kernel, KERNEL_FORM, sum, false);
      this.multiply(h, recurrentKernel, RECURRENT_FORM, sum, true);
      return;
    }
    const [D, H] = [kernel.shape[0], recurrentKernel.shape[0]];
    const times = this.stackedProduct();
    // Read after preparing, which may allocate on the backend (detaching views of its memory).
    const [xValues, hValues] = [this.view(x), this.view(h)];
    const left = scratch('step [x | h]', rows * (D + H));
    for (let b = 0; b < rows; b++) {
      left.set(xValues.subarray(b * D, (b + 1) * D), b * (D + H));
      left.set(hValues.subarray(b * H, (b + 1) * H), b * (D + H) + D);
    }
    times.run(left, sum, rows);
  }

  state(): StepState {
    const { inputs, carryNames } = this.call;
    return { bias: this.view(inputs.bias), carries: carryNames.map((name) => this.view(inputs[name])) };
  }

  recurrentLeading(width: number): PreparedMatmul {
    const { recurrentKernel } = this.call.inputs;
    return this.prepared([recurrentKernel.dataId], recurrentColumnsForm(width, this.gates), recurrentKernel.shape[0], width, false);
  }

  recurrentTransposed(width: number): PreparedMatmul {
    const { recurrentKernel } = this.call.inputs;
    return this.prepared([recurrentKernel.dataId], recurrentColumnsForm(width, this.gates), width, recurrentKernel.shape[0], true);
  }

  /**
   * On the panel product where K is large, at any batch (PANEL_GEMM_MIN_WEIGHT_FLOATS): on wasm a
   * backward's K is its tape's copy, new per training call, and XNNPACK prepares a transposed
   * operand slowly (LSTM 1×64×1024×1024 fwd+bwd with dx 1.23× faster, 4×64×1024×1024 1.12×).
   */
  kernelTransposed(): PreparedMatmul {
    const { kernel } = this.call.inputs;
    const math = this.panel && kernel.shape[0] * this.gates >= PANEL_GEMM_MIN_WEIGHT_FLOATS ? this.panel : this.formMath;
    return this.prepared([kernel.dataId], KERNEL_FORM, this.gates, kernel.shape[0], true, math);
  }

  kernelProduct(): PreparedMatmul {
    const { kernel } = this.call.inputs;
    return this.prepared([kernel.dataId], KERNEL_FORM, kernel.shape[0], this.gates, false);
  }

  stackedProduct(): PreparedMatmul {
    const { kernel, recurrentKernel } = this.call.inputs;
    return this.prepared([kernel.dataId, recurrentKernel.dataId], STACKED_FORM, kernel.shape[0] + recurrentKernel.shape[0], this.gates, false);
  }

  second(transposeB: boolean): PreparedMatmul {
    return this.secondOn(this.formMath, transposeB);
  }

  /**
   * OperandSource: the weights' values, read only when a prepared form of them is made, where the
   * backend keeps them (no readSync: preparedOperand copies them before it prepares).
   */
  values(form: WeightForm): Float32Array {
    const { kernel, recurrentKernel } = this.call.inputs;
    switch (form.kind) {
      case 'kernel':
        return this.view(kernel);
      case 'recurrent':
        return this.view(recurrentKernel);
      case 'recurrentLeading':
        return leadingColumns(this.view(recurrentKernel), recurrentKernel.shape[0], this.gates, form.width);
      case 'second':
        if (!this.call.secondWeight) throw new Error(`${this.call.kernelName}: this step has no second weight`);
        return this.call.secondWeight(this.view(recurrentKernel), recurrentKernel.shape[0]);
      case 'stacked': {
        const [D, H] = [kernel.shape[0], recurrentKernel.shape[0]];
        const stacked = new Float32Array((D + H) * this.gates);
        stacked.set(this.view(kernel).subarray(0, D * this.gates));
        stacked.set(this.view(recurrentKernel).subarray(0, H * this.gates), D * this.gates);
        return stacked;
      }
    }
  }

  /**
   * Whether a product of `rows` left rows runs on the panel product (streamed): at every batch on
   * wasm (it beats XNNPACK there: LSTM step B16 H512 2.19–2.23 → 1.80–1.86 ms, B64 H128 0.57 →
   * 0.46–0.50 ms), at ≤ GEMV_MAX_ROWS on cpu (above, one GEMM over the stacked [K; R] on the same product).
   */
  private onPanel(rows: number): boolean {
    return this.panel !== undefined && (rows <= GEMV_MAX_ROWS || this.native !== undefined);
  }

  private get gates(): number {
    return this.call.inputs.kernel.shape[1];
  }

  private prepared(dataIds: object[], form: WeightForm, k: number, n: number, transposeB: boolean, math = this.formMath): PreparedMatmul {
    return preparedOperand(math, dataIds, this.isLive, form, this, k, n, transposeB ? TRANSPOSED : AS_STORED);
  }

  /** The second weight [H, H] (or its transpose) prepared on `math` once per R lifetime. */
  private secondOn(math: HostMath, transposeB: boolean): PreparedMatmul {
    const { recurrentKernel } = this.call.inputs;
    if (!this.call.secondWeight) throw new Error(`${this.call.kernelName}: this step has no second product`);
    const H = recurrentKernel.shape[0];
    return this.prepared([recurrentKernel.dataId], SECOND_FORM, H, H, transposeB, math);
  }

  /**
   * c (+)= a·form(b) on the panel product for the step's a [rows, depth] and `width` columns of its
   * weight b [depth, gates] (form: K, R or R's leading columns), packed once per lifetime; a read
   * where the backend keeps it.
   */
  private streamed(a: TensorInfo, b: TensorInfo, form: WeightForm, width: number, c: Float32Array, accumulate: boolean): void {
    const times = this.prepared([b.dataId], form, b.shape[0], width, false, this.panel!);
    times.run(this.view(a), c, a.shape[0], accumulate); // viewed after preparing (which reads b)
  }

  /** c (+)= a·b for the step's a [rows, depth] and all of its weight b [depth, gates] (form: K or R). */
  private multiply(a: TensorInfo, b: TensorInfo, form: WeightForm, c: Float32Array, accumulate: boolean): void {
    const width = this.gates;
    if (this.onPanel(a.shape[0])) return this.streamed(a, b, form, width, c, accumulate);
    const { backend, math } = this.call;
    if (this.native?.(backend, a, b, c, accumulate)) return;
    const [rows, depth] = [a.shape[0], b.shape[0]];
    if (rows <= GEMV_MAX_ROWS) math.matmul(this.read(a), this.read(b), c, rows, depth, width, { accumulate });
    else this.prepared([b.dataId], form, depth, width, false).run(this.read(a), c, rows, accumulate);
  }

  private read(t: TensorInfo): Float32Array {
    return this.call.io.read(this.call.backend, t);
  }

  /**
   * The values outside the backend's memory (a product may allocate there): its own array where
   * reading is free (cpu), else a scratch copy of them, without a readSync.
   */
  private copied(t: TensorInfo): Float32Array {
    const { io, backend } = this.call;
    if (!io.view) return this.read(t);
    const values = io.view(backend, t);
    const copy = scratch('step operand', values.length);
    copy.set(values);
    return copy;
  }

  /** The values where the backend keeps them, valid until it next allocates. */
  private view(t: TensorInfo): Float32Array {
    const { io, backend } = this.call;
    return io.view ? io.view(backend, t) : io.read(backend, t);
  }
}
