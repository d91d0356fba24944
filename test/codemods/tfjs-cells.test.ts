/**
 * The tfjs per-step analysis as tables of code and the findings expected (rule id or manual
 * reason, in order), in the style of typescript-eslint's rule tests: the bindings it follows,
 * the sites it reports, and ordinary code it must leave alone.
 */
import { describe, expect, it } from 'vitest';
import { analyzeSource } from 'rnn-migrate/codemods';

const kinds = (source: string, file = 'case.ts'): string[] =>
  analyzeSource(source, file).map((finding) => finding.reason ?? finding.ruleId);

const priming = (call: string): string => `for (const x of xs) {\n  [c, h] = ${call};\n}\n`;

describe('bindings of tf.basicLSTMCell and tf.multiRNNCell', () => {
  const cases: Array<[string, string]> = [
    ['namespace import of tfjs', `import * as tf from '@tensorflow/tfjs';\n${priming('tf.basicLSTMCell(1, k, b, x, c, h)')}`],
    ['namespace import of tfjs-node-gpu', `import * as tfn from '@tensorflow/tfjs-node-gpu';\n${priming('tfn.basicLSTMCell(1, k, b, x, c, h)')}`],
    ['default-style require', `const tf = require('@tensorflow/tfjs-core');\n${priming('tf.basicLSTMCell(1, k, b, x, c, h)')}`],
    ['named import with an alias', `import { basicLSTMCell as step } from '@tensorflow/tfjs-core';\n${priming('step(1, k, b, x, c, h)')}`],
    ['destructured require', `const { basicLSTMCell } = require('@tensorflow/tfjs');\n${priming('basicLSTMCell(1, k, b, x, c, h)')}`],
    ['const alias of the op', `import * as tf from '@tensorflow/tfjs';\nconst lstm = tf.basicLSTMCell;\n${priming('lstm(1, k, b, x, c, h)')}`],
    ['a closure in a variable', `import * as tf from '@tensorflow/tfjs';\nconst cell = (d, c, h) => tf.basicLSTMCell(1, k, b, d, c, h);\n${priming('cell(x, c, h)')}`],
    ['a function declaration', `import * as tf from '@tensorflow/tfjs';\nfunction cell(d, c, h) { return tf.basicLSTMCell(1, k, b, d, c, h); }\n${priming('cell(x, c, h)')}`],
    ['an array of closures stacked', `import * as tf from '@tensorflow/tfjs';\nconst cells = [(d, c, h) => tf.basicLSTMCell(1, k, b, d, c, h)];\n${priming('tf.multiRNNCell(cells, x, c, h)')}`],
  ];
  // A cell closure is a site of its own (reported at its tf.basicLSTMCell call), with its loop's rule.
  const closureCases = new Set(['a closure in a variable', 'a function declaration', 'an array of closures stacked']);
  for (const [name, source] of cases) {
    it(name, () => expect(kinds(source, 'case.js')).toEqual(closureCases.has(name) ? ['tfjs-cell-loop', 'tfjs-cell-loop'] : ['tfjs-cell-loop']));
  }

  it('a class field closure stepped from a method', () => {
    const source = `import * as tf from '@tensorflow/tfjs';
class M {
  cell = (d, c, h) => tf.basicLSTMCell(this.fb, this.k, this.b, d, c, h);
  run(xs, c, h) {
    for (const x of xs) {
      [c, h] = this.cell(x, c, h);
    }
    return h;
  }
}`;
    expect(kinds(source, 'case.js')).toEqual(['tfjs-cell-loop', 'tfjs-cell-loop']);
  });
});

