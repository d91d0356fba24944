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
  if (loop.pairTarget !== undefined) return pairSteppingCode(loop, loop.pairTarget, text, names, cells, cellName, typed);
  if (!loop.stacked) {
    return {
      before: `const ${cellName} = ${cells[0]};`,
      step: [`${semicolonFirst ? ';' : ''}(${carryOut(loop.c, loop.h)} = ${cellName}.step(${text(loop.input)}, ${carryIn(loop.h, loop.c)}).carry);`],
      after: `${cellName}.dispose();`,
    };
  }
  return stackedStepping(loop, text, names, cells, cellName, typed, (carries) => `[${loop.c}, ${loop.h}] = [${carries}.map((carry) => carry.c), ${carries}.map((carry) => carry.h)];`);
}

/** multiRNNCell's stacking: each layer's new h is the next layer's input; `assign` takes the carries' name. */
function stackedStepping(loop: SteppingLoop, text: (node: unknown) => string, names: PrimingNames, cells: string[], cellName: string, typed: boolean, assign: (carries: string) => string): SteppingCode {
  const input = names.fresh('lstmInput');
  const carries = names.fresh('lstmCarries');
  const bang = typed ? '!' : '';
  return {
    before: `const ${cellName} = [${cells.join(', ')}];`,
    step: [
      '{',
      `  let ${input} = ${text(loop.input)};`,
      `  const ${carries} = ${cellName}.map((cell, l) => {`,
      `    const { output, carry } = cell.step(${input}, ${carryIn(`${loop.h}[l]${bang}`, `${loop.c}[l]${bang}`)});`,
      `    ${input} = output;`,
      '    return carry;',
      '  });',
      `  ${assign(carries)}`,
      '}',
    ],
    after: `${cellName}.forEach((cell) => cell.dispose());`,
  };
}

/** `state = step(x, c, h)`: the same `[c', h']` pair (arrays per layer for a stack), from `cell.step`. */
function pairSteppingCode(loop: SteppingLoop, target: string, text: (node: unknown) => string, names: PrimingNames, cells: string[], cellName: string, typed: boolean): SteppingCode {
  const carry = names.fresh('lstmCarry');
  if (!loop.stacked) {
    return {
      before: `const ${cellName} = ${cells[0]};`,
      step: ['{', `  const { carry: ${carry} } = ${cellName}.step(${text(loop.input)}, ${carryIn(loop.h, loop.c)});`, `  ${target} = [${carry}.c, ${carry}.h];`, '}'],
      after: `${cellName}.dispose();`,
    };
  }
  return stackedStepping(loop, text, names, cells, cellName, typed, (carries) => `${target} = [${carries}.map((carry) => carry.c), ${carries}.map((carry) => carry.h)];`);
}
