/**
 * The shaders of the GPU sequence kernels, written once for both dialects (dialect.ts). Every
 * shader reads flat inputs by index and writes one flat output; the layouts are the backend's own
 * (kernel_names.ts leaves the workspace layout to each backend):
 *
 *   step state S_t  [K, B, H] block-major, K blocks per cell (block 0 is always the h carry):
 *                     LSTM  h, c, i, f, g, o          GRU  h, z, r, n, hn = h·Rn + b1n
 *                     RNN   h, a = act(z)
 *   workspace       [T, K, B, H]: S_t for every timestep t, in time order (not processing order)
 *   projected input x·K without the bias (the gate shader adds it), rows in the layout of x:
 *                     [B, T, G·H] or time-major [T, B, G·H] (projectedRow)
 *
 * A masked step writes the previous carry into block 0 (and 1 for LSTM); its gate blocks are
 * never read because its gradient is zero.
 */
import { CELLS, type CellKind, type RecurrentActivation, type RnnActivation } from '../cell_table.js';
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
  recurrentActivation: RecurrentActivation;
  timeMajor: boolean;
  reverse: boolean;
  hasMask: boolean;
  /**
   * The forward pass keeps no workspace (no gradient will be taken): each step's state holds only
   * the carries (blocks h, c), so a GRU or RNN step's state is its h output itself.
   */
  carriesOnly?: boolean;
}

/** Blocks of the per-step state S_t (the GPU workspace layout above). */
export const STATE_BLOCKS: Record<CellKind, number> = { lstm: 6, gru: 5, rnn: 2 };
/** Gate blocks of a cell (the kernels have gates·hidden columns), from the cell table. */
export const gatesOf = (kind: CellKind): number => CELLS[kind].gates;
/** Carry entries of a cell (h, and c for LSTM), from the cell table. */
export const carriesOf = (kind: CellKind): number => CELLS[kind].carries.length;
/** Blocks of each step's state in this run (all of STATE_BLOCKS, or only the carries). */
export const stateBlocksOf = (g: SequenceGeometry): number => (g.carriesOnly ? carriesOf(g.kind) : STATE_BLOCKS[g.kind]);

export function geometryKey(g: SequenceGeometry): string {
  return `${g.kind}_${g.activation}_${g.recurrentActivation}_b${g.batch}_h${g.hidden}_${g.timeMajor ? 'tm' : 'bm'}_${g.reverse ? 'rev' : 'fwd'}_${g.hasMask ? 'mask' : 'nomask'}${g.carriesOnly ? '_carries' : ''}`;
}

/** Declares b, j (and blk) from `index` over a [blocks, B, H] output. */
export function splitBlockIndex(d: ShaderDialect, g: SequenceGeometry): string {
  const bh = g.batch * g.hidden;
  return [
    d.int('blk', `index / ${bh}`),
    d.int('rest', `index - blk * ${bh}`),
    d.int('b', `rest / ${g.hidden}`),
    d.int('j', `rest - b * ${g.hidden}`),
  ].join('\n');
}

/** Declares `m`, the mask value of row b at timestep `t` (1 without a mask). */
export function maskValue(d: ShaderDialect, g: SequenceGeometry, t: string): string {
  return d.float('m', g.hasMask ? `getValidMask(b * ${d.uniform(SEQ_LEN)} + ${t})` : '1.0');
}

/**
 * `computed` at a valid step, `carried` at a masked one, chosen, never blended: m·x + (1−m)·y is
 * NaN wherever the discarded side is (0·NaN = NaN), and a masked step's inputs, gates and upstream
 * gradient must not reach anything, as on the host kernels.
 */
export function valid(d: ShaderDialect, computed: string, carried: string, mask = 'm'): string {
  return d.pick(`${mask} != 0.0`, computed, carried);
}

/**
 * Row of (timestep `t`, row b) in the projected input: x·K keeps the rows of x (batch- or
 * time-major), so that x goes into the matmul as it is, with no transpose before it.
 */
export function projectedRow(d: ShaderDialect, g: SequenceGeometry, t: string): string {
  return g.timeMajor ? `(${t} * ${g.batch} + b)` : `(b * ${d.uniform(SEQ_LEN)} + ${t})`;
}

/** Index of element (b, j) of block `blk` of S_t in the workspace (`j`: the column's expression). */
export function wsIndex(g: SequenceGeometry, t: string, blk: number | string, j = 'j'): string {
  const k = stateBlocksOf(g);
  return `((${t} * ${k} + ${blk}) * ${g.batch} + b) * ${g.hidden} + ${j}`;
}

