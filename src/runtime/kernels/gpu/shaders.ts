/**
 * The shaders of the GPU sequence kernels, written once for both dialects (dialect.ts). Every
 * shader reads flat inputs by index and writes one flat output; the layouts are the backend's own
 * (kernel_names.ts leaves the workspace layout to each backend):
 *
 *   step state S_t  [K, B, H] block-major, K blocks per cell (block 0 is always the h carry):
 *                     LSTM  h, c, i, f, g, o          GRU  h, z, r, n, hn = h·Rn + b1n
 *                     RNN   h, a = act(z)
 *   workspace       [T, K, B, H]: S_t for every timestep t, in time order (not processing order)
 *   projected input [T, B, G·H] time-major, x·K without the bias (the gate shader adds it)
 *
 * A masked step writes the previous carry into block 0 (and 1 for LSTM); its gate blocks are
 * never read because its gradient is zero.
 */
import type { CellKind, RnnActivation } from '../kernel_names.js';
import type { ShaderDialect } from './dialect.js';

/**
 * The sequence length is a uniform, not a constant: a new length reuses the compiled programs
 * (tfjs-webgpu caches pipelines by our key and the input ranks). Every shader declares it last.
 */
export const SEQ_LEN = 'seqLen';

export interface ShaderSpec {
  /** Unique per compiled variant: the backend caches compiled programs by it. */
  key: string;
  /** Flat inputs, in the order the runner receives them; read as get<Name>(index). */
  variableNames: string[];
  outputSize: number;
  /** Per-run int uniforms, in the order of the values given to the runner. */
  uniforms: string[];
  /** Statements that set the float `outValue` from the int `index` of the output element. */
  body(d: ShaderDialect): string;
}

export interface SequenceGeometry {
  kind: CellKind;
  batch: number;
  time: number;
  hidden: number;
  activation: RnnActivation;
  timeMajor: boolean;
  reverse: boolean;
  hasMask: boolean;
}

/** Gate blocks per cell (columns of the kernels are gates·hidden). */
export const GATES: Record<CellKind, number> = { lstm: 4, gru: 3, rnn: 1 };
/** Blocks of the per-step state S_t. */
export const STATE_BLOCKS: Record<CellKind, number> = { lstm: 6, gru: 5, rnn: 2 };
/** Carry entries (h, and c for LSTM). */
export const CARRY_BLOCKS: Record<CellKind, number> = { lstm: 2, gru: 1, rnn: 1 };

function geometryKey(g: SequenceGeometry): string {
  return `${g.kind}_${g.activation}_b${g.batch}_h${g.hidden}_${g.timeMajor ? 'tm' : 'bm'}_${g.reverse ? 'rev' : 'fwd'}_${g.hasMask ? 'mask' : 'nomask'}`;
}

/** Declares b, j (and blk) from `index` over a [blocks, B, H] output. */
function splitBlockIndex(d: ShaderDialect, g: SequenceGeometry): string {
  const bh = g.batch * g.hidden;
  return [
    d.int('blk', `index / ${bh}`),
    d.int('rest', `index - blk * ${bh}`),
    d.int('b', `rest / ${g.hidden}`),
    d.int('j', `rest - b * ${g.hidden}`),
  ].join('\n');
}

/** Declares `m`, the mask value of row b at timestep `t` (1 without a mask). */
function maskValue(d: ShaderDialect, g: SequenceGeometry, t: string): string {
  return d.float('m', g.hasMask ? `getValidMask(b * ${d.uniform(SEQ_LEN)} + ${t})` : '1.0');
}

/** Index of element (b, j) of block `blk` of S_t in the workspace. */
function wsIndex(g: SequenceGeometry, t: string, blk: number | string): string {
  const k = STATE_BLOCKS[g.kind];
  return `((${t} * ${k} + ${blk}) * ${g.batch} + b) * ${g.hidden} + j`;
}

/** Index of element (t, b, j) of a tensor with the layout of x and hidden features. */
function sequenceIndex(d: ShaderDialect, g: SequenceGeometry, t: string): string {
  return g.timeMajor
    ? `(${t} * ${g.batch} + b) * ${g.hidden} + j`
    : `(b * ${d.uniform(SEQ_LEN)} + ${t}) * ${g.hidden} + j`;
}

