/**
 * The rewrite of tf.layers per-step code: a `stateful: true` layer's state becomes an explicit
 * carry declared with the layer (same lifetime, same scope), stepped by a function declared
 * beside it that continues from the carry and leaves the new one there, on the layer imported
 * from the tf.layers layer's weights (`fromLayersLayer`: tf.layers' hard-sigmoid gates and
 * reset-before GRU carried over) at that step and released after it: an import shares the weights'
 * data (no copy, no initialiser run), so each step runs on the weights the layer has then
 * (setWeights, loading, training) and nothing keeps replaced weights alive. Each `predict` /
 * `apply` becomes a call of that function (a model's other
 * layers are applied in order around it), each `resetStates()` a call of the reset function beside
 * it (a function: TypeScript would narrow the variables at an inline reset). A tf.layers cell
 * stepped by hand has no state to keep: `cell.call([x, h])` becomes one fused step of the cell
 * imported by `cellFromLayersLayer` at that call, released after it.
 */
import type { LayersKind, StatefulStepping } from '../../analysis/tfjs-stateful-stepping.js';
import type { LayersCellStepping } from '../../analysis/tfjs-layers-cell-stepping.js';

export interface LayersNames {
  /** A tfjs-core (or union) namespace: tidy, keep, dispose. */
  tf: string;
  fromLayersLayer: string;
  cellFromLayersLayer: string;
  fresh(base: string): string;
}

/** Text inserted after a statement, and calls replaced. */
export interface LayersEdits {
  /** Lines to insert after a statement (by the statement's node). */
  after: { statement: unknown; lines: string[] }[];
  /** Nodes whose text is replaced (calls, reset statements). */
  replace: { node: unknown; text: string }[];
}

const SEQUENCE_CLASS: Record<LayersKind, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };
const CELL_CLASS: Record<LayersKind, string> = { lstm: 'LSTMCell', gru: 'GRUCell', rnn: 'RNNCell' };
const CARRY_TYPE: Record<LayersKind, string> = { lstm: 'LSTMCarry', gru: 'HiddenCarry', rnn: 'HiddenCarry' };

/** The runtime types the typed output names (imported as types). */
export const statefulTypes = (stepping: StatefulStepping): string[] => [SEQUENCE_CLASS[stepping.kind], CARRY_TYPE[stepping.kind]];
export const cellTypes = (stepping: LayersCellStepping): string[] => [CELL_CLASS[stepping.kind]];

/**
 * A name for a binding of generated code (a parameter, a local) that shadows none of the outer
 * names the code reads: the user's layer may well be called `x`, `h` or `layer`.
 */
function localName(base: string, outer: readonly string[]): string {
  let name = base;
  for (let i = 2; outer.includes(name); i++) name = `${base}${i}`;
  return name;
}

/** `key` bound to `local` in a destructuring pattern or an object literal. */
const bound = (key: string, local: string): string => (key === local ? key : `${key}: ${local}`);

