/**
 * The shaders of the reset-before GRU (tf.layers, Keras reset_after=False; bias [3H]):
 *   z = σ(xKz + bz + hRz),  r = σ(xKr + br + hRr),  n = act(xKn + bn + (r⊙h)Rn),  h' = (1−z)⊙n + z⊙h
 * (r⊙h)·Rn needs r first, so every pass is split around that second product (a matmul through the
 * backend, as h·R is): forward, gates (z, r, r⊙h) then state; backward, dz and dn, then, after
 * d(r⊙h) = dn·Rnᵀ, dr and the carry gradient.
 *
 * Its step state S_t has the GRU's five blocks (shaders.ts), the last one r⊙h instead of
 * h·Rn + b1n:   h, z, r, n, r⊙h   so the output and previous-hidden shaders serve it unchanged.
 */
import type { ShaderDialect } from './dialect.js';
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
  splitBlockIndex,
  stepGradientHead,
  valid,
  wsIndex,
} from './shaders.js';

const keyOf = (name: string, g: SequenceGeometry) => `gruResetBefore${name}_${geometryKey(g)}`;

/** Block `blk` of the state step `prevStep` (a uniform) started from: S_prev, or [h0] at −1. */
function previousState(d: ShaderDialect, g: SequenceGeometry, blk: number): string {
  const prev = d.uniform('prevStep');
  return d.pick(
    `${prev} < 0`,
    `getInitState(${blk * g.batch * g.hidden} + b * ${g.hidden} + j)`,
    `getWorkspace(${wsIndex(g, `max(${prev}, 0)`, blk)})`,
  );
}

/** Pre-activation of gate `gateIndex` from the input side: x·K (projected) + b. */
function inputSide(d: ShaderDialect, g: SequenceGeometry, gateIndex: number): string {
  const H = g.hidden;
  return `getXProj((${d.uniform('step')} * ${g.batch} + b) * ${3 * H} + ${gateIndex * H} + j) + getBiasIn(${gateIndex * H} + j)`;
}

/**
 * Forward, first half of timestep `step`: [3, B, H] = z, r and r⊙h, from the projected input,
 * h·Rzr ([B, 2H], the z and r columns of R) and S_{t−1} (or [h0]).
 */
export function resetBeforeGateShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  return {
    key: keyOf('Gates', g),
    variableNames: ['xProj', 'hProj', 'biasIn', 'prevState'],
    outputSize: 3 * g.batch * H,
    uniforms: ['step', SEQ_LEN],
    body: (d) =>
      [
        splitBlockIndex(d, g),
        d.float('hp', `getPrevState(b * ${H} + j)`),
        d.float('zg', gate(g, `${inputSide(d, g, 0)} + getHProj(b * ${2 * H} + j)`)),
        d.float('rg', gate(g, `${inputSide(d, g, 1)} + getHProj(b * ${2 * H} + ${H} + j)`)),
        d.float('outValue', 'rg * hp'),
        `if (blk == 0) { outValue = zg; } else if (blk == 1) { outValue = rg; }`,
      ].join('\n'),
  };
}

/**
 * Forward, second half: S_t [5, B, H] from the gates, (r⊙h)·Rn ([B, H]), the projected input and
 * S_{t−1}; a masked step keeps the previous carry.
 */
export function resetBeforeStateShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  const bh = g.batch * H;
  return {
    key: keyOf('State', g),
    variableNames: ['xProj', 'gates', 'rhProj', 'biasIn', 'prevState', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: 5 * bh,
    uniforms: ['step', SEQ_LEN],
    body: (d) =>
      [
        splitBlockIndex(d, g),
        maskValue(d, g, d.uniform('step')),
        d.float('hp', `getPrevState(b * ${H} + j)`),
        d.float('zg', `getGates(b * ${H} + j)`),
        d.float('ng', activate(g.activation, `${inputSide(d, g, 2)} + getRhProj(b * ${H} + j)`)),
        d.float('outValue', `getGates(${2 * bh} + b * ${H} + j)`),
        `if (blk == 0) { outValue = ${valid(d, '(1.0 - zg) * ng + zg * hp', 'hp')}; }`,
        `else if (blk == 1) { outValue = zg; }`,
        `else if (blk == 2) { outValue = getGates(${bh} + b * ${H} + j); }`,
        `else if (blk == 3) { outValue = ng; }`,
      ].join('\n'),
  };
}

/**
 * Backward, first half of timestep `step`: [3, B, H] = dhc (the gradient of step t's h carry,
 * output[t] included), dz and dn (pre-activation; 0 at a masked step). It first finishes the carry
 * gradient flowing into step t from `nextStep` (the step handled just before): that step's partial
 * carry gradient (`prevGrad`, block 0 of its resetBeforeResetGradShader output) plus its
 * [dz, dr]·Rzrᵀ (`dhRec`), or the partial alone where nextStep was masked. On the first backward
 * step (nextStep = −1) `prevGrad` is dhT and `dhRec` is unread.
 */