describe('what stays manual, and why', () => {
  const cases: Array<[string, string, string[]]> = [
    ['a single step outside any loop', 'const [c2, h2] = tf.basicLSTMCell(1, k, b, x, c, h);', ['lone-cell-step']],
    ['a data-dependent early exit around a conditional step', 'for (const x of xs) {\n  if (ready(x)) [c, h] = tf.basicLSTMCell(1, k, b, x, c, h);\n  if (stop(h)) break;\n}', ['early-exit']],
    ['state in an object', 'for (const x of xs) {\n  [state.c, state.h] = tf.basicLSTMCell(1, k, b, x, state.c, state.h);\n}', ['shared-mutable-state']],
    ['a trainable forget bias', 'const fb = tf.variable(tf.scalar(1));\nfor (const x of xs) {\n  [c, h] = tf.basicLSTMCell(fb, k, b, x, c, h);\n}', ['trainable-forget-bias']],
    ['[h, c] assigned from a call returning [c, h]', 'for (const x of xs) {\n  [h, c] = tf.basicLSTMCell(1, k, b, x, c, h);\n}', ['cell-argument-order']],
    ['a closure passing its parameters out of order', 'const cell = (d, c, h) => tf.basicLSTMCell(1, k, b, d, h, c);\nfor (const x of xs) {\n  [c, h] = cell(x, c, h);\n}', ['cell-argument-order', 'cell-argument-order']],
    ['cells pushed at run time', 'const cells = [];\nfor (const v of vars) cells.push((d, c, h) => tf.basicLSTMCell(1, v.k, v.b, d, c, h));\nfor (const x of xs) {\n  [c, h] = tf.multiRNNCell(cells, x, c, h);\n}', ['opaque-cells', 'opaque-cells']],
    ['a state-pair closure stepped under an if', 'const lstm = (d, state) => tf.basicLSTMCell(1, k, b, d, state[0], state[1]);\nfor (const x of xs) {\n  if (x) state = lstm(x, state);\n  outputs.push(state[1]);\n}', ['state-pair-cell', 'state-pair-cell']],
    ['a state-pair closure in a tf.multiRNNCell stack', 'const cells = [(d, state) => tf.basicLSTMCell(1, k, b, d, state[0], state[1])];\nfor (const x of xs) {\n  [c, h] = tf.multiRNNCell(cells, x, c, h);\n}', ['state-pair-cell', 'state-pair-cell']],
    ['a state-pair closure whose result goes elsewhere', 'const lstm = (d, state) => tf.basicLSTMCell(1, k, b, d, state[0], state[1]);\nfor (const x of xs) {\n  next = lstm(x, state);\n  state = next;\n}', ['state-pair-cell', 'state-pair-cell']],
    ['a tf.layers decoder model stepped with its states fed back', 'for (let i = 0; i < n; i++) {\n  const out = decoder.predict([x].concat(states));\n  const h = out[1];\n  const c = out[2];\n  x = sample(out[0]);\n  states = [h, c];\n}', ['model-state-loop']],
    ['the same, destructured, with the states spread', 'while (going) {\n  const [y, h, c] = decoder.predict([x, ...states]);\n  x = sample(y);\n  states = [h, c];\n}', ['model-state-loop']],
    ['the same, with outputs.slice(1)', 'for (const x of xs) {\n  const outputs = decoder.apply([x, ...states]);\n  ys.push(outputs[0]);\n  states = outputs.slice(1);\n}', ['model-state-loop']],
    ['a sampling loop that reassigns the kernel it steps', 'for (let i = 0; i < n; i++) {\n  [c, h] = tf.basicLSTMCell(1, kernel, b, x, c, h);\n  kernel = decay(kernel);\n  x = next(h);\n}', ['sampling-loop']],
    ['a sampling loop that reassigns a property the step reads as its bias', 'for (let i = 0; i < n; i++) {\n  [c, h] = tf.basicLSTMCell(1, w.kernel, w.bias, x, c, h);\n  w.bias = other;\n  x = next(h);\n}', ['sampling-loop']],
    ['a closure whose kernel is a parameter of the function that made it', 'let cell;\nfunction load(k) {\n  cell = (d, c, h) => tf.basicLSTMCell(1, k, b, d, c, h);\n}\nfor (const x of xs) {\n  [c, h] = cell(x, c, h);\n}', ['opaque-cells', 'opaque-cells']],
    ['a sampling loop whose step sits under an if', 'for (let i = 0; i < n; i++) {\n  if (i > 0) [c, h] = tf.basicLSTMCell(1, k, b, x, c, h);\n  x = next(h);\n}', ['sampling-loop']],
    ['a tf.layers cell in a class field stepped by hand', 'class T {\n  cell = tf.layers.gruCell({ units: 4 });\n  step(x, h) { return this.cell.call([x, h], {}); }\n}', ['layers-cell-step']],
    ['a tf.layers cell called with its inputs in a variable', 'const cell = tf.layers.gruCell({ units: 4 });\nfor (const x of xs) h = cell.call(inputs, {})[0];', ['layers-cell-step']],
    ['a tf.layers cell called in training (dropout)', 'const cell = tf.layers.gruCell({ units: 4, dropout: 0.2 });\nfor (const x of xs) h = cell.call([x, h], { training: true })[0];', ['layers-cell-step']],
    ['a stateful layer handed to a function', "const lstm = tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [1, 1, 2] });\nfeed(lstm, frames);", ['stateful-layer-escapes']],
    ['a stateful model trained with fit', "const lstm = tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [1, 1, 2] });\nconst m = tf.sequential();\nm.add(lstm);\nm.fit(xs, ys);\nfor (const f of frames) m.predict(f);", ['stateful-layer-escapes', 'stateful-layer-escapes']],
    ['an exported stateful layer', "export const lstm = tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [1, 1, 2] });\nfor (const f of frames) lstm.apply(f);", ['stateful-layer-escapes', 'stateful-layer-escapes']],
    ['a stateful layer whose options hide returnState', "const lstm = tf.layers.lstm({ ...options, stateful: true });\nfor (const f of frames) lstm.apply(f);", ['stateful-layer', 'stateful-layer']],
    ['two stateful layers in one model', "const a = tf.layers.lstm({ units: 4, stateful: true, returnSequences: true, batchInputShape: [1, 1, 2] });\nconst b = tf.layers.gru({ units: 4, stateful: true });\nconst m = tf.sequential({ layers: [a, b] });\nfor (const f of frames) m.predict(f);", ['stateful-layer', 'stateful-layer', 'stateful-layer']],
    ['a stateful layer, its loop and its reset', "const m = tf.sequential({ layers: [tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [1, 1, 2] })] });\nfor (const f of frames) m.predict(f);\nm.resetStates();", ['stateful-layer', 'stateful-layer', 'stateful-layer']],
  ];
  for (const [name, body, expected] of cases) {
    it(name, () => expect(kinds(`import * as tf from '@tensorflow/tfjs';\n${body}`, 'case.js')).toEqual(expected));
  }

  it('a step whose [c, h] goes whole into one variable, and a state-pair closure stepped as state = lstm(x, state), move to cell.step', () => {
    const pair = "import * as tf from '@tensorflow/tfjs';\nfor (let i = 0; i < n; i++) {\n  x = tf.tensor2d([strokes[i]]);\n  newState = tf.basicLSTMCell(1, k, b, x, c, h);\n  c = newState[0];\n  h = newState[1];\n}";
    expect(kinds(pair, 'case.js')).toEqual(['tfjs-cell-step-loop']);
    const statePair = "import * as tf from '@tensorflow/tfjs';\nconst lstm = (d, state) => tf.basicLSTMCell(1, k, b, d, state[0], state[1]);\nfor (const x of xs) {\n  state = lstm(x, state);\n  outputs.push(state[1]);\n}";
    expect(kinds(statePair, 'case.js')).toEqual(['tfjs-cell-step-loop', 'tfjs-cell-step-loop']);
  });

  it('a sampling loop with its step as a statement moves to cell.step', () => {
    const source = "import * as tf from '@tensorflow/tfjs';\nfor (let i = 0; i < n; i++) {\n  [c, h] = tf.basicLSTMCell(1, k, b, x, c, h);\n  x = next(h);\n}";
    expect(kinds(source, 'case.js')).toEqual(['tfjs-cell-step-loop']);
  });

  it('a step in place survives a break, return or throw (each step stays a step; the cells are released in a finally)', () => {
    for (const exit of ['break', 'continue', 'return h', "throw new Error('eos')"]) {
      const source = `import * as tf from '@tensorflow/tfjs';\nfunction f() {\n  for (const x of xs) {\n    [c, h] = tf.basicLSTMCell(1, k, b, x, c, h);\n    if (stop(h)) ${exit};\n  }\n}`;
      expect(kinds(source, 'case.js')).toEqual(['tfjs-cell-step-loop']);
    }
  });

  it('tf.layers state and cells the rewrite takes: the layer, each loop or statement stepping it, each reset; each cell.call', () => {
    const stateful = "const lstm = tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [1, 1, 2] });\nconst m = tf.sequential();\nm.add(lstm);\nm.add(tf.layers.dense({ units: 1 }));\nfor (const f of frames) {\n  if (done(m.predict(f))) break;\n}\nconst y = m.apply(last);\nm.resetStates();";
    expect(kinds(`import * as tf from '@tensorflow/tfjs';\n${stateful}`, 'case.js')).toEqual(Array(4).fill('tfjs-stateful-layer'));
    const cell = 'const cell = tf.layers.lstmCell({ units: 4 });\nfor (const x of xs) [, h, c] = cell.call([x, h, c], {});';
    expect(kinds(`import * as tf from '@tensorflow/tfjs';\n${cell}`, 'case.js')).toEqual(['tfjs-layers-cell-step']);
  });

  it('rnn-migrate-ignore on a stateful layer or a cell.call loop leaves it whole and unreported', () => {
    const layer = "import * as tf from '@tensorflow/tfjs';\n// rnn-migrate-ignore\nconst lstm = tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [1, 1, 2] });\nfor (const f of frames) lstm.apply(f);\nlstm.resetStates();";
    expect(kinds(layer, 'case.js')).toEqual([]);
    const cell = "import * as tf from '@tensorflow/tfjs';\nconst cell = tf.layers.gruCell({ units: 4 });\n// rnn-migrate-ignore\nfor (const x of xs) h = cell.call([x, h], {})[0];\nfor (const x of ys) h = cell.call([x, h], {})[0];";
    expect(kinds(cell, 'case.js')).toEqual(['tfjs-layers-cell-step']);
  });

  it('a directly stepped stateful layer with initial weights stays manual (tf.layers sets them on its first apply)', () => {
    const source = "import * as tf from '@tensorflow/tfjs';\nconst lstm = tf.layers.lstm({ units: 4, stateful: true, weights, batchInputShape: [1, 1, 2] });\nfor (const f of frames) lstm.apply(f);";
    expect(kinds(source, 'case.js')).toEqual(['stateful-layer', 'stateful-layer']);
  });

  it('rnn-migrate-ignore silences a site', () => {
    const source = `import * as tf from '@tensorflow/tfjs';\n// rnn-migrate-ignore\n${priming('tf.basicLSTMCell(1, k, b, x, c, h)')}`;
    expect(kinds(source, 'case.js')).toEqual([]);
  });
});

