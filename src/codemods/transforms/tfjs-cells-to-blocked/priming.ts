/**
 * The blocked call that replaces a priming loop over `tf.basicLSTMCell` / `tf.multiRNNCell`:
 * each layer's weights come across with `cellFromBasicLSTMCell` (forget bias folded into the f
 * bias), the loop's steps are stacked into one [batch, time, in] tensor, and the carries go in
 * and out explicitly, assigned back in the loop's own `[c, h]` order. A reversed loop becomes
 * `reverse: true`, which gives the same final carry. Everything the call creates is released
 * (the layers' weight copies, the stacked input, the inner layers' sequences), so the migrated
 * code holds no more tensors than the loop did.
 */
import type { BasicLstmWeights, PrimingLoop } from '../../analysis/tfjs-cells.js';

export interface PrimingNames {
  tf: string;
  Recurrence: string;
  cellFromBasicLSTMCell: string;
  fresh(base: string): string;
}

const property = (key: 'h' | 'c', name: string): string => (name === key ? key : `${key}: ${name}`);

/** `{ h, c }`, shorthand where the names allow. */
export const carryIn = (h: string, c: string): string => `{ ${property('h', h)}, ${property('c', c)} }`;

/** `{ c, h }` as a destructuring target: c first, as the code assigned `[c, h]`. */
export const carryOut = (c: string, h: string): string => `{ ${property('c', c)}, ${property('h', h)} }`;

/** One `cellFromBasicLSTMCell(kernel, bias, forgetBias)` per layer, the weights as written. */
export const importedCells = (layers: readonly BasicLstmWeights[], text: (node: unknown) => string, names: PrimingNames): string[] =>
  layers.map((layer) => `${names.cellFromBasicLSTMCell}(${text(layer.kernel)}, ${text(layer.bias)}, ${text(layer.forgetBias)})`);

/** The statements (one per line, to be indented like the loop) that replace the loop. */
export function primingCall(loop: PrimingLoop, text: (node: unknown) => string, names: PrimingNames, typed: boolean): string[] {
  const { tf, Recurrence } = names;
  const steps = names.fresh('lstmSteps');
  const input = names.fresh('lstmInput');
  const as3d = typed ? ` as ${tf}.Tensor3D` : '';
  const cells = importedCells(loop.layers, text, names);
  const reverse = loop.reverse ? ', reverse: true' : '';
  const guarded = (body: string[]): string[] => [
    '{',
    `  const ${steps} = ${loop.iterable ? `Array.from(${text(loop.steps)})` : text(loop.steps)};`,
    // An empty sequence leaves the carries as they are, as the loop did (tf.stack needs a tensor).
    `  if (${steps}.length > 0) {`,
    ...body.map((line) => `    ${line}`),
    '  }',
    '}',
  ];
  if (!loop.stacked) {
    const layer = names.fresh('lstmLayer');
    const carry = names.fresh('lstmCarry');
    return guarded([
      `const ${layer} = new ${Recurrence}(${cells[0]}, { returnSequences: false${reverse} });`,
      `const ${input} = ${tf}.stack(${steps}, 1)${as3d};`,
      `const { carry: ${carry} } = ${layer}.apply(${input}, ${carryIn(loop.h, loop.c)});`,
      `${input}.dispose();`,
      `${layer}.dispose();`,
      `[${loop.c}, ${loop.h}] = [${carry}.c, ${carry}.h];`,
    ]);
  }
  const layers = names.fresh('lstmLayers');
  const sequence = names.fresh('lstmSequence');
  const carries = names.fresh('lstmCarries');
  const bang = typed ? '!' : '';
  return guarded([
    // Every layer but the last hands its whole output sequence to the next (multiRNNCell's stacking).
    `const ${layers} = [${cells.join(', ')}].map((cell, l, all) => new ${Recurrence}(cell, { returnSequences: l < all.length - 1${reverse} }));`,
    `let ${sequence} = ${tf}.stack(${steps}, 1)${as3d};`,
    `const ${carries} = ${layers}.map((layer, l) => {`,
    `  const { output, carry } = layer.apply(${sequence}, { h: ${loop.h}[l]${bang}, c: ${loop.c}[l]${bang} });`,
    `  ${sequence}.dispose();`,
    `  ${sequence} = output${as3d};`,
    '  return carry;',
    '});', // the last output is the last layer's h (returnSequences: false): kept, it is the carry
    `${layers}.forEach((layer) => layer.dispose());`,
    `[${loop.c}, ${loop.h}] = [${carries}.map((carry) => carry.c), ${carries}.map((carry) => carry.h)];`,
  ]);
}
