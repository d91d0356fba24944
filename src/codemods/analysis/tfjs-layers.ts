/**
 * tf.layers per-step code: tf.layers cells stepped with `cell.call([x, h…])`, and `stateful: true`
 * layers (the layer, the models holding it, the loops stepping them, their `resetStates()` calls).
 * What the rewrite takes carries its plan (tfjs-layers-cell-stepping.ts, tfjs-stateful-stepping.ts);
 * the rest is reported for manual migration.
 */
import { enclosingStatement, isCall, isMember, propertyName, unwrap, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { enclosingLoop, referenceName, storageOf, type TfjsSite } from './tfjs-sites.js';
import { optionValue } from './tfjs-references.js';
import { stepStatement, statefulVerdict } from './tfjs-stateful-stepping.js';
import { layersCellStepping } from './tfjs-layers-cell-stepping.js';
import type { ManualReason } from '../rules.js';
import { hasIgnoreMark } from './plan.js';

const LAYERS_CELLS = new Set(['lstmCell', 'gruCell', 'simpleRNNCell']);
/** A stateful layer or model is stepped by one of these per frame. */
const STEP_METHODS = new Set(['predict', 'apply', 'execute']);

/** tf.layers cells stepped with `.call`, and stateful tf.layers layers (their per-step use and resets). */
export function findLayersSites(index: NodeIndex, namespaces: Set<string>, add: (site: Omit<TfjsSite, 'ignored'>) => void): void {
  const layersCells = new Set<string>();
  /** The cell.call sites the rewrite takes (the others stay manual). */
  const rewrittenCalls = new Set<unknown>();
  /** The stateful layers left manual and the models holding them, by the name the code reaches them through, with the reason. */
  const stateful = new Map<string, ManualReason>();
  const calls = index.of('CallExpression');
  const factories = calls.flatMap((path) => {
    const callee = unwrap(path.node.callee);
    const factory = isMember(callee) ? propertyName(callee) : undefined;
    const owner = isMember(callee) ? unwrap(callee.object) : undefined;
    const fromLayers = isMember(owner) && propertyName(owner) === 'layers' && owner.object.type === 'Identifier' && namespaces.has(owner.object.name);
    return fromLayers && factory ? [{ path, factory }] : [];
  });
  const statefulCalls = factories.filter(({ path }) => optionValue(unwrap(path.node.arguments[0]), 'stateful')?.value === true);
  const statefulNodes = new Set(statefulCalls.map(({ path }) => path.node));
  for (const { path, factory } of factories) {
    if (!LAYERS_CELLS.has(factory)) continue;
    const stored = storageOf(path);
    if (stored && !stored.element) layersCells.add(stored.name);
    const found = layersCellStepping(index, path, factory);
    // A call under `// rnn-migrate-ignore` stays as it is (and unreported).
    const stepping = found && { ...found, calls: found.calls.filter((call) => !hasIgnoreMark(enclosingLoop(call) ?? enclosingStatement(call) ?? call)) };
    stepping?.calls.forEach((call, i) => {
      rewrittenCalls.add(call.node);
      add({ kind: 'layers-cell-step', path: enclosingLoop(call) ?? enclosingStatement(call) ?? call, ...(i === 0 ? { layersCell: stepping } : {}) });
    });
  }
  for (const { path, factory } of statefulCalls) {
    const verdict = statefulVerdict(index, path, factory, statefulNodes);
    if ('stepping' in verdict) {
      const { stepping } = verdict;
      add({ kind: 'stateful-layer', path: stepping.layer.statement, stateful: stepping });
      // An ignored layer is left whole: its steps and resets neither change nor get reported.
      if (hasIgnoreMark(stepping.layer.statement)) continue;
      for (const step of stepping.steps) add({ kind: 'stateful-layer', path: stepStatement(step.call, enclosingLoop) });
      for (const reset of stepping.resets) add({ kind: 'stateful-layer', path: reset });
      continue;
    }
    if ('migrated' in verdict) continue;
    for (const name of holdersOf(path)) stateful.set(name, verdict.manual);
    add({ kind: 'stateful-layer', path: enclosingStatement(path) ?? path, manual: verdict.manual });
  }
  // `model.add(statefulLayer)`, `const model = tf.sequential({ layers: [statefulLayer] })`: the model holds the state too.
  for (const path of calls) {
    const callee = unwrap(path.node.callee);
    const held = stateful.get(referenceName(path.node.arguments[0]) ?? '');
    if (isMember(callee) && propertyName(callee) === 'add' && held) {
      const model = referenceName(callee.object);
      if (model) stateful.set(model, held);
    }
    const listed = optionValue(unwrap(path.node.arguments[0]), 'layers');
    const heldInList = listed?.type === 'ArrayExpression' ? listed.elements.map((element: any) => stateful.get(referenceName(element) ?? '')).find(Boolean) : undefined;
    const model = heldInList && storageOf(path);
    if (model && !model.element) stateful.set(model.name, heldInList);
  }
  for (const path of calls) {
    const callee = unwrap(path.node.callee);
    if (!isMember(callee)) continue;
    const method = propertyName(callee);
    const receiver = referenceName(callee.object) ?? '';
    const reason = stateful.get(receiver);
    if (method === 'call' && layersCells.has(receiver) && !rewrittenCalls.has(path.node)) {
      add({ kind: 'layers-cell-step', path: enclosingLoop(path) ?? enclosingStatement(path) ?? path, manual: 'layers-cell-step' });
    } else if (reason && method === 'resetStates') {
      add({ kind: 'stateful-layer', path: enclosingStatement(path) ?? path, manual: reason });
    } else if (reason && method && STEP_METHODS.has(method)) {
      const loop = enclosingLoop(path);
      if (loop) add({ kind: 'stateful-layer', path: loop, manual: reason });
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