describe('ordinary code is left alone', () => {
  const cases: Array<[string, string]> = [
    ['a non-stateful tf.layers model predicted in a loop', "import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential({ layers: [tf.layers.lstm({ units: 4, inputShape: [3, 2] })] });\nfor (const b of batches) m.predict(b);"],
    ['stateful: true outside tf.layers', "import * as tf from '@tensorflow/tfjs';\nconst options = { stateful: true };\nfor (const b of batches) model.predict(b);\nmodel.resetStates();"],
    ['a basicLSTMCell from another module', "import { basicLSTMCell } from './rnn';\nfor (const x of xs) [c, h] = basicLSTMCell(1, k, b, x, c, h);"],
    ['a namespace of another module', "import * as tf from './my-tf';\nfor (const x of xs) [c, h] = tf.basicLSTMCell(1, k, b, x, c, h);"],
    ['a local that shadows nothing tfjs', "import * as tf from '@tensorflow/tfjs';\nconst cell = { call: (xs) => xs };\nfor (const x of xs) cell.call([x, h]);"],
    ['a type-only import', "import type * as tf from '@tensorflow/tfjs';\nfor (const x of xs) [c, h] = tf.basicLSTMCell(1, k, b, x, c, h);"],
    ['a classifier predicted per item in a loop', "import * as tf from '@tensorflow/tfjs';\nconst labels = [];\nfor (const image of images) {\n  const probs = classifier.predict(image);\n  labels.push(probs.argMax(-1));\n}"],
    ['a non-recurrent model iterated on its own output', "import * as tf from '@tensorflow/tfjs';\nlet x = x0;\nfor (let i = 0; i < n; i++) x = model.predict(x);"],
    ['a non-recurrent model fed a value sampled from its output', "import * as tf from '@tensorflow/tfjs';\nfor (let i = 0; i < n; i++) {\n  const out = model.predict(x);\n  x = tf.oneHot(out.argMax(-1), 8);\n}"],
    ['a two-output model whose second output is collected, not fed back', "import * as tf from '@tensorflow/tfjs';\nfor (const x of xs) {\n  const [y, aux] = model.predict(x);\n  ys.push(y);\n  auxes.push(aux);\n}"],
    ['states fed back to a predict in a file without tfjs', "for (const x of xs) {\n  const [y, h, c] = decoder.predict([x, ...states]);\n  states = [h, c];\n}"],
  ];
  for (const [name, source] of cases) it(name, () => expect(kinds(source)).toEqual([]));
});