/** Index of element (t, b, j) of a tensor with the layout of x and hidden features. */
export function sequenceIndex(d: ShaderDialect, g: SequenceGeometry, t: string, j = 'j'): string {
  return g.timeMajor
    ? `(${t} * ${g.batch} + b) * ${g.hidden} + ${j}`
    : `(b * ${d.uniform(SEQ_LEN)} + ${t}) * ${g.hidden} + ${j}`;
}

export function activate(activation: RnnActivation, v: string): string {
  if (activation === 'tanh') return `rnnTanh(${v})`;
  if (activation === 'relu') return `max(${v}, 0.0)`;
  return v;
}

/** The gate activation σ (LSTM i, f, o; GRU z, r). */
export function gate(g: SequenceGeometry, v: string): string {
  return g.recurrentActivation === 'hardSigmoid' ? `clamp(0.2 * (${v}) + 0.5, 0.0, 1.0)` : `rnnSigmoid(${v})`;
}

/** dσ/dz written in terms of s = σ(z). */
export function gateSlope(d: ShaderDialect, g: SequenceGeometry, s: string): string {
  return g.recurrentActivation === 'hardSigmoid' ? d.pick(`${s} > 0.0 && ${s} < 1.0`, '0.2', '0.0') : `${s} * (1.0 - ${s})`;
}

/** d act / d z, written in terms of a = act(z). */
export function activationSlope(d: ShaderDialect, activation: RnnActivation, a: string): string {
  if (activation === 'tanh') return `(1.0 - ${a} * ${a})`;
  if (activation === 'relu') return d.pick(`${a} > 0.0`, '1.0', '0.0');
  return '1.0';
}

/**
 * Forward gate pass of one timestep: S_t (or only its carries) from the projected input, h_{t−1}·R
 * (product_shaders.ts), the bias and the previous carries: h from block 0 of `prevState` (S_{t−1}
 * or h0) at `prevAt`, for LSTM c from `prevCell` at `cellAt` (S_{t−1}'s block 1, or c0 at 0: no
 * [h0; c0] concat); the offsets are uniforms (where S_{t−1} starts in its tensor).
 * Uniforms: `step` = t; `hProjAt`, where h·R starts in `hProj` (0, or B·G·H when `xProj` and
 * `hProj` are the one [x·K | h·R] output of a one-step product); `firstBlock`, the first block of
 * the state written: with `blocks` = 1, one run per carry writes that carry as a tensor of its own
 * (where the backend would copy it out of the state with a Slice program).
 */
export function gateShader(g: SequenceGeometry, blocks = stateBlocksOf(g)): ShaderSpec {
  const lstmCell = g.kind === 'lstm' ? ['prevCell'] : [];
  const inputs = ['xProj', 'hProj', 'biasIn', 'prevState', ...lstmCell, ...(g.hasMask ? ['validMask'] : [])];
  const G = gatesOf(g.kind);
  const H = g.hidden;
  const bh = g.batch * H;
  return {
    key: `rnnGate_${geometryKey(g)}_blocks${blocks}`,
    variableNames: inputs,
    outputSize: blocks * bh,
    uniforms: ['step', 'hProjAt', 'firstBlock', 'prevAt', ...(g.kind === 'lstm' ? ['cellAt'] : []), SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      // Pre-activation of gate `gate` from the input side (with bias row 0) and the recurrent side.
      const xSide = (gate: number) => `getXProj(${projectedRow(d, g, step)} * ${G * H} + ${gate * H} + j) + getBiasIn(${gate * H} + j)`;
      const hSide = (gate: number) => `getHProj(${d.uniform('hProjAt')} + b * ${G * H} + ${gate * H} + j)`;
      const lines = [
        splitBlockIndex(d, g),
        `blk = blk + ${d.uniform('firstBlock')};`,
        maskValue(d, g, step),
        d.float('hp', `getPrevState(${d.uniform('prevAt')} + b * ${H} + j)`),
      ];
      const keepIfMasked = (computed: string, carried: string) => valid(d, computed, carried);
      if (g.kind === 'lstm') {
        lines.push(
          d.float('cp', `getPrevCell(${d.uniform('cellAt')} + b * ${H} + j)`),
          d.float('ig', gate(g, `${xSide(0)} + ${hSide(0)}`)),
          d.float('fg', gate(g, `${xSide(1)} + ${hSide(1)}`)),
          d.float('gg', activate(g.activation, `${xSide(2)} + ${hSide(2)}`)),
          d.float('og', gate(g, `${xSide(3)} + ${hSide(3)}`)),
          d.float('cn', 'fg * cp + ig * gg'),
          d.float('hn', `og * ${activate(g.activation, 'cn')}`),
          d.float('outValue', 'og'),
          `if (blk == 0) { outValue = ${keepIfMasked('hn', 'hp')}; }`,
          `else if (blk == 1) { outValue = ${keepIfMasked('cn', 'cp')}; }`,
          `else if (blk == 2) { outValue = ig; }`,
          `else if (blk == 3) { outValue = fg; }`,
          `else if (blk == 4) { outValue = gg; }`,
        );
      } else if (g.kind === 'gru') {
        // Keras reset_after: the reset gate multiplies the recurrent projection (bias row 1 included).
        const b1 = (gate: number) => `getBiasIn(${(G + gate) * H} + j)`;
        lines.push(
          d.float('zg', gate(g, `${xSide(0)} + ${hSide(0)} + ${b1(0)}`)),
          d.float('rg', gate(g, `${xSide(1)} + ${hSide(1)} + ${b1(1)}`)),
          d.float('hn', `${hSide(2)} + ${b1(2)}`),
          d.float('ng', activate(g.activation, `${xSide(2)} + rg * hn`)),
          d.float('hnew', '(1.0 - zg) * ng + zg * hp'),
          d.float('outValue', 'hn'),
          `if (blk == 0) { outValue = ${keepIfMasked('hnew', 'hp')}; }`,
          `else if (blk == 1) { outValue = zg; }`,
          `else if (blk == 2) { outValue = rg; }`,
          `else if (blk == 3) { outValue = ng; }`,
        );
      } else {
        lines.push(
          d.float('a', activate(g.activation, `${xSide(0)} + ${hSide(0)}`)),
          d.float('outValue', 'a'),
          `if (blk == 0) { outValue = ${keepIfMasked('a', 'hp')}; }`,
        );
      }
      return lines.join('\n');
    },
  };
}