function activate(activation: RnnActivation, v: string): string {
  if (activation === 'tanh') return `rnnTanh(${v})`;
  if (activation === 'relu') return `max(${v}, 0.0)`;
  return v;
}

/** d act / d z, written in terms of a = act(z). */
function activationSlope(d: ShaderDialect, activation: RnnActivation, a: string): string {
  if (activation === 'tanh') return `(1.0 - ${a} * ${a})`;
  if (activation === 'relu') return d.pick(`${a} > 0.0`, '1.0', '0.0');
  return '1.0';
}

/**
 * Forward gate pass of one timestep: S_t from the projected input, h_{t−1}·R (one matmul through
 * the backend), the bias and S_{t−1} (or the initial carry [h0; c0]). Uniform `step` = t.
 */
export function gateShader(g: SequenceGeometry): ShaderSpec {
  const inputs = ['xProj', 'hProj', 'biasIn', 'prevState', ...(g.hasMask ? ['validMask'] : [])];
  const G = GATES[g.kind];
  const H = g.hidden;
  const bh = g.batch * H;
  return {
    key: `rnnGate_${geometryKey(g)}`,
    variableNames: inputs,
    outputSize: STATE_BLOCKS[g.kind] * bh,
    uniforms: ['step', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      // Pre-activation of gate `gate` from the input side (with bias row 0) and the recurrent side.
      const xSide = (gate: number) => `getXProj((${step} * ${g.batch} + b) * ${G * H} + ${gate * H} + j) + getBiasIn(${gate * H} + j)`;
      const hSide = (gate: number) => `getHProj(b * ${G * H} + ${gate * H} + j)`;
      const lines = [splitBlockIndex(d, g), maskValue(d, g, step), d.float('hp', 'getPrevState(b * ' + H + ' + j)')];
      if (g.kind === 'lstm') {
        lines.push(
          d.float('cp', `getPrevState(${bh} + b * ${H} + j)`),
          d.float('ig', `rnnSigmoid(${xSide(0)} + ${hSide(0)})`),
          d.float('fg', `rnnSigmoid(${xSide(1)} + ${hSide(1)})`),
          d.float('gg', `rnnTanh(${xSide(2)} + ${hSide(2)})`),
          d.float('og', `rnnSigmoid(${xSide(3)} + ${hSide(3)})`),
          d.float('cn', 'fg * cp + ig * gg'),
          d.float('hn', 'og * rnnTanh(cn)'),
          d.float('outValue', 'og'),
          `if (blk == 0) { outValue = m * hn + (1.0 - m) * hp; }`,
          `else if (blk == 1) { outValue = m * cn + (1.0 - m) * cp; }`,
          `else if (blk == 2) { outValue = ig; }`,
          `else if (blk == 3) { outValue = fg; }`,
          `else if (blk == 4) { outValue = gg; }`,
        );
      } else if (g.kind === 'gru') {
        // Keras reset_after: the reset gate multiplies the recurrent projection (bias row 1 included).
        const b1 = (gate: number) => `getBiasIn(${(G + gate) * H} + j)`;
        lines.push(
          d.float('zg', `rnnSigmoid(${xSide(0)} + ${hSide(0)} + ${b1(0)})`),
          d.float('rg', `rnnSigmoid(${xSide(1)} + ${hSide(1)} + ${b1(1)})`),
          d.float('hn', `${hSide(2)} + ${b1(2)}`),
          d.float('ng', `rnnTanh(${xSide(2)} + rg * hn)`),
          d.float('hnew', '(1.0 - zg) * ng + zg * hp'),
          d.float('outValue', 'hn'),
          `if (blk == 0) { outValue = m * hnew + (1.0 - m) * hp; }`,
          `else if (blk == 1) { outValue = zg; }`,
          `else if (blk == 2) { outValue = rg; }`,
          `else if (blk == 3) { outValue = ng; }`,
        );
      } else {
        lines.push(
          d.float('a', activate(g.activation, `${xSide(0)} + ${hSide(0)}`)),
          d.float('outValue', 'a'),
          `if (blk == 0) { outValue = m * a + (1.0 - m) * hp; }`,
        );
      }
      return lines.join('\n');
    },
  };
}

