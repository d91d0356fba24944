/**
 * The per-timestep products of the GPU kernels, as our own shaders, so that a timestep dispatches
 * no backend program. Through the backend's BatchMatMul each product cost more than itself: its
 * operand had to be a tensor of its own (a Slice of the previous state or of the step gradient: a
 * copy program on webgpu), and on webgl the packed matmul packs its unpacked operand and our
 * shaders unpack its packed output (2–3 programs around every product). Here each output element
 * is one dot product reading its operand in place, from the state or gradient that holds it.
 * At batch 1 a product is a matrix-vector product, which this computes with no wasted work.
 */
import type { ShaderDialect } from './dialect.js';
import { carriesOf, gatesOf, geometryKey, type SequenceGeometry, type ShaderSpec } from './shaders.js';

/** Statements adding Σ_{counter < count} a(counter)·w(counter) to the float `acc` (or `into`). */
export function dot(d: ShaderDialect, counter: string, count: number, a: string, w: string, into = 'acc'): string {
  return d.loop(counter, count, `${into} = ${into} + ${a} * ${w};`);
}

/**
 * h_{t−1}·R for one timestep, [B, G·H]: h read in place from block 0 of `prevState` (a step's state
 * S_{t−1}, or h0) at element `prevAt` (a uniform: where S_{t−1} starts in its tensor). With `inputSize` > 0 (a sequence of one step) also x·K, before it in the same
 * output: [x·K | h·R], [2, B, G·H]; the gate shader reads both sides from it (the GRU's n gate
 * needs the two sides apart, so they are not summed here).
 */
export function recurrentProductShader(g: SequenceGeometry, inputSize = 0): ShaderSpec {
  const H = g.hidden;
  const GH = gatesOf(g.kind) * H;
  const BGH = g.batch * GH;
  const withInput = inputSize > 0;
  return {
    key: `rnnProduct_${geometryKey(g)}_in${inputSize}`,
    variableNames: ['prevState', 'recurrentKernel', ...(withInput ? ['x', 'kernel'] : [])],
    outputSize: (withInput ? 2 : 1) * BGH,
    uniforms: ['prevAt'],
    body: (d) => {
      const recurrent = dot(d, 'k', H, `getPrevState(${d.uniform('prevAt')} + b * ${H} + k)`, `getRecurrentKernel(k * ${GH} + c)`);
      const lines = [
        d.int('side', withInput ? `index / ${BGH}` : '1'),
        d.int('rest', withInput ? `index - side * ${BGH}` : 'index'),
        d.int('b', `rest / ${GH}`),
        d.int('c', `rest - b * ${GH}`),
        d.float('acc', '0.0'),
      ];
      if (withInput) {
        const input = dot(d, 'k', inputSize, `getX(b * ${inputSize} + k)`, `getKernel(k * ${GH} + c)`);
        lines.push(`if (side == 0) { ${input} } else { ${recurrent} }`);
      } else {
        lines.push(recurrent);
      }
      lines.push(d.float('outValue', 'acc'));
      return lines.join('\n');
    },
  };
}

/**
 * dz·Rᵀ of one backward step, [B, H]: the recurrent side of dz read in place from the output of
 * stepGradShader ([carry gradient C×[B, H] | dz], the GRU's recurrent side second of its two),
 * which starts at element `stepGradAt` (a uniform) of its tensor.
 */
export function recurrentGradProductShader(g: SequenceGeometry): ShaderSpec {
  const H = g.hidden;
  const GH = gatesOf(g.kind) * H;
  const dzAt = carriesOf(g.kind) * g.batch * H + (g.kind === 'gru' ? g.batch * GH : 0);
  return {
    key: `rnnGradProduct_${geometryKey(g)}`,
    variableNames: ['stepGrad', 'recurrentKernel'],
    outputSize: g.batch * H,
    uniforms: ['stepGradAt'],
    body: (d) =>
      [
        d.int('b', `index / ${H}`),
        d.int('row', `index - b * ${H}`),
        d.float('acc', '0.0'),
        dot(d, 'c', GH, `getStepGrad(${d.uniform('stepGradAt')} + ${dzAt} + b * ${GH} + c)`, `getRecurrentKernel(row * ${GH} + c)`),
        d.float('outValue', 'acc'),
      ].join('\n'),
  };
}