describe('stacks written inline', () => {
  it('tf.multiRNNCell([lstm1, lstm2], …) over named closures is a known stack; an unknown element is not', () => {
    const closures = "const lstm1 = (d, c, h) => tf.basicLSTMCell(1, k1, b1, d, c, h);\nconst lstm2 = (d, c, h) => tf.basicLSTMCell(1, k2, b2, d, c, h);\n";
    expect(kinds(`import * as tf from '@tensorflow/tfjs';\n${closures}${priming('tf.multiRNNCell([lstm1, lstm2], x, c, h)')}`, 'case.js')).toEqual(['tfjs-cell-loop', 'tfjs-cell-loop', 'tfjs-cell-loop']);
    expect(kinds(`import * as tf from '@tensorflow/tfjs';\n${closures}${priming('tf.multiRNNCell([lstm1, other], x, c, h)')}`, 'case.js')).toEqual(['opaque-cells', 'opaque-cells']); // lstm2 is stepped nowhere
  });
});

describe('a step outside any loop: lone-cell-step where any rewrite could take it, else the reason it could not', () => {
  const cases: Array<[string, string, string[]]> = [
    ['its state read from an object (the step only reads it)', '[state.c, state.h] = tf.basicLSTMCell(1, k, b, x, state.c, state.h);', ['lone-cell-step']],
    ['a stack of named closures stepped in a callback', 'const l1 = (d, c, h) => tf.basicLSTMCell(1, k1, b1, d, c, h);\nconst l2 = (d, c, h) => tf.basicLSTMCell(1, k2, b2, d, c, h);\nsource.on((x) => {\n  [c, h] = tf.multiRNNCell([l1, l2], x, c, h);\n});', ['lone-cell-step', 'lone-cell-step', 'lone-cell-step']],
    ['class-field closures stepped from a method', 'class G {\n  cells = [(d, c, h) => tf.basicLSTMCell(this.fb, this.k, this.b, d, c, h)];\n  next(x) { return tf.multiRNNCell(this.cells, x, this.state.c, this.state.h); }\n}', ['lone-cell-step', 'lone-cell-step']],
    ['cells pushed at run time (piano_genie)', 'const cells = [];\nfor (const v of vars) cells.push((d, c, h) => tf.basicLSTMCell(1, v.k, v.b, d, c, h));\nconst [c2, h2] = tf.multiRNNCell(cells, x, c, h);', ['opaque-cells', 'opaque-cells']],
    ['cells built by a map', 'const cells = vars.map((v) => (d, c, h) => tf.basicLSTMCell(1, v.k, v.b, d, c, h));\nconst [c2, h2] = tf.multiRNNCell(cells, x, c, h);', ['opaque-cells', 'opaque-cells']],
    ['a closure reading weights the step cannot see', 'let cell;\nfunction load(k) {\n  cell = (d, c, h) => tf.basicLSTMCell(1, k, b, d, c, h);\n}\nconst [c2, h2] = cell(x, c, h);', ['opaque-cells', 'opaque-cells']],
    ['a trainable forget bias', 'const fb = tf.variable(tf.scalar(1));\nconst [c2, h2] = tf.basicLSTMCell(fb, k, b, x, c, h);', ['trainable-forget-bias']],
    ['a closure passing its parameters out of order', 'const cell = (d, c, h) => tf.basicLSTMCell(1, k, b, d, h, c);\nconst [c2, h2] = cell(x, c, h);', ['cell-argument-order', 'cell-argument-order']],
    ['a closure of another shape', 'const cell = (d, c, h) => tf.basicLSTMCell(1, k, b, d, c, tf.tanh(h));\nconst [c2, h2] = cell(x, c, h);', ['lone-cell-step', 'lone-cell-step']],
  ];
  for (const [name, source, expected] of cases) {
    it(name, () => expect(kinds(`import * as tf from '@tensorflow/tfjs';\n${source}`, 'case.js')).toEqual(expected));
  }
});