/**
 * Block `blk` of every step state as a sequence, zeros at masked steps: time-major [T, B, H], or in
 * the layout of x when `inLayoutOfX` (the output sequence and the reset-before GRU's r⊙h read it).
 */
export function maskedBlockShader(key: string, g: SequenceGeometry, blk: number, inLayoutOfX: boolean): ShaderSpec {
  const H = g.hidden;
  return {
    key,
    variableNames: ['workspace', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: g.time * g.batch * H,
    uniforms: [SEQ_LEN],
    body: (d) => {
      const split =
        g.timeMajor || !inLayoutOfX
          ? [d.int('t', `index / ${g.batch * H}`), d.int('b', `(index - t * ${g.batch * H}) / ${H}`)]
          : [d.int('b', `index / (${d.uniform(SEQ_LEN)} * ${H})`), d.int('t', `(index - b * ${d.uniform(SEQ_LEN)} * ${H}) / ${H}`)];
      return [
        ...split,
        d.int('j', `index - (index / ${H}) * ${H}`),
        maskValue(d, g, 't'),
        d.float('outValue', valid(d, `getWorkspace(${wsIndex(g, 't', blk)})`, '0.0')),
      ].join('\n');
    },
  };
}

/** The visible output sequence, in the layout of x: m·h carry (zeros at masked steps). */
export function outputShader(g: SequenceGeometry): ShaderSpec {
  return maskedBlockShader(`rnnOutput_${geometryKey(g)}`, g, 0, true);
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
 * Statements of the backward pass at timestep `t` (an expression) that need the carry gradient
 * flowing into step t from later steps, given as expressions `dhIn` (and `dcIn`): the mask `m`,
 * the gradient of the step's h carry `dhc` (output[t] included) and of its new state `dhn`, and
 * for LSTM that of the new cell state `dcn`. Names get `prefix` so that two steps can coexist.
 */
export function stepGradientHead(d: ShaderDialect, g: SequenceGeometry, hasDOutput: boolean, t: string, dhIn: string, dcIn: string, prefix = ''): string[] {
  const v = (name: string) => `${prefix}${name}`;
  const dOut = hasDOutput ? ` + ${valid(d, `getDOutput(${sequenceIndex(d, g, t)})`, '0.0', v('m'))}` : '';
  const lines = [
    d.float(v('m'), g.hasMask ? `getValidMask(b * ${d.uniform(SEQ_LEN)} + ${t})` : '1.0'),
    d.float(v('dhc'), `${dhIn}${dOut}`),
    d.float(v('dhn'), valid(d, v('dhc'), '0.0', v('m'))),
  ];
  if (g.kind === 'lstm') {
    lines.push(
      d.float(v('og'), `getWorkspace(${wsIndex(g, t, 5)})`),
      d.float(v('tc'), activate(g.activation, `getWorkspace(${wsIndex(g, t, 1)})`)),
      d.float(v('dcn'), valid(d, `${dcIn} + ${v('dhn')} * ${v('og')} * ${activationSlope(d, g.activation, v('tc'))}`, '0.0', v('m'))),
    );
  }
  return lines;
}

/**
 * Declares `${prefix}dhOut` (and `${prefix}dcOut`): the gradient reaching the carry step `t`
 * started from: dz·Rᵀ (`dhRec`, one matmul through the backend), the cell's direct paths and the
 * pass-through of a masked step. Needs stepGradientHead(prefix) before it.
 */
function carryGradientOf(d: ShaderDialect, g: SequenceGeometry, t: string, dhRec: string, dhIn: string, dcIn: string, prefix = ''): string[] {
  const v = (name: string) => `${prefix}${name}`;
  const direct = g.kind === 'gru' ? ` + ${v('dhn')} * getWorkspace(${wsIndex(g, t, 1)})` : '';
  const lines = [d.float(v('dhOut'), valid(d, `${dhRec}${direct}`, v('dhc'), v('m')))];
  if (g.kind === 'lstm') {
    lines.push(d.float(v('dcOut'), valid(d, `${v('dcn')} * getWorkspace(${wsIndex(g, t, 3)})`, dcIn, v('m'))));
  }
  return lines;
}

/**
 * Backward pass of one timestep t, in one shader: first the carry gradient flowing into step t,
 * finished from the step processed just before in the backward loop (`nextStep`, the one after t
 * in processing order: its carry gradient `prevGrad`, its dz·Rᵀ `dhRec` and its saved state), then
 * the gradients of step t's gate pre-activations. Output, flat:
 *   [ carry gradient into step t: C × [B, H] (dh, and dc for LSTM) | dz ]
 *   dz: LSTM, RNN [B, G·H] (the same for the input and the recurrent side); GRU [2, B, 3H], the
 *       input side then the recurrent side (they differ in the n gate: r·hn).
 * For the first backward step (nextStep = −1) `prevGrad` holds [dhT; dcT] and `dhRec` is unused.
 * Uniforms: `step` = t, `nextStep`, `prevStep` = the step processed before t (−1: initial carry),
 * `prevGradAt`: where `prevGrad` starts in its tensor.
 */
export function stepGradShader(g: SequenceGeometry, hasDOutput: boolean): ShaderSpec {
  const G = gatesOf(g.kind);
  const H = g.hidden;
  const BH = g.batch * H;
  const carryLength = carriesOf(g.kind) * BH;
  const sides = g.kind === 'gru' ? 2 : 1;
  // The RNN gradient needs no previous state.
  const inputs = [
    'workspace',
    ...(g.kind === 'rnn' ? [] : ['initState']),
    ...(hasDOutput ? ['dOutput'] : []),
    'prevGrad',
    'dhRec',
    ...(g.hasMask ? ['validMask'] : []),
  ];
  return {
    key: `rnnStepGrad_${geometryKey(g)}_${hasDOutput ? 'dout' : 'nodout'}`,
    variableNames: inputs,
    outputSize: carryLength + sides * g.batch * G * H,
    uniforms: ['step', 'nextStep', 'prevStep', 'prevGradAt', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      const next = d.uniform('nextStep');
      const prev = d.uniform('prevStep');
      const prevGradAt = d.uniform('prevGradAt');
      const prevState = (blk: number) =>
        d.pick(`${prev} < 0`, `getInitState(${blk * BH} + b * ${H} + j)`, `getWorkspace(${wsIndex(g, `max(${prev}, 0)`, blk)})`);
      const state = (blk: number) => `getWorkspace(${wsIndex(g, step, blk)})`;
      const lstm = g.kind === 'lstm';
      const lines = [
        // Which element: a carry-gradient element (blk, b, j) or a dz element (side, b, gate, j).
        d.int('blk', '0'),
        d.int('side', '0'),
        d.int('gate', '0'),
        d.int('b', '0'),
        d.int('j', '0'),
        `if (index < ${carryLength}) {`,
        `  blk = index / ${BH}; b = (index - blk * ${BH}) / ${H}; j = index - blk * ${BH} - b * ${H};`,
        `} else {`,
        `  side = (index - ${carryLength}) / ${g.batch * G * H};`,
        `  b = (index - ${carryLength} - side * ${g.batch * G * H}) / ${G * H};`,
        `  gate = (index - ${carryLength} - side * ${g.batch * G * H} - b * ${G * H}) / ${H};`,
        `  j = index - ${carryLength} - side * ${g.batch * G * H} - b * ${G * H} - gate * ${H};`,
        `}`,
        // The carry gradient flowing into step t.
        d.float('dhIn', `getPrevGrad(${prevGradAt} + b * ${H} + j)`),
        d.float('dcIn', lstm ? `getPrevGrad(${prevGradAt} + ${BH} + b * ${H} + j)` : '0.0'),
        `if (${next} >= 0) {`,
        ...stepGradientHead(d, g, hasDOutput, `max(${next}, 0)`, 'dhIn', 'dcIn', 'n'),
        ...carryGradientOf(d, g, `max(${next}, 0)`, `getDhRec(b * ${H} + j)`, 'dhIn', 'dcIn', 'n'),
        `  dhIn = ndhOut;`,
        ...(lstm ? [`  dcIn = ndcOut;`] : []),
        `}`,
        ...stepGradientHead(d, g, hasDOutput, step, 'dhIn', 'dcIn'),
      ];
      if (lstm) {
        lines.push(
          d.float('ig', state(2)),
          d.float('fg', state(3)),
          d.float('gg', state(4)),
          d.float('cp', prevState(1)),
          d.float('outValue', `dhn * tc * ${gateSlope(d, g, 'og')}`),
          `if (gate == 0) { outValue = dcn * gg * ${gateSlope(d, g, 'ig')}; }`,
          `else if (gate == 1) { outValue = dcn * cp * ${gateSlope(d, g, 'fg')}; }`,
          `else if (gate == 2) { outValue = dcn * ig * ${activationSlope(d, g.activation, 'gg')}; }`,
        );
      } else if (g.kind === 'gru') {
        lines.push(
          d.float('zg', state(1)),
          d.float('rg', state(2)),
          d.float('ng', state(3)),
          d.float('hn', state(4)),
          d.float('hp', prevState(0)),
          d.float('dn', `dhn * (1.0 - zg) * ${activationSlope(d, g.activation, 'ng')}`),
          d.float('outValue', `dhn * (hp - ng) * ${gateSlope(d, g, 'zg')}`),
          `if (gate == 1) { outValue = dn * hn * ${gateSlope(d, g, 'rg')}; }`,
          `else if (gate == 2) { outValue = dn * ${d.pick('side == 0', '1.0', 'rg')}; }`,
        );
      } else {
        lines.push(d.float('a', state(1)), d.float('outValue', `dhn * ${activationSlope(d, g.activation, 'a')}`));
      }
      // A masked step's gate gradients are exactly 0, whatever its saved gates hold.
      lines.push(`outValue = ${valid(d, 'outValue', '0.0')};`);
      lines.push(`if (index < ${carryLength}) { outValue = ${lstm ? d.pick('blk == 0', 'dhIn', 'dcIn') : 'dhIn'}; }`);
      return lines.join('\n');
    },
  };
}

/**
 * The gradient reaching the initial carry, [C, B, H] (dh0, and dc0 for LSTM): the carry pass of
 * the first processed step, after the backward loop, from that step's stepGradShader output
 * (`prevGrad`, its carry gradient first, at element `carryAt` of its tensor). Uniform `step` = that step.
 */
export function carryGradShader(g: SequenceGeometry, hasDOutput: boolean): ShaderSpec {
  // The RNN carry gradient reads no saved state.
  const inputs = ['dhRec', ...(g.kind === 'rnn' ? [] : ['workspace']), ...(hasDOutput ? ['dOutput'] : []), 'prevGrad'];
  if (g.hasMask) inputs.push('validMask');
  return {
    key: `rnnCarryGrad_${geometryKey(g)}_${hasDOutput ? 'dout' : 'nodout'}`,
    variableNames: inputs,
    outputSize: carriesOf(g.kind) * g.batch * g.hidden,
    uniforms: ['step', 'carryAt', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      const at = `b * ${g.hidden} + j`;
      const dhIn = `getPrevGrad(${d.uniform('carryAt')} + ${at})`;
      const dcIn = g.kind === 'lstm' ? `getPrevGrad(${d.uniform('carryAt')} + ${g.batch * g.hidden} + ${at})` : '0.0';
      return [
        splitBlockIndex(d, g),
        ...stepGradientHead(d, g, hasDOutput, step, dhIn, dcIn),
        ...carryGradientOf(d, g, step, `getDhRec(${at})`, dhIn, dcIn),
        d.float('outValue', g.kind === 'lstm' ? d.pick('blk == 0', 'dhOut', 'dcOut') : 'dhOut'),
      ].join('\n');
    },
  };
}