export function resetBeforeStepGradShader(g: SequenceGeometry, hasDOutput: boolean): ShaderSpec {
  const H = g.hidden;
  const at = `b * ${H} + j`;
  return {
    key: `${keyOf('StepGrad', g)}_${hasDOutput ? 'dout' : 'nodout'}`,
    variableNames: ['workspace', 'initState', ...(hasDOutput ? ['dOutput'] : []), 'prevGrad', 'dhRec', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: 3 * g.batch * H,
    uniforms: ['step', 'nextStep', 'prevStep', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      const next = d.uniform('nextStep');
      return [
        splitBlockIndex(d, g),
        d.float('nm', g.hasMask ? `getValidMask(b * ${d.uniform(SEQ_LEN)} + max(${next}, 0))` : '1.0'),
        d.float('dhIn', `getPrevGrad(${at})`),
        `if (${next} >= 0) { dhIn = ${valid(d, `dhIn + getDhRec(${at})`, 'dhIn', 'nm')}; }`,
        ...stepGradientHead(d, g, hasDOutput, step, 'dhIn', '0.0'),
        d.float('zg', `getWorkspace(${wsIndex(g, step, 1)})`),
        d.float('ng', `getWorkspace(${wsIndex(g, step, 3)})`),
        d.float('hp', previousState(d, g, 0)),
        d.float('outValue', valid(d, `dhn * (1.0 - zg) * ${activationSlope(d, g.activation, 'ng')}`, '0.0')),
        `if (blk == 0) { outValue = dhc; }`,
        `else if (blk == 1) { outValue = ${valid(d, `dhn * (hp - ng) * ${gateSlope(d, g, 'zg')}`, '0.0')}; }`,
      ].join('\n');
    },
  };
}

/**
 * Backward, second half: from the first half (`gradA`) and d(r⊙h) = dn·Rnᵀ (`dRh`), flat
 *   [ partial carry gradient into step t [B, H] | dz, dr [B, 2H] | dn [B, H] ]
 * the partial being z⊙dh + r⊙d(r⊙h) (the carry gradient before [dz, dr]·Rzrᵀ), or dhc passed
 * through at a masked step. [dz, dr] rows are what the next matmul (·Rzrᵀ) reads.
 */
export function resetBeforeResetGradShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  const BH = g.batch * H;
  return {
    key: keyOf('ResetGrad', g),
    variableNames: ['gradA', 'dRh', 'workspace', 'initState', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: 4 * BH,
    uniforms: ['step', 'prevStep', SEQ_LEN],
    body: (d) => {
      const step = d.uniform('step');
      return [
        // part 0: partial carry gradient (b, j); 1: [dz, dr] (b, gate, j); 2: dn (b, j).
        d.int('part', '0'),
        d.int('gate', '0'),
        d.int('b', `index / ${H}`),
        d.int('j', `index - b * ${H}`),
        `if (index >= ${3 * BH}) {`,
        `  part = 2; b = (index - ${3 * BH}) / ${H}; j = index - ${3 * BH} - b * ${H};`,
        `} else if (index >= ${BH}) {`,
        `  part = 1; b = (index - ${BH}) / ${2 * H}; gate = (index - ${BH} - b * ${2 * H}) / ${H};`,
        `  j = index - ${BH} - b * ${2 * H} - gate * ${H};`,
        `}`,
        maskValue(d, g, step),
        d.float('dhc', `getGradA(b * ${H} + j)`),
        d.float('drh', `getDRh(b * ${H} + j)`),
        d.float('rg', `getWorkspace(${wsIndex(g, step, 2)})`),
        d.float('dr', `drh * ${previousState(d, g, 0)} * ${gateSlope(d, g, 'rg')}`),
        d.float('outValue', `getGradA(${2 * BH} + b * ${H} + j)`),
        `if (part == 0) { outValue = ${valid(d, `dhc * getWorkspace(${wsIndex(g, step, 1)}) + drh * rg`, 'dhc')}; }`,
        `else if (part == 1 && gate == 0) { outValue = getGradA(${BH} + b * ${H} + j); }`,
        `else if (part == 1) { outValue = ${valid(d, 'dr', '0.0')}; }`,
      ].join('\n');
    },
  };
}

/** dh0 [B, H]: the partial carry gradient of the first processed step plus its [dz, dr]·Rzrᵀ. */
export function resetBeforeInitialGradShader(g: SequenceGeometry): ShaderSpec {
  const at = `b * ${g.hidden} + j`;
  return {
    key: keyOf('InitialGrad', g),
    variableNames: ['partial', 'dhRec', ...(g.hasMask ? ['validMask'] : [])],
    outputSize: g.batch * g.hidden,
    uniforms: ['step', SEQ_LEN],
    body: (d) =>
      [
        splitBlockIndex(d, g),
        maskValue(d, g, d.uniform('step')),
        d.float('outValue', valid(d, `getPartial(${at}) + getDhRec(${at})`, `getPartial(${at})`)),
      ].join('\n'),
  };
}

/**
 * r⊙h of every timestep, [T, B, H] time-major (0 at masked steps: their dn is 0, and a NaN
 * there must not reach dRn through 0·NaN).
 */
export function resetHiddenShader(g: SequenceGeometry): ShaderSpec {
  return maskedBlockShader(keyOf('ResetHidden', g), g, 4, false);
}
