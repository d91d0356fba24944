/**
 * The shaders of the reset-before GRU (tf.layers, Keras reset_after=False; bias [3H]):
 *   z = σ(xKz + bz + hRz),  r = σ(xKr + br + hRr),  n = act(xKn + bn + (r⊙h)Rn),  h' = (1−z)⊙n + z⊙h
 * (r⊙h)·Rn needs all of r first, so a timestep is two programs each way, each with its product
 * inside (a dot product per output element reading its operand in place, as product_shaders.ts
 * does; R is read whole, [H, 3H]): forward, h·Rzr with the gates z, r, then (r⊙h)·Rn with the
 * state; backward, dn·Rnᵀ (dn computed per column from the carry gradient), then [dz, dr]·Rzrᵀ
 * with the carry gradient into the step before and the step's gate gradients.
 *
 * Its step state S_t has the GRU's five blocks (shaders.ts), the last one r⊙h instead of
 * h·Rn + b1n:   h, z, r, n, r⊙h   so the output and previous-hidden shaders serve it unchanged
 * (only h where no gradient will be taken: carriesOnly).
 */
import type { ShaderDialect } from './dialect.js';
import { dot } from './product_shaders.js';
import {
  SEQ_LEN,
  type SequenceGeometry,
  type ShaderSpec,
  activate,
  activationSlope,
  gate,
  gateSlope,
  geometryKey,
  maskValue,
  maskedBlockShader,
  projectedRow,
  sequenceIndex,
  splitBlockIndex,
  stateBlocksOf,
  valid,
  wsIndex,
} from './shaders.js';

const keyOf = (name: string, g: SequenceGeometry) => `gruResetBefore${name}_${geometryKey(g)}`;

/** The inputs of the input side: the projected input, or (a sequence of one step) x and K. */
const inputSideNames = (inputSize: number) => (inputSize > 0 ? ['x', 'kernel'] : ['xProj']);

/**
 * Declares the float `xs`: the input side of R's column `col` (an int expression) for row b at
 * timestep `step`, x·K + b: read from the projected input, or with `inputSize` > 0 computed here.
 */
function inputSide(d: ShaderDialect, g: SequenceGeometry, inputSize: number, col: string): string {
  const GH = 3 * g.hidden;
  if (inputSize === 0) return d.float('xs', `getXProj(${projectedRow(d, g, d.uniform('step'))} * ${GH} + ${col}) + getBiasIn(${col})`);
  return [d.float('xs', `getBiasIn(${col})`), dot(d, 'k', inputSize, `getX(b * ${inputSize} + k)`, `getKernel(k * ${GH} + ${col})`, 'xs')].join('\n');
}

/**
 * Forward, first program of timestep `step`: [2, B, H] = z, r, each element with its column of
 * h·Rzr (h read in place from block 0 of `prevState`: S_{t−1}, or h0, starting at the uniform
 * `prevAt` of its tensor).
 */
export function resetBeforeGateShader(g: SequenceGeometry, inputSize = 0): ShaderSpec {
  const H = g.hidden;
  return {
    key: `${keyOf('Gates', g)}_in${inputSize}`,
    variableNames: [...inputSideNames(inputSize), 'biasIn', 'prevState', 'recurrentKernel'],
    outputSize: 2 * g.batch * H,
    uniforms: ['step', 'prevAt', SEQ_LEN],
    body: (d) =>
      [
        splitBlockIndex(d, g),
        d.int('col', `blk * ${H} + j`),
        inputSide(d, g, inputSize, 'col'),
        d.float('acc', '0.0'),
        dot(d, 'k', H, `getPrevState(${d.uniform('prevAt')} + b * ${H} + k)`, `getRecurrentKernel(k * ${3 * H} + col)`),
        d.float('outValue', gate(g, 'xs + acc')),
      ].join('\n'),
  };
}

/**
 * Forward, second program: S_t (or its h alone) from the gates, the input side and S_{t−1} (at
 * the uniform `prevAt` of its tensor); the elements that need n compute their column of (r⊙h)·Rn,
 * r and h read in place. A masked step keeps the previous carry.
 */
