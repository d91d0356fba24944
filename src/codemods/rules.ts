/**
 * The one table of lint rule ids and manual-migration reasons. The CLI's reporters, the SARIF
 * rule list and MIGRATION.md's anchors all read from here, so an id never drifts between them.
 */

export type RuleId = 'legacy-import' | 'legacy-step-loop' | 'legacy-reset' | 'legacy-state' | 'tfjs-cell-loop' | 'tfjs-cell-step-loop' | 'tfjs-stateful-layer' | 'tfjs-layers-cell-step' | 'manual-migration';

export interface RuleMeta {
  id: RuleId;
  description: string;
  /** Anchor in MIGRATION.md that explains the pattern and its fix. */
  docs: string;
}

export const rules: Readonly<Record<RuleId, RuleMeta>> = Object.freeze({
  'legacy-import': {
    id: 'legacy-import',
    description: "Imports from 'rnn-migrate/legacy' (the mutable, per-timestep Recur API).",
    docs: 'MIGRATION.md#legacy-import',
  },
  'legacy-step-loop': {
    id: 'legacy-step-loop',
    description: 'A loop over timesteps calling recur.step(): becomes one blocked call on the whole sequence.',
    docs: 'MIGRATION.md#legacy-step-loop',
  },
  'legacy-reset': {
    id: 'legacy-reset',
    description: 'recur.reset() or reset(model): with explicit carries the reset disappears or becomes a fresh carry.',
    docs: 'MIGRATION.md#legacy-reset',
  },
  'legacy-state': {
    id: 'legacy-state',
    description: 'A read or write of recur.state: becomes an explicit carry variable.',
    docs: 'MIGRATION.md#legacy-state',
  },
  'tfjs-cell-loop': {
    id: 'tfjs-cell-loop',
    description: 'A loop over a known input stepping tf.basicLSTMCell / tf.multiRNNCell (directly or through cell closures): becomes one blocked LSTM call per layer.',
    docs: 'MIGRATION.md#tfjs-cell-loop',
  },
  'tfjs-cell-step-loop': {
    id: 'tfjs-cell-step-loop',
    description: 'A loop stepping tf.basicLSTMCell / tf.multiRNNCell as one statement among others (sampling): keeps its loop, the step moves to cell.step with explicit { h, c } carries.',
    docs: 'MIGRATION.md#tfjs-cell-step-loop',
  },
  'tfjs-stateful-layer': {
    id: 'tfjs-stateful-layer',
    description: 'A stateful: true tf.layers LSTM / GRU / SimpleRNN (or a tf.sequential model holding it) stepped per call and reset with resetStates(): its state becomes an explicit carry, each step a call of the layer imported with fromLayersLayer.',
    docs: 'MIGRATION.md#tfjs-stateful-layer',
  },
  'tfjs-layers-cell-step': {
    id: 'tfjs-layers-cell-step',
    description: 'A tf.layers cell (lstmCell, gruCell, simpleRNNCell) stepped by hand with cell.call([x, h…]): each call becomes one step of the rnn-migrate cell imported with cellFromLayersLayer.',
    docs: 'MIGRATION.md#tfjs-layers-cell-step',
  },
  'manual-migration': {
    id: 'manual-migration',
    description: 'A legacy site the codemod cannot prove safe to rewrite; it is left as it was.',
    docs: 'MIGRATION.md#manual-migration',
  },
});

/** Stable ids of the reasons a site is left for manual migration (used in TODO comments and reports). */
export type ManualReason =
  | 'early-exit'
  | 'state-read-mid-loop'
  | 'escaping-closure'
  | 'dynamic-property'
  | 'cross-file-recur'
  | 'recur-escapes'
  | 'unsupported-loop'
  | 'lone-step'
  | 'unknown-cell-output'
  | 'opaque-reset'
  | 'state-across-methods'
  | 'sampling-loop'
  | 'lone-cell-step'
  | 'shared-mutable-state'
  | 'trainable-forget-bias'
  | 'cell-argument-order'
  | 'opaque-cells'
  | 'layers-cell-step'
  | 'stateful-layer'
  | 'state-pair-cell'
  | 'model-state-loop'
  | 'stateful-layer-escapes';

export const manualReasons: Readonly<Record<ManualReason, string>> = Object.freeze({
  'early-exit': 'the loop can stop before the end of the sequence (break, return or throw inside it)',
  'state-read-mid-loop': 'recur.state is read or written inside the step loop',
  'escaping-closure': 'recur.step() runs inside a function that escapes, so when it runs is unknown',
  'dynamic-property': 'the Recur is reached through a computed property name',
  'cross-file-recur': 'the Recur comes from elsewhere (a parameter, an import, an export), its construction is not visible',
  'recur-escapes': 'the Recur (or the object holding it) is handed to code the codemod cannot see',
  'unsupported-loop': 'the loop does not have one of the shapes the codemod rewrites',
  'lone-step': 'recur.step() is called outside a loop over a sequence',
  'unknown-cell-output': 'the last step output of a user-written cell cannot be read from its carry',
  'opaque-reset': 'reset(model) is given an object whose Recurs are not visible',
  'state-across-methods': 'state survives between method calls of a class-held Recur',
  'sampling-loop': "the loop's next input comes from its last output (sampling) and its step cannot move to cell.step in place (see tfjs-cell-step-loop)",
  'lone-cell-step': 'tf.basicLSTMCell / tf.multiRNNCell is stepped outside a loop (streaming, one step per call): as cell.step in place it would import the weights at every call, slower than the step, so import the cells once where the weights are loaded',
  'shared-mutable-state': "the cell's c / h live in an object's properties, which may be shared (a zero state) and mutated",
  'trainable-forget-bias': 'the forget bias is a tf.variable: folding it into the LSTM bias would change its gradient',
  'cell-argument-order': 'the cell is called or assigned with c and h in an unusual order, which the rewrite will not guess at',
  'opaque-cells': "the cells' weights are not visible where the cells are stepped (cells built at run time, in another scope, or a parameter)",
  'layers-cell-step': 'a tf.layers cell (lstmCell, gruCell, simpleRNNCell) is stepped by hand with cell.call([x, h…])',
  'stateful-layer': 'a stateful: true tf.layers layer holds its state between calls, and the rewrite cannot make it explicit (not a const LSTM / GRU / SimpleRNN beside its tf.sequential models, options not written out, returnState, goBackwards or dropout, a resetStates() with arguments, or another stateful layer in its model)',
  'state-pair-cell': 'the cell closure takes and returns its state as one [c, h] pair (state[0], state[1]); the rewrite takes (x, c, h) cells only',
  'model-state-loop': "a tf.layers model is stepped once per timestep with predict / apply, its recurrent state passed back in by hand from its extra outputs (Keras' seq2seq inference decoder)",
  'stateful-layer-escapes': 'a stateful: true tf.layers layer (or a model holding it) is used beyond stepping and resetStates(): passed to a function, exported, trained with fit, or its states read, so its state changes where the rewrite cannot see',
});

export const manualReasonDocs = (reason: ManualReason): string => `MIGRATION.md#${reason}`;