export function statefulEdits(stepping: StatefulStepping, text: (node: unknown) => string, names: LayersNames, typed: boolean): LayersEdits {
  const { tf } = names;
  const layer = stepping.layer.name;
  const carry = names.fresh(`${layer}Carry`);
  const imported = names.fresh(`${layer}Imported`);
  const step = names.fresh(`${layer}Step`);
  const reset = names.fresh(`${layer}Reset`);
  const t = (annotation: string): string => (typed ? annotation : '');
  const outer = [layer, tf, names.fromLayersLayer, carry, imported];
  const [x, output, newCarry] = ['x', 'output', 'carry'].map((base) => localName(base, outer));
  const keep = (key: string): string => `${key}: ${tf}.keep(${newCarry}.${key}.clone())`;
  const kept = stepping.kind === 'lstm' ? `{ ${keep('h')}, ${keep('c')} }` : `{ ${keep('h')} }`;
  const lines = [
    `// rnn-migrate: the state of the stateful \`${layer}\`, explicit (undefined: zeros, as after resetStates()),`,
    '// stepped by the layer imported from its weights at each step (sharing their data: nothing copied).',
    `let ${carry}${t(`: ${CARRY_TYPE[stepping.kind]} | undefined`)};`,
    `const ${step} = (${x}${t(`: ${tf}.Tensor`)})${t(`: ${tf}.Tensor`)} => ${tf}.tidy(() => {`,
    // A layer stepped directly was built by its first apply; the import needs its weights.
    ...(stepping.steppedDirectly ? ['  if (!' + layer + '.built) {', `    ${layer}.build(${x}.shape);`, `    ${layer}.built = true;`, '  }'] : []),
    `  const ${imported} = ${names.fromLayersLayer}(${layer})${t(` as ${SEQUENCE_CLASS[stepping.kind]}`)};`,
    '  try {',
    `    const { ${bound('output', output)}, ${bound('carry', newCarry)} } = ${imported}.apply(${x}, ${carry});`,
    `    ${tf}.dispose(${carry});`,
    // Clones: the output may be the carry's h, and the caller may dispose the output.
    `    ${carry} = ${kept};`,
    `    return ${output};`,
    '  } finally {',
    `    ${imported}.dispose();`,
    '  }',
    '});',
    `const ${reset} = ()${t(': void')} => {`,
    `  ${tf}.dispose(${carry});`,
    `  ${carry} = undefined;`,
    '};',
  ];
  const edits: LayersEdits = { after: [{ statement: stepping.layer.statement.node, lines }], replace: [] };
  const modelSteps = new Map<unknown, string>();
  for (const model of stepping.models) {
    const modelStep = names.fresh(`${model.name}Step`);
    modelSteps.set(model.declarator.node, modelStep);
    const [mx, y, other] = ['x', 'y', 'layer'].map((base) => localName(base, [model.name, layer, step, tf]));
    edits.after.push({
      statement: model.statement.node,
      lines: [
        `// rnn-migrate: \`${model.name}.predict\` with \`${layer}\` stepped from its explicit state, the other layers applied as before.`,
        `const ${modelStep} = (${mx}${t(`: ${tf}.Tensor`)})${t(`: ${tf}.Tensor`)} =>`,
        `  ${tf}.tidy(() => ${model.name}.layers.reduce((${y}, ${other}) => (${other} === ${layer} ? ${step}(${y}) : ${typed ? `(${other}.apply(${y}) as ${tf}.Tensor)` : `${other}.apply(${y})`}), ${mx}));`,
      ],
    });
  }
  for (const { call, through } of stepping.steps) {
    const callee = through === stepping.layer ? step : modelSteps.get(through.declarator.node)!;
    edits.replace.push({ node: call.node, text: `${callee}(${text((call.node as any).arguments[0])})` });
  }
  for (const resetStatement of stepping.resets) edits.replace.push({ node: (resetStatement.node as any).expression, text: `${reset}()` });
  return edits;
}

export function layersCellEdits(stepping: LayersCellStepping, text: (node: unknown) => string, names: LayersNames, typed: boolean): LayersEdits {
  const { tf } = names;
  const cell = stepping.cell.name;
  const step = names.fresh(`${cell}Step`);
  const t = (annotation: string): string => (typed ? annotation : '');
  const as2d = (name: string): string => (typed ? `${name} as ${tf}.Tensor2D` : name);
  const outer = [cell, tf, names.cellFromLayersLayer];
  const [x, h, c, imported, output, carry] = ['x', 'h', 'c', 'imported', 'output', 'carry'].map((base) => localName(base, outer));
  const entry = (key: string, local: string): string => (typed ? `${key}: ${as2d(local)}` : bound(key, local));
  const lstm = stepping.kind === 'lstm';
  const lines = [
    `// rnn-migrate: \`${cell}.call([x, h${lstm ? ', c' : ''}])\` as one fused step of the cell imported from \`${cell}\`'s weights.`,
    `const ${step} = ([${x}, ${h}${lstm ? `, ${c}` : ''}]${t(`: ${tf}.Tensor[]`)})${t(`: ${tf}.Tensor[]`)} => {`,
    `  const ${imported} = ${names.cellFromLayersLayer}(${cell})${t(` as ${CELL_CLASS[stepping.kind]}`)};`,
    '  try {',
    `    const { ${bound('output', output)}, ${bound('carry', carry)} } = ${imported}.step(${as2d(x)}, { ${entry('h', h)}${lstm ? `, ${entry('c', c)}` : ''} });`,
    // tf.layers' cells return [output, ...new states]: LSTM [h, h, c], GRU and SimpleRNN [h, h].
    `    return [${output}, ${carry}.h${lstm ? `, ${carry}.c` : ''}];`,
    '  } finally {',
    `    ${imported}.dispose();`,
    '  }',
    '};',
  ];
  return {
    after: [{ statement: stepping.cell.statement.node, lines }],
    replace: stepping.calls.map((call) => ({ node: call.node, text: `${step}(${text((call.node as any).arguments[0])})` })),
  };
}
