/**
 * A loop that steps `tf.basicLSTMCell` / `tf.multiRNNCell` among other work (sampling the next
 * input from the last output) keeps its loop: the cells are imported once before it
 * (`cellFromBasicLSTMCell`), the step statement becomes one fused `cell.step` per layer with
 * explicit `{ h, c }` carries assigned back in the code's `[c, h]` order, and the imported
 * weights are released after the loop.
 */
import type { SteppingLoop } from '../../analysis/tfjs-cells.js';
import { carryIn, carryOut, importedCells, type PrimingNames } from './priming.js';

export interface SteppingCode {
  /** Goes before the loop. */
  before: string;
  /** Replaces the step statement (lines, indented two spaces per level). */
  step: string[];
  /** Goes after the loop. */
  after: string;
}

export function steppingCode(loop: SteppingLoop, text: (node: unknown) => string, names: PrimingNames, cellName: string, typed: boolean, semicolonFirst: boolean): SteppingCode {
  const cells = importedCells(loop.layers, text, names);
  if (!loop.stacked) {
    return {
      before: `const ${cellName} = ${cells[0]};`,
      step: [`${semicolonFirst ? ';' : ''}(${carryOut(loop.c, loop.h)} = ${cellName}.step(${text(loop.input)}, ${carryIn(loop.h, loop.c)}).carry);`],
      after: `${cellName}.dispose();`,
    };
  }
  const input = names.fresh('lstmInput');
  const carries = names.fresh('lstmCarries');
  const bang = typed ? '!' : '';
  return {
    before: `const ${cellName} = [${cells.join(', ')}];`,
    // multiRNNCell's stacking: each layer's new h is the next layer's input.
    step: [
      '{',
      `  let ${input} = ${text(loop.input)};`,
      `  const ${carries} = ${cellName}.map((cell, l) => {`,
      `    const { output, carry } = cell.step(${input}, ${carryIn(`${loop.h}[l]${bang}`, `${loop.c}[l]${bang}`)});`,
      `    ${input} = output;`,
      '    return carry;',
      '  });',
      `  [${loop.c}, ${loop.h}] = [${carries}.map((carry) => carry.c), ${carries}.map((carry) => carry.h)];`,
      '}',
    ],
    after: `${cellName}.forEach((cell) => cell.dispose());`,
  };
}
