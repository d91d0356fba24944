/**
 * `stateful: true` tf.layers LSTM / GRU / SimpleRNN layers whose state the rewrite can make
 * explicit: the layer is a `const` in a statement list, stepped directly (`layer.apply(x)`) or
 * through `tf.sequential` models declared beside it (`model.predict(x)` / `model.apply(x)`), and
 * reset with `resetStates()`; nothing else touches the layer or its models (not passed anywhere,
 * not exported, not trained: `fit` steps the state too). Each step stays a step: whatever runs it
 * (a loop with a `break`, a callback per frame) runs the same number of steps, so no step count
 * has to be proven.
 */
import { enclosingStatement, isCall, isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import type { ManualReason } from '../rules.js';
import { callStatement, constBindingOf, usesOf, type ConstBinding, type Use } from './tfjs-references.js';

export type LayersKind = 'lstm' | 'gru' | 'rnn';
export const LAYER_KINDS: Readonly<Record<string, LayersKind>> = { lstm: 'lstm', gru: 'gru', simpleRNN: 'rnn' };

/** A stateful layer the rewrite takes, with every place that must change. */
export interface StatefulStepping {
  layer: ConstBinding;
  kind: LayersKind;
  /** Whether the layer is applied directly (it may then be unbuilt when first stepped). */
  steppedDirectly: boolean;
  /** The tf.sequential models holding it, each stepped through its layers in order. */
  models: ConstBinding[];
  /** `layer.apply(x)` / `model.predict(x)` / `model.apply(x)` calls, with the binding each steps. */
  steps: { call: AnyPath; through: ConstBinding }[];
  /** `layer.resetStates()` / `model.resetStates()` statements. */
  resets: AnyPath[];
}

/** `migrated`: the layer is only imported (`fromLayersLayer(layer)`), built and reset: already rewritten, nothing to report. */
export type StatefulVerdict = { stepping: StatefulStepping } | { manual: ManualReason } | { migrated: true };

/** The importers the rewrite hands the layer to (a use that reads its weights, never its state). */
const IMPORTERS = new Set(['fromLayersLayer', 'cellFromLayersLayer']);

/** `fromLayersLayer(layer)`: the use the rewritten code makes of the layer. */
export function isImport(use: Use): boolean {
  const call = use.reference.parent?.node;
  return isCall(call) && call.arguments[0] === use.reference.node && IMPORTERS.has(unwrap(call.callee)?.name ?? '');
}

/** `layer === other`: compares identities, reads nothing. */
const isIdentityTest = (use: Use): boolean => {
  const parent = use.reference.parent?.node;
  return parent?.type === 'BinaryExpression' && (parent.operator === '===' || parent.operator === '!==');
};

/** `layer.built` (read or set), `layer.build(shape)`, `layer.getWeights()`: no state the carry holds is touched. */
const isBuild = (use: Use): boolean => {
  if (use.kind === 'method') return use.method === 'build' || use.method === 'getWeights';
  const parent = use.reference.parent?.node;
  return isMember(parent) && parent.object === use.reference.node && propertyName(parent) === 'built';
};

const MODEL_STEPS = new Set(['predict', 'apply']);
/** Model methods that leave the recurrent state alone. */
const MODEL_HARMLESS = new Set(['add', 'summary', 'compile', 'getWeights', 'setWeights', 'countParams']);

/** The option literals that make the per-call import compute something else, or that the importer refuses. */
function unsupportedOptions(options: any): boolean {
  if (options?.type !== 'ObjectExpression') return true;
  return options.properties.some((property: any) => {
    if (property.type !== 'ObjectProperty' && property.type !== 'Property') return true; // a spread hides options
    const key = propertyName({ property: property.key, computed: property.computed });
    const value = unwrap(property.value);
    if (key === 'returnState' || key === 'goBackwards') return !(value?.type === 'BooleanLiteral' || value?.type === 'Literal') || value.value !== false;
    if (key === 'dropout' || key === 'recurrentDropout') return Number(value?.value) !== 0 || !/Literal$/.test(value?.type ?? '');
    // Initial weights are set by tf.layers' first apply, which a directly stepped layer no longer gets.
    return key === 'weights';
  });
}

/** `call` is `<ns>.layers.<factory>(options)` of a stateful layer; its verdict. */
export function statefulVerdict(index: NodeIndex, call: AnyPath, factory: string, statefulLayers: Set<AnyNode>): StatefulVerdict {
  const kind = LAYER_KINDS[factory];
  // Exported: other modules step or reset it.
  if (call.parent?.parent?.parent?.node.type === 'ExportNamedDeclaration') return { manual: 'stateful-layer-escapes' };
  const layer = constBindingOf(call.parent);
  if (!kind || !layer || unsupportedOptions(unwrap(call.node.arguments[0]))) return { manual: 'stateful-layer' };
  const stepping: StatefulStepping = { layer, kind, steppedDirectly: false, models: [], steps: [], resets: [] };
  let imported = false;
  for (const use of usesOf(index, layer)) {
    if (isImport(use)) imported = true;
    else if (isBuild(use) || isIdentityTest(use)) continue;
    else if (use.kind === 'method' && use.method === 'apply' && use.call.node.arguments.length === 1) {
      stepping.steppedDirectly = true;
      stepping.steps.push({ call: use.call, through: layer });
    } else if (use.kind === 'method' && isReset(use)) stepping.resets.push(callStatement(use.call)!);
    else {
      const model = modelHolding(use, layer);
      if (!model) return { manual: 'stateful-layer-escapes' };
      if (!stepping.models.some((known) => known.declarator === model.declarator)) stepping.models.push(model);
    }
  }
  for (const model of stepping.models) {
    const verdict = addModelUses(index, model, stepping, statefulLayers, imported);
    if (verdict) return { manual: verdict };
  }
  if (imported && stepping.steps.length === 0 && stepping.resets.length === 0) return { migrated: true };
  return { stepping };
}

const isReset = (use: Use): boolean => use.kind === 'method' && use.method === 'resetStates' && use.call.node.arguments.length === 0 && callStatement(use.call) !== undefined;

/**
 * The model a use puts the layer into: `model.add(layer)` as a statement, or `const model =
 * tf.sequential({ layers: [… layer …] })`, the model a `const` in the layer's statement list.
 */
function modelHolding(use: Use, layer: ConstBinding): ConstBinding | undefined {
  const reference = use.reference;
  let model: ConstBinding | undefined;
  const parent = reference.parent;
  if (isCall(parent?.node) && parent!.node.arguments.length === 1 && parent!.node.arguments[0] === reference.node && callStatement(parent!)) {
    const callee = unwrap(parent!.node.callee);
    if (isMember(callee) && propertyName(callee) === 'add' && callee.object.type === 'Identifier') {
      const name = callee.object.name;
      const declarator = parent!.scope?.lookup(name)?.getBindings()[name]?.[0]?.parent;
      model = constBindingOf(declarator);
    }
  } else if (parent?.node.type === 'ArrayExpression') {
    const property = parent.parent;
    const options = property?.parent;
    const sequential = options?.parent;
    const key = property?.node.key;
    if (key && propertyName({ property: key, computed: property!.node.computed }) === 'layers' && isCall(sequential?.node) && isSequential(sequential!.node)) model = constBindingOf(sequential!.parent);
  }
  if (!model || !isSequential(unwrap(model.declarator.node.init))) return undefined;
  return model.statement.parent === layer.statement.parent ? model : undefined;
}

const isSequential = (node: any): boolean => isCall(node) && isMember(unwrap(node.callee)) && propertyName(unwrap(node.callee)) === 'sequential';

/** Adds a model's steps and resets; a reason when the model is used in a way the rewrite cannot follow. */
function addModelUses(index: NodeIndex, model: ConstBinding, stepping: StatefulStepping, statefulLayers: Set<AnyNode>, imported: boolean): ManualReason | undefined {
  const init = unwrap(model.declarator.node.init);
  const listed = unwrap(init.arguments[0])?.properties?.find((property: any) => propertyName({ property: property.key, computed: property.computed }) === 'layers');
  const holdsOther = (node: any): boolean => statefulLayers.has(node) && node !== unwrap(stepping.layer.declarator.node.init);
  // Another stateful layer in the model: its state would be stepped by the same calls.
  for (const element of unwrap(listed?.value)?.elements ?? []) if (holdsOther(unwrap(element)) || holdsOther(declaredValue(element, model.declarator))) return 'stateful-layer';
  for (const use of usesOf(index, model)) {
    // The rewritten step reads `model.layers` to apply the model's other layers in order.
    if (imported && use.kind === 'other' && isMember(use.reference.parent?.node) && propertyName(use.reference.parent!.node) === 'layers') continue;
    if (use.kind !== 'method') return 'stateful-layer-escapes';
    const argument = use.call.node.arguments[0];
    if (MODEL_STEPS.has(use.method) && use.call.node.arguments.length === 1) stepping.steps.push({ call: use.call, through: model });
    else if (isReset(use)) stepping.resets.push(callStatement(use.call)!);
    else if (!MODEL_HARMLESS.has(use.method)) return 'stateful-layer-escapes';
    else if (use.method === 'add' && (holdsOther(unwrap(argument)) || holdsOther(declaredValue(argument, use.call)))) return 'stateful-layer';
  }
  return undefined;
}

/** What a `const` named by `node` was initialised with, seen from `at`. */
function declaredValue(node: any, at: AnyPath): AnyNode | undefined {
  node = unwrap(node);
  if (node?.type !== 'Identifier') return undefined;
  const declarator = at.scope?.lookup(node.name)?.getBindings()[node.name]?.[0]?.parent;
  return declarator?.node.type === 'VariableDeclarator' ? unwrap(declarator.node.init) : undefined;
}

/** The statement a finding about a step is reported at: its loop's statement, else its own. */
export function stepStatement(call: AnyPath, loopOf: (path: AnyPath) => AnyPath | undefined): AnyPath {
  return loopOf(call) ?? enclosingStatement(call) ?? call;
}
