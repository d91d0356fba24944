/**
 * tf.layers cells (`tf.layers.lstmCell` / `gruCell` / `simpleRNNCell`) stepped by hand with
 * `cell.call([x, h…], kwargs)`, the state threaded by the code itself. A cell holds no state, so
 * every such call can become one step of the equivalent rnn-migrate cell, imported from the
 * tf.layers cell's weights at that call (whatever trained or replaced them in between). Taken:
 * a cell that is a `const` in a statement list, called with an array literal of the step's input
 * and carries (x, h for GRU / SimpleRNN; x, h, c for LSTM) and no `training: true`.
 */
import { propertyName, unwrap, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { constBindingOf, usesOf, type ConstBinding } from './tfjs-references.js';
import { LAYER_KINDS, type LayersKind } from './tfjs-stateful-stepping.js';

export interface LayersCellStepping {
  cell: ConstBinding;
  kind: LayersKind;
  /** The `cell.call(…)` calls the rewrite replaces. */
  calls: AnyPath[];
}

/** `gruCell` → 'gru' (the factories of tf.layers cells, by the layer kind they step). */
export const cellKindOf = (factory: string): LayersKind | undefined => (factory.endsWith('Cell') ? LAYER_KINDS[factory.slice(0, -'Cell'.length)] : undefined);

/** The calls of a tf.layers cell the rewrite takes; undefined when the cell is not a `const` in a statement list. */
export function layersCellStepping(index: NodeIndex, factoryCall: AnyPath, factory: string): LayersCellStepping | undefined {
  const kind = cellKindOf(factory);
  const cell = constBindingOf(factoryCall.parent);
  if (!kind || !cell || !plainOptions(unwrap(factoryCall.node.arguments[0]))) return undefined;
  const calls = usesOf(index, cell).flatMap((use) => (use.kind === 'method' && use.method === 'call' && isStepCall(use.call, kind) ? [use.call] : []));
  return { cell, kind, calls };
}

/** Options without dropout (the importer refuses it) and without spreads that could hide it. */
function plainOptions(options: any): boolean {
  if (options?.type !== 'ObjectExpression') return false;
  return options.properties.every((property: any) => {
    if (property.type !== 'ObjectProperty' && property.type !== 'Property') return false;
    const key = propertyName({ property: property.key, computed: property.computed });
    return (key !== 'dropout' && key !== 'recurrentDropout') || unwrap(property.value)?.value === 0;
  });
}

/** `cell.call([x, h], {})` (LSTM: `[x, h, c]`), the kwargs absent, `{}` or without `training`. */
function isStepCall(call: AnyPath, kind: LayersKind): boolean {
  const [inputs, kwargs, ...rest] = call.node.arguments.map(unwrap);
  if (rest.length > 0 || inputs?.type !== 'ArrayExpression') return false;
  if (inputs.elements.length !== (kind === 'lstm' ? 3 : 2) || inputs.elements.some((element: any) => !element || element.type === 'SpreadElement')) return false;
  if (kwargs === undefined) return true;
  return kwargs.type === 'ObjectExpression' && kwargs.properties.every((property: any) => (property.type === 'ObjectProperty' || property.type === 'Property') && propertyName({ property: property.key, computed: property.computed }) !== 'training');
}