export function resetBeforeStateShader(g: SequenceGeometry, inputSize = 0): ShaderSpec {
  const H = g.hidden;
  const bh = g.batch * H;
  return {
    key: `${keyOf('State', g)}_in${inputSize}`,
    variableNames: [...inputSideNames(inputSize), 'gates', 'biasIn', 'prevState', 'recurrentKernel', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: stateBlocksOf(g) * bh,
    uniforms: ['step', 'prevAt', SEQ_LEN],
    body: (d) =>
      [
        splitBlockIndex(d, g),
        maskValue(d, g, d.uniform('step')),
        d.int('prevBase', d.uniform('prevAt')),
        d.float('hp', `getPrevState(prevBase + b * ${H} + j)`),
        d.float('zg', `getGates(b * ${H} + j)`),
        d.float('rg', `getGates(${bh} + b * ${H} + j)`),
        d.float('ng', '0.0'),
        `if (blk == 0 || blk == 3) {`,
        inputSide(d, g, inputSize, `${2 * H} + j`),
        d.float('acc', '0.0'),
        dot(d, 'k', H, `getGates(${bh} + b * ${H} + k) * getPrevState(prevBase + b * ${H} + k)`, `getRecurrentKernel(k * ${3 * H} + ${2 * H} + j)`),
        `  ng = ${activate(g.activation, 'xs + acc')};`,
        `}`,
        d.float('outValue', 'rg * hp'),
        `if (blk == 0) { outValue = ${valid(d, '(1.0 - zg) * ng + zg * hp', 'hp')}; }`,
        `else if (blk == 1) { outValue = zg; }`,
        `else if (blk == 2) { outValue = rg; }`,
        `else if (blk == 3) { outValue = ng; }`,
      ].join('\n'),
  };
}

/**
 * The carry gradient dhc of row b, column `col` at step `step`: dhIn (`prevGrad` from its element
 * `prevGradAt`, a uniform) plus output[t]'s.
 */
function carryGradient(d: ShaderDialect, g: SequenceGeometry, hasDOutput: boolean, col: string): string {
  const dOut = hasDOutput ? ` + ${valid(d, `getDOutput(${sequenceIndex(d, g, d.uniform('step'), col)})`, '0.0')}` : '';
  return `getPrevGrad(${d.uniform('prevGradAt')} + b * ${g.hidden} + ${col})${dOut}`;
}

/**
 * Backward, first program of timestep `step`: [2, B, H] = d(r⊙h) = dn·Rnᵀ (0 at a masked step),
 * and dhc, the gradient of step t's h (dhIn from the step handled just before, or dhT, in
 * `prevGrad`; output[t]'s added). dn = dhc·(1−z)·act'(n) is computed per column inside the product.
 */
export function resetBeforeCandidateGradShader(g: SequenceGeometry, hasDOutput: boolean): ShaderSpec {
  const H = g.hidden;
  const step = (d: ShaderDialect) => d.uniform('step');
  return {
    key: `${keyOf('CandidateGrad', g)}_${hasDOutput ? 'dout' : 'nodout'}`,
    variableNames: ['workspace', ...(hasDOutput ? ['dOutput'] : []), 'prevGrad', 'recurrentKernel', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: 2 * g.batch * H,
    uniforms: ['step', 'prevGradAt', SEQ_LEN],
    body: (d) => {
      const dn = [
        d.float('zc', `getWorkspace(${wsIndex(g, step(d), 1, 'c')})`),
        d.float('nc', `getWorkspace(${wsIndex(g, step(d), 3, 'c')})`),
        `acc = acc + (${carryGradient(d, g, hasDOutput, 'c')}) * (1.0 - zc) * ${activationSlope(d, g.activation, 'nc')} * getRecurrentKernel(j * ${3 * H} + ${2 * H} + c);`,
      ].join(' ');
      return [
        splitBlockIndex(d, g),
        maskValue(d, g, step(d)),
        d.float('outValue', carryGradient(d, g, hasDOutput, 'j')),
        `if (blk == 0) {`,
        d.float('acc', '0.0'),
        `  if (m != 0.0) { ${d.loop('c', H, dn)} }`,
        `  outValue = acc;`,
        `}`,
      ].join('\n');
    },
  };
}

/** h of the state step `prevStep` (a uniform) started from, row b, column `col`: S_prev, or h0 at −1. */
function previousHidden(d: ShaderDialect, g: SequenceGeometry, col: string): string {
  const prev = d.uniform('prevStep');
  return d.pick(`${prev} < 0`, `getInitState(b * ${g.hidden} + ${col})`, `getWorkspace(${wsIndex(g, `max(${prev}, 0)`, 0, col)})`);
}

/**
 * Declares, for row b and column `col` of step `step`, the gate gradients dz, dr, dn (suffixed
 * with `suffix`) from the first program's output (`gradA`: d(r⊙h), dhc) and the saved state.
 */
function gateGradients(d: ShaderDialect, g: SequenceGeometry, col: string, suffix: string): string[] {
  const H = g.hidden;
  const BH = g.batch * H;
  const step = d.uniform('step');
  const v = (name: string) => `${name}${suffix}`;
  return [
    d.float(v('dhc'), `getGradA(${BH} + b * ${H} + ${col})`),
    d.float(v('drh'), `getGradA(b * ${H} + ${col})`),
    d.float(v('zg'), `getWorkspace(${wsIndex(g, step, 1, col)})`),
    d.float(v('rg'), `getWorkspace(${wsIndex(g, step, 2, col)})`),
    d.float(v('ng'), `getWorkspace(${wsIndex(g, step, 3, col)})`),
    d.float(v('hp'), previousHidden(d, g, col)),
    d.float(v('dz'), `${v('dhc')} * (${v('hp')} - ${v('ng')}) * ${gateSlope(d, g, v('zg'))}`),
    d.float(v('dr'), `${v('drh')} * ${v('hp')} * ${gateSlope(d, g, v('rg'))}`),
    d.float(v('dn'), `${v('dhc')} * (1.0 - ${v('zg')}) * ${activationSlope(d, g.activation, v('ng'))}`),
  ];
}

/**
 * Backward, second program of timestep `step`, flat:
 *   [ carry gradient into the step before [B, H] | dz, dr, dn [B, 3H] ]
 * the first z⊙dhc + r⊙d(r⊙h) + [dz, dr]·Rzrᵀ (each element with its row of the product, dz and dr
 * computed per column), or dhc passed through at a masked step, whose gate gradients are 0.
 * The [dz, dr, dn] rows of all steps are the gradient of x·K + b ([T·B, 3H] once stacked).
 */
export function resetBeforeCarryGradShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  const BH = g.batch * H;
  return {
    key: keyOf('CarryGrad', g),
    variableNames: ['gradA', 'workspace', 'initState', 'recurrentKernel', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: 4 * BH,
    uniforms: ['step', 'prevStep', SEQ_LEN],
    body: (d) => {
      const product = [
        ...gateGradients(d, g, 'c', 'C'),
        `acc = acc + dzC * getRecurrentKernel(j * ${3 * H} + c) + drC * getRecurrentKernel(j * ${3 * H} + ${H} + c);`,
      ].join(' ');
      return [
        // part 0: the carry gradient (b, j); 1: the gate gradients (b, gate, j).
        d.int('part', '0'),
        d.int('gate', '0'),
        d.int('b', `index / ${H}`),
        d.int('j', `index - b * ${H}`),
        `if (index >= ${BH}) {`,
        `  part = 1; b = (index - ${BH}) / ${3 * H}; gate = (index - ${BH} - b * ${3 * H}) / ${H};`,
        `  j = index - ${BH} - b * ${3 * H} - gate * ${H};`,
        `}`,
        maskValue(d, g, d.uniform('step')),
        ...gateGradients(d, g, 'j', ''),
        d.float('outValue', valid(d, 'dn', '0.0')),
        `if (part == 0) {`,
        d.float('acc', 'dhc * zg + drh * rg'),
        `  if (m != 0.0) { ${d.loop('c', H, product)} }`,
        `  outValue = ${valid(d, 'acc', 'dhc')};`,
        `} else if (gate == 0) { outValue = ${valid(d, 'dz', '0.0')}; }`,
        `else if (gate == 1) { outValue = ${valid(d, 'dr', '0.0')}; }`,
      ].join('\n');
    },
  };
}

/**
 * r⊙h of every timestep, [T, B, H] time-major (0 at masked steps: their dn is 0, and a NaN
 * there must not reach dRn through 0·NaN).
 */
export function resetHiddenShader(g: SequenceGeometry): ShaderSpec {
  return maskedBlockShader(keyOf('ResetHidden', g), g, 4, false);
}
