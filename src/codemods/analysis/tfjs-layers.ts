/**
 * tf.layers per-step code, reported for manual migration (lint only): tf.layers cells stepped
 * with `cell.call([x, h…])`, and `stateful: true` layers (the layer, the models holding it, the
 * loops stepping them, their `resetStates()` calls).
 */
import { enclosingStatement, isCall, isMember, propertyName, unwrap, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { enclosingLoop, referenceName, storageOf, type TfjsSite } from './tfjs-sites.js';

const LAYERS_CELLS = new Set(['lstmCell', 'gruCell', 'simpleRNNCell']);
/** A stateful layer or model is stepped by one of these per frame. */
const STEP_METHODS = new Set(['predict', 'apply', 'execute']);

/** tf.layers cells stepped with `.call`, and stateful tf.layers layers (their per-step use and resets): lint only. */
export function findLayersSites(index: NodeIndex, namespaces: Set<string>, add: (site: Omit<TfjsSite, 'ignored'>) => void): void {
  const layersCells = new Set<string>();
  /** The stateful layers and the models holding them, by the name the code reaches them through. */
  const stateful = new Set<string>();
  const calls = index.of('CallExpression');
  for (const path of calls) {
    const callee = unwrap(path.node.callee);
    const factory = isMember(callee) ? propertyName(callee) : undefined;
    const owner = isMember(callee) ? unwrap(callee.object) : undefined;
    const fromLayers = isMember(owner) && propertyName(owner) === 'layers' && owner.object.type === 'Identifier' && namespaces.has(owner.object.name);
    if (!fromLayers) continue;
    if (factory && LAYERS_CELLS.has(factory)) {
      const stored = storageOf(path);
      if (stored && !stored.element) layersCells.add(stored.name);
    }
    const options = unwrap(path.node.arguments[0]);
    const isStateful = options?.type === 'ObjectExpression' && options.properties.some((property: any) => propertyName({ property: property.key, computed: property.computed }) === 'stateful' && unwrap(property.value)?.value === true);
    if (isStateful) {
      for (const name of holdersOf(path)) stateful.add(name);
      add({ kind: 'stateful-layer', path: enclosingStatement(path) ?? path, manual: 'stateful-layer' });
    }
  }
  // `model.add(statefulLayer)`: the model holds the state too.
  for (const path of calls) {
    const callee = unwrap(path.node.callee);
    if (isMember(callee) && propertyName(callee) === 'add' && stateful.has(referenceName(path.node.arguments[0]) ?? '')) {
      const model = referenceName(callee.object);
      if (model) stateful.add(model);
    }
  }
  for (const path of calls) {
    const callee = unwrap(path.node.callee);
    if (!isMember(callee)) continue;
    const method = propertyName(callee);
    const receiver = referenceName(callee.object) ?? '';
    if (method === 'call' && layersCells.has(receiver)) {
      add({ kind: 'layers-cell-step', path: enclosingLoop(path) ?? enclosingStatement(path) ?? path, manual: 'layers-cell-step' });
    } else if (stateful.has(receiver) && method === 'resetStates') {
      add({ kind: 'stateful-layer', path: enclosingStatement(path) ?? path, manual: 'stateful-layer' });
    } else if (stateful.has(receiver) && method && STEP_METHODS.has(method)) {
      const loop = enclosingLoop(path);
      if (loop) add({ kind: 'stateful-layer', path: loop, manual: 'stateful-layer' });
    }
  }
}

/** Names a value created at `path` is stored under within its statement (`const model = tf.sequential({ layers: [it] })`). */
function holdersOf(path: AnyPath): string[] {
  const held: string[] = [];
  for (let current: AnyPath | undefined = path; current && !/Statement$/.test(current.node.type); current = current.parent) {
    const stored = isCall(current.node) || current.node.type === 'NewExpression' ? storageOf(current) : undefined;
    if (stored && !stored.element) held.push(stored.name);
  }
  return held;
}