describe('where each per-step site is reported', () => {
  const at = (source: string): string[] =>
    analyzeSource(`import * as tf from '@tensorflow/tfjs';\n${source}`, 'case.js').map((finding) => `${finding.reason ?? finding.ruleId}@${finding.line}`);

  it('each step call of a loop on its own line, the loop reported once per call', () => {
    const source = 'for (const x of xs) {\n  let out;\n  if (embed) {\n    out = tf.multiRNNCell(cells, tf.matMul(x, e), state.c, state.h);\n  } else {\n    out = tf.multiRNNCell(cells, x, state.c, state.h);\n  }\n  state.c = out[0];\n}';
    expect(at(source)).toEqual(['shared-mutable-state@5', 'shared-mutable-state@7']);
  });

  it('a cell closure at its tf.basicLSTMCell call; a closure nothing steps is not a site', () => {
    const source = 'const cell = (d, c, h) =>\n  tf.basicLSTMCell(1, k, b, d, c, h);\nconst unused = (d, c, h) => tf.basicLSTMCell(1, k, b, d, c, h);\nfor (let i = 0; i < 3; i++) {\n  [c, h] = cell(x, c, h);\n  if (done(h)) break;\n}';
    expect(at(source)).toEqual(['tfjs-cell-step-loop@3', 'tfjs-cell-step-loop@6']);
  });

  it('closures stepped under a name the analysis cannot follow go with the step calls whose cells are not known', () => {
    const source = 'function build(k, b) {\n  const cells = [];\n  cells.push((d, c, h) => tf.basicLSTMCell(1, k, b, d, c, h));\n  return { cell: cells };\n}\nconst stack = build(k, b);\n[c, h] = tf.multiRNNCell(stack.cell, x, c, h);';
    expect(at(source)).toEqual(['opaque-cells@4', 'opaque-cells@8']);
  });

  it('a lone step at its call, which may start after its statement', () => {
    expect(at('const [c2, h2] =\n  tf.basicLSTMCell(1, k, b, x, c, h);')).toEqual(['lone-cell-step@3']);
  });

  it('a decoder model whose outputs are cast (TypeScript) is the same site', () => {
    const source = "import * as tf from '@tensorflow/tfjs';\nwhile (!stop) {\n  const outputs = decoder.predict([x, ...states]) as tf.Tensor[];\n  stop = done(outputs[0]);\n  states = outputs.slice(1);\n}";
    expect(analyzeSource(source, 'case.ts').map((finding) => `${finding.reason}@${finding.line}`)).toEqual(['model-state-loop@3']);
  });

  it("a decoder model's state loop at its predict call", () => {
    const source = 'while (!stop) {\n  const outputs =\n    decoder.predict([x].concat(states));\n  stop = done(outputs[0]);\n  states = [outputs[1], outputs[2]];\n}';
    expect(at(source)).toEqual(['model-state-loop@4']);
  });
});