/** The visible output sequence, in the layout of x: m·h carry (zeros at masked steps). */
export function outputShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  return {
    key: `rnnOutput_${geometryKey(g)}`,
    variableNames: ['workspace', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: g.time * g.batch * H,
    uniforms: [SEQ_LEN],
    body: (d) => {
      const split = g.timeMajor
        ? [d.int('t', `index / ${g.batch * H}`), d.int('b', `(index - t * ${g.batch * H}) / ${H}`)]
        : [d.int('b', `index / (${d.uniform(SEQ_LEN)} * ${H})`), d.int('t', `(index - b * ${d.uniform(SEQ_LEN)} * ${H}) / ${H}`)];
      return [
        ...split,
        d.int('j', `index - (index / ${H}) * ${H}`),
        maskValue(d, g, 't'),
        d.float('outValue', `m * getWorkspace(${wsIndex(g, 't', 0)})`),
      ].join('\n');
    },
  };
}

/** h_{t−1} for every timestep, [T, B, H] time-major (the h0 row where the sequence starts). */
export function previousHiddenShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  return {
    key: `rnnPrevH_${geometryKey(g)}`,
    variableNames: ['workspace', 'initState'],
    outputSize: g.time * g.batch * H,
    uniforms: [SEQ_LEN],
    body: (d) =>
      [
        d.int('t', `index / ${g.batch * H}`),
        d.int('b', `(index - t * ${g.batch * H}) / ${H}`),
        d.int('j', `index - (index / ${H}) * ${H}`),
        d.int('pt', g.reverse ? 't + 1' : 't - 1'),
        d.float('outValue', `getInitState(b * ${H} + j)`),
        `if (pt >= 0 && pt < ${d.uniform(SEQ_LEN)}) { outValue = getWorkspace(${wsIndex(g, 'pt', 0)}); }`,
      ].join('\n'),
  };
}

/**
 * Shared head of the two backward shaders: the mask, the gradient reaching the h carry of step t
 * (from later steps and from output[t]) and the part that reaches the new state (dhn).
 */
function carryGradient(d: ShaderDialect, g: SequenceGeometry, hasDOutput: boolean): string[] {
  const step = d.uniform('step');
  const dOut = hasDOutput ? ` + m * getDOutput(${sequenceIndex(d, g, step)})` : '';
  return [
    maskValue(d, g, step),
    d.float('dhc', `getDhCarry(b * ${g.hidden} + j)${dOut}`),
    d.float('dhn', 'm * dhc'),
  ];
}

function lstmCellGradient(d: ShaderDialect, g: SequenceGeometry): string[] {
  const step = d.uniform('step');
  return [
    d.float('og', `getWorkspace(${wsIndex(g, step, 5)})`),
    d.float('tc', `rnnTanh(getWorkspace(${wsIndex(g, step, 1)}))`),
    d.float('dcn', `m * getDcCarry(b * ${g.hidden} + j) + dhn * og * (1.0 - tc * tc)`),
  ];
}

/**
 * Backward gate pass of one timestep: the gradients of the gate pre-activations.
 *   LSTM, RNN: [B, G·H] (the same for the input and the recurrent side)
 *   GRU:       [2, B, 3H]: input side, then recurrent side (they differ in the n gate: r·hn)
 * Uniforms: `step` = t, `prevStep` = the timestep processed before t, or −1 for the initial carry.
 */
export function gateGradShader(g: SequenceGeometry, hasDOutput: boolean): ShaderSpec {
  const G = GATES[g.kind];
  const H = g.hidden;
  // The RNN gradient needs no previous state.
  const inputs = ['workspace', ...(g.kind === 'rnn' ? [] : ['initState']), ...(hasDOutput ? ['dOutput'] : []), 'dhCarry'];
  if (g.kind === 'lstm') inputs.push('dcCarry');
  if (g.hasMask) inputs.push('validMask');
  const sides = g.kind === 'gru' ? 2 : 1;
  return {
    key: `rnnGateGrad_${geometryKey(g)}_${hasDOutput ? 'dout' : 'nodout'}`,
    variableNames: inputs,
    outputSize: sides * g.batch * G * H,
    uniforms: ['step', 'prevStep', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      const prev = d.uniform('prevStep');
      const prevState = (blk: number) =>
        d.pick(`${prev} < 0`, `getInitState(${blk * g.batch * H} + b * ${H} + j)`, `getWorkspace(${wsIndex(g, `max(${prev}, 0)`, blk)})`);
      const state = (blk: number) => `getWorkspace(${wsIndex(g, step, blk)})`;
      const lines = [
        d.int('side', `index / ${g.batch * G * H}`),
        d.int('rest', `index - side * ${g.batch * G * H}`),
        d.int('b', `rest / ${G * H}`),
        d.int('col', `rest - b * ${G * H}`),
        d.int('gate', `col / ${H}`),
        d.int('j', `col - gate * ${H}`),
        ...carryGradient(d, g, hasDOutput),
      ];
      if (g.kind === 'lstm') {
        lines.push(
          ...lstmCellGradient(d, g),
          d.float('ig', state(2)),
          d.float('fg', state(3)),
          d.float('gg', state(4)),
          d.float('cp', prevState(1)),
          d.float('outValue', 'dhn * tc * og * (1.0 - og)'),
          `if (gate == 0) { outValue = dcn * gg * ig * (1.0 - ig); }`,
          `else if (gate == 1) { outValue = dcn * cp * fg * (1.0 - fg); }`,
          `else if (gate == 2) { outValue = dcn * ig * (1.0 - gg * gg); }`,
        );
      } else if (g.kind === 'gru') {
        lines.push(
          d.float('zg', state(1)),
          d.float('rg', state(2)),
          d.float('ng', state(3)),
          d.float('hn', state(4)),
          d.float('hp', prevState(0)),
          d.float('dn', 'dhn * (1.0 - zg) * (1.0 - ng * ng)'),
          d.float('outValue', 'dhn * (hp - ng) * zg * (1.0 - zg)'),
          `if (gate == 1) { outValue = dn * hn * rg * (1.0 - rg); }`,
          `else if (gate == 2) { outValue = dn * ${d.pick('side == 0', '1.0', 'rg')}; }`,
        );
      } else {
        lines.push(d.float('a', state(1)), d.float('outValue', `dhn * ${activationSlope(d, g.activation, 'a')}`));
      }
      return lines.join('\n');
    },
  };
}

/**
 * Backward carry pass of one timestep: the gradient reaching the previous carry, [C, B, H]
 * (dh, and dc for LSTM), from dz·Rᵀ (one matmul through the backend), the direct paths of the
 * cell and the pass-through of masked steps. Uniform `step` = t.
 */
export function carryGradShader(g: SequenceGeometry, hasDOutput: boolean): ShaderSpec {
  // The RNN carry gradient reads no saved state.
  const inputs = ['dhRec', ...(g.kind === 'rnn' ? [] : ['workspace']), ...(hasDOutput ? ['dOutput'] : []), 'dhCarry'];
  if (g.kind === 'lstm') inputs.push('dcCarry');
  if (g.hasMask) inputs.push('validMask');
  return {
    key: `rnnCarryGrad_${geometryKey(g)}_${hasDOutput ? 'dout' : 'nodout'}`,
    variableNames: inputs,
    outputSize: CARRY_BLOCKS[g.kind] * g.batch * g.hidden,
    uniforms: ['step', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      const lines = [
        splitBlockIndex(d, g),
        ...carryGradient(d, g, hasDOutput),
        d.float('direct', '0.0'),
      ];
      if (g.kind === 'gru') lines.push(`direct = dhn * getWorkspace(${wsIndex(g, step, 1)});`);
      lines.push(d.float('outValue', `getDhRec(b * ${g.hidden} + j) + direct + (1.0 - m) * dhc`));
      if (g.kind === 'lstm') {
        lines.push(
          ...lstmCellGradient(d, g),
          `if (blk == 1) { outValue = dcn * getWorkspace(${wsIndex(g, step, 3)}) + (1.0 - m) * getDcCarry(b * ${g.hidden} + j); }`,
        );
      }
      return lines.join('\n');
    },
  };
}
