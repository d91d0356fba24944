/**
 * Per-step RNN code written against tfjs itself, without rnn-migrate/legacy (the Magenta / ml5
 * lineage and tf.layers streaming code): loops stepping `tf.basicLSTMCell` / `tf.multiRNNCell`
 * directly or through cell closures, tf.layers cells stepped with `cell.call([x, h…])`, and
 * `stateful: true` tf.layers layers stepped per frame. Shared by lint (findings) and the
 * tfjs-cells-to-blocked rewrite, which reads a priming loop's shape from here.
 */
import jscodeshift from 'jscodeshift';
import { ancestors, enclosingStatement, isCall, isFunctionNode, isLoopNode, isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { hasIgnoreMark, isSyncCallback } from './plan.js';
import type { ManualReason } from '../rules.js';

const TFJS_ANY_PACKAGE = /^@tensorflow\/tfjs(-[a-z-]+)?$/;
const CELL_OPS = new Set(['basicLSTMCell', 'multiRNNCell']);
const LAYERS_CELLS = new Set(['lstmCell', 'gruCell', 'simpleRNNCell']);
/** A stateful layer or model is stepped by one of these per frame. */
const STEP_METHODS = new Set(['predict', 'apply', 'execute']);

type CellOp = 'basicLSTMCell' | 'multiRNNCell';

/** The three weights a `tf.basicLSTMCell` call closes over (nodes of the user's code). */
export interface BasicLstmWeights {
  forgetBias: AnyNode;
  kernel: AnyNode;
  bias: AnyNode;
  /** Where the weights are read (the closure, or the direct call): their names must mean the same at the loop. */
  at: AnyPath;
}

/** A loop over a known input whose body is one `[c, h] = step(x, c, h)`: becomes one blocked call. */
export interface PrimingLoop {
  /** The array of [batch, in] steps the loop walks. */
  steps: AnyNode;
  reverse: boolean;
  /** The carry variables, in the order the code assigns them (c first, as tfjs returns them). */
  c: string;
  h: string;
  /** One entry per layer; `stacked` when the loop steps a multiRNNCell (c and h are arrays). */
  layers: BasicLstmWeights[];
  stacked: boolean;
}

export type TfjsSiteKind = 'cell-loop' | 'lone-cell-step' | 'layers-cell-step' | 'stateful-layer';

export interface TfjsSite {
  kind: TfjsSiteKind;
  /** The loop, or the statement of a single step / stateful-layer use. */
  path: AnyPath;
  manual?: ManualReason;
  priming?: PrimingLoop;
  ignored: boolean;
}

export interface TfjsCells {
  sites: TfjsSite[];
  /** Local names of tfjs namespace imports (the first is reused by generated code). */
  namespaces: string[];
}

interface CellNames {
  namespaces: Set<string>;
  /** Local name → op, from named imports, destructured requires and `const lstm = tf.basicLSTMCell`. */
  ops: Map<string, CellOp>;
}

export function findTfjsCells(index: NodeIndex): TfjsCells {
  const names = findCellNames(index);
  return { sites: findTfjsSites(index, names), namespaces: [...names.namespaces] };
}

function findCellNames(index: NodeIndex): CellNames {
  const names: CellNames = { namespaces: new Set(), ops: new Map() };
  index.of('ImportDeclaration').forEach((path) => {
    if (!TFJS_ANY_PACKAGE.test(String(path.node.source.value)) || path.node.importKind === 'type') return;
    for (const specifier of path.node.specifiers ?? []) {
      if (specifier.type !== 'ImportSpecifier') names.namespaces.add(String(specifier.local.name));
      else if (CELL_OPS.has(String(specifier.imported.name))) names.ops.set(String(specifier.local?.name ?? specifier.imported.name), specifier.imported.name as CellOp);
    }
  });
  index.of('VariableDeclarator').forEach((path) => {
    const init = unwrap(path.node.init);
    const id: any = path.node.id;
    if (isCall(init) && init.callee.type === 'Identifier' && init.callee.name === 'require' && TFJS_ANY_PACKAGE.test(String(init.arguments[0]?.value))) {
      if (id.type === 'Identifier') names.namespaces.add(id.name);
      for (const property of id.type === 'ObjectPattern' ? id.properties : []) {
        const key = property.key?.name;
        if (CELL_OPS.has(key) && property.value?.type === 'Identifier') names.ops.set(property.value.name, key);
      }
    }
  });
  // Aliases: `const lstm = tf.basicLSTMCell` (after the namespaces are known).
  index.of('VariableDeclarator').forEach((path) => {
    const op = path.node.id.type === 'Identifier' ? cellOpOfCallee(names, path.node.init) : undefined;
    if (op) names.ops.set(path.node.id.name, op);
  });
  return names;
}

function cellOpOfCallee(names: CellNames, callee: any): CellOp | undefined {
  callee = unwrap(callee);
  if (callee?.type === 'Identifier') return names.ops.get(callee.name);
  if (isMember(callee) && callee.object.type === 'Identifier' && names.namespaces.has(callee.object.name)) {
    const name = propertyName(callee);
    if (name && CELL_OPS.has(name)) return name as CellOp;
  }
  return undefined;
}

/** `x`, `this.x` or `a.b` as text; undefined for anything else. */
export function referenceName(node: any): string | undefined {
  node = unwrap(node);
  if (node?.type === 'Identifier') return node.name;
  if (isMember(node) && !node.computed) {
    const object = node.object.type === 'ThisExpression' ? 'this' : referenceName(node.object);
    return object && `${object}.${node.property.name}`;
  }
  return undefined;
}

interface Closure {
  weights?: BasicLstmWeights;
  manual?: ManualReason;
}

/** Where a function value is stored: `const cell = …`, `this.cell = …`, `cell: …` in a class, or an array of them. */
function storageOf(path: AnyPath): { name: string; element: boolean } | undefined {
  if (path.node.type === 'FunctionDeclaration' && path.node.id) return { name: path.node.id.name, element: false };
  let current = path;
  let element = false;
  if (current.parent?.node.type === 'ArrayExpression') {
    element = true;
    current = current.parent;
  }
  const parent = current.parent?.node;
  if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') return { name: parent.id.name, element };
  if (parent?.type === 'AssignmentExpression') {
    const name = referenceName(parent.left);
    return name ? { name, element } : undefined;
  }
  if ((parent?.type === 'ClassProperty' || parent?.type === 'PropertyDefinition') && parent.key.type === 'Identifier') return { name: `this.${parent.key.name}`, element };
  if (isCall(parent) && isMember(parent.callee) && propertyName(parent.callee) === 'push' && !element) {
    const name = referenceName(parent.callee.object);
    return name ? { name, element: true } : undefined;
  }
  return undefined;
}

function findTfjsSites(index: NodeIndex, names: CellNames): TfjsSite[] {
  const closures = new Map<string, Closure>();
  const closureArrays = new Map<string, Closure[] | 'opaque'>();
  const closureNodes = new Set<AnyNode>();
  const stepCalls: AnyPath[] = [];
  const calls = index.of('CallExpression');

  for (const path of calls) {
    if (cellOpOfCallee(names, path.node.callee) !== 'basicLSTMCell') continue;
    const fn = closureAround(path);
    if (!fn) continue;
    closureNodes.add(fn.node);
    const closure = closureOf(fn, path);
    const stored = storageOf(fn);
    if (!stored) continue;
    if (!stored.element) closures.set(stored.name, closure);
    else {
      const known = closureArrays.get(stored.name);
      const pushed = fn.parent?.node.type !== 'ArrayExpression';
      // Cells pushed at run time (in a loop over layers) are not known where the loop is.
      if (pushed || known === 'opaque') closureArrays.set(stored.name, 'opaque');
      else closureArrays.set(stored.name, [...(known ?? []), closure]);
    }
  }

  for (const path of calls) {
    const op = cellOpOfCallee(names, path.node.callee);
    if (op === 'basicLSTMCell' && closureAround(path)) continue;
    if (op || isClosureCall(path.node, closures, closureArrays)) stepCalls.push(path);
  }

  const sites: TfjsSite[] = [];
  const seen = new Set<AnyNode>();
  const add = (site: Omit<TfjsSite, 'ignored'>): void => {
    if (seen.has(site.path.node)) return;
    seen.add(site.path.node);
    sites.push({ ...site, ignored: hasIgnoreMark(site.path) });
  };
  for (const call of stepCalls) {
    const loop = enclosingLoop(call);
    if (!loop) {
      add({ kind: 'lone-cell-step', path: enclosingStatement(call) ?? call, manual: 'lone-cell-step' });
      continue;
    }
    const stepsInLoop = stepCalls.filter((other) => other.node.start >= loop.node.start && other.node.end <= loop.node.end);
    add({ kind: 'cell-loop', path: loop, ...classifyCellLoop(loop, call, stepsInLoop.length, names, closures, closureArrays) });
  }
  findLayersSites(index, names, add);
  return sites.sort((a, b) => a.path.node.start - b.path.node.start);
}

/** The function a basicLSTMCell call is the whole result of (`(x, c, h) => tf.basicLSTMCell(…)`), if any. */
function closureAround(call: AnyPath): AnyPath | undefined {
  const fn = wholeResultOf(call);
  // (data, c, h): a function of other arity (a tf.tidy callback) runs the step where it is.
  return fn?.node.params.length === 3 ? fn : undefined;
}

function wholeResultOf(call: AnyPath): AnyPath | undefined {
  const parent = call.parent;
  if (parent?.node.type === 'ArrowFunctionExpression' && parent.node.body === call.node) return parent;
  if (parent?.node.type === 'ReturnStatement') {
    const fn = parent.parent?.parent;
    if (fn && isFunctionNode(fn.node) && fn.node.body.body?.length === 1) return fn;
  }
  return undefined;
}

function closureOf(fn: AnyPath, call: AnyPath): Closure {
  const params = fn.node.params.map((param: any) => param.name as string | undefined);
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  const passed = args.slice(3).map((arg: any) => (arg?.type === 'Identifier' ? arg.name : undefined));
  if (params.length !== 3 || passed.length !== 3 || !passed.every((name: string | undefined) => name && params.includes(name))) {
    return { manual: 'unsupported-loop' };
  }
  if (passed.join() !== params.join()) return { manual: 'cell-argument-order' };
  return { weights: weightsOf(call, fn) };
}

/** The weights as written (casts kept: the generated call passes them on as the user typed them). */
function weightsOf(call: AnyPath, at: AnyPath): BasicLstmWeights {
  const [forgetBias, kernel, bias] = call.node.arguments;
  return { forgetBias, kernel, bias, at };
}

function isClosureCall(call: any, closures: Map<string, Closure>, arrays: Map<string, Closure[] | 'opaque'>): boolean {
  const callee = unwrap(call.callee);
  const name = referenceName(callee);
  if (name && closures.has(name)) return true;
  return isMember(callee) && callee.computed && arrays.has(referenceName(callee.object) ?? '');
}

/** The loop a step runs in: the nearest loop statement or array callback, within the step's function. */
function enclosingLoop(path: AnyPath): AnyPath | undefined {
  for (const ancestor of ancestors(path)) {
    if (isLoopNode(ancestor.node)) return ancestor;
    if (isFunctionNode(ancestor.node)) {
      const parent = ancestor.parent?.node;
      const method = isCall(parent) && isMember(parent.callee) ? propertyName(parent.callee) : undefined;
      if (method === 'forEach' || method === 'map' || method === 'reduce') return enclosingStatement(ancestor) ?? ancestor;
      if (!isSyncCallback(ancestor)) return undefined;
    }
  }
  return undefined;
}

type Classified = Pick<TfjsSite, 'manual' | 'priming'>;

function classifyCellLoop(
  loop: AnyPath,
  call: AnyPath,
  stepCount: number,
  names: CellNames,
  closures: Map<string, Closure>,
  arrays: Map<string, Closure[] | 'opaque'>,
): Classified {
  if (exitsEarly(loop.node)) return { manual: 'early-exit' };
  const op = cellOpOfCallee(names, call.node.callee);
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  const carryArgs = op === 'basicLSTMCell' ? args.slice(4) : args.slice(op ? 2 : 1);
  if (carryArgs.some((arg: any) => isMember(arg) && !arg.computed)) return { manual: 'shared-mutable-state' };
  const layers = layersOf(op, call, names, closures, arrays);
  if ('manual' in layers) return { manual: layers.manual };
  if (layers.weights.some((weights) => isTrainable(weights.forgetBias, loop))) return { manual: 'trainable-forget-bias' };
  if (!layers.weights.every((weights) => visibleAt(weights, loop))) return { manual: 'opaque-cells' };
  const input = args[op === 'basicLSTMCell' ? 3 : op ? 1 : 0];
  const assigned = assignedIn(loop.node);
  if (input?.type === 'Identifier' && assigned.has(input.name)) return { manual: 'sampling-loop' };
  const shape = stepShape(loop, call, input, carryArgs, stepCount);
  if (shape === 'argument-order') return { manual: 'cell-argument-order' };
  if (!shape) return { manual: 'unsupported-loop' };
  return { priming: { ...shape, layers: layers.weights, stacked: op === 'multiRNNCell' } };
}

function layersOf(op: CellOp | undefined, call: AnyPath, names: CellNames, closures: Map<string, Closure>, arrays: Map<string, Closure[] | 'opaque'>): { weights: BasicLstmWeights[] } | { manual: ManualReason } {
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  let found: Closure[] | 'opaque' | undefined;
  if (op === 'basicLSTMCell') found = [{ weights: weightsOf(call, call) }];
  else if (op === 'multiRNNCell') found = arrays.get(referenceName(args[0]) ?? '');
  else {
    const closure = closures.get(referenceName(call.node.callee) ?? '');
    found = closure ? [closure] : undefined;
  }
  if (!found || found === 'opaque') return { manual: 'opaque-cells' };
  const manual = found.find((closure) => closure.manual)?.manual;
  if (manual) return { manual };
  return { weights: found.map((closure) => closure.weights!) };
}

/** Do the weights' names mean the same at the loop as where the cell reads them (same bindings, same `this`)? */
function visibleAt(weights: BasicLstmWeights, loop: AnyPath): boolean {
  if (weights.at === loop) return true;
  let visible = true;
  for (const node of [weights.forgetBias, weights.kernel, weights.bias]) {
    jscodeshift(node).find(jscodeshift.Node).forEach((path: AnyPath) => {
      if (path.node.type === 'ThisExpression' && thisOwner(weights.at) !== thisOwner(loop)) visible = false;
      if (path.node.type !== 'Identifier' || (isMember(path.parent?.node) && path.parent.node.property === path.node && !path.parent.node.computed)) return;
      if (weights.at.scope?.lookup(path.node.name) !== loop.scope?.lookup(path.node.name)) visible = false;
    });
  }
  return visible;
}

/** The class body (or non-arrow function) `this` refers to at a path. */
function thisOwner(path: AnyPath): AnyNode | undefined {
  for (const ancestor of ancestors(path)) {
    if (ancestor.node.type === 'ClassBody') return ancestor.node;
    if (isFunctionNode(ancestor.node) && ancestor.node.type !== 'ArrowFunctionExpression' && ancestor.parent?.node.type !== 'ClassBody') return ancestor.node;
  }
  return undefined;
}

const EXIT = /^(BreakStatement|ReturnStatement|ThrowStatement)$/;

function exitsEarly(loop: any): boolean {
  let found = false;
  const visit = (node: any): void => {
    if (found || !node || typeof node.type !== 'string' || isFunctionNode(node)) return;
    if (EXIT.test(node.type)) found = true;
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'comments') continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value.type === 'string') visit(value);
    }
  };
  visit(loop.body);
  return found;
}

/** Names assigned anywhere in the loop body. */
function assignedIn(loop: any): Set<string> {
  const assigned = new Set<string>();
  jscodeshift(loop.body).find(jscodeshift.AssignmentExpression).forEach((path: AnyPath) => {
    const left = path.node.left;
    if (left.type === 'Identifier') assigned.add(left.name);
    for (const element of left.type === 'ArrayPattern' ? left.elements : []) if (element?.type === 'Identifier') assigned.add(element.name);
  });
  return assigned;
}

/** A forget bias that is (or is read from) a tf.variable: folding it into a bias would change its gradient. */
function isTrainable(forgetBias: any, loop: AnyPath): boolean {
  const name = referenceName(forgetBias);
  if (!name) return isVariableCall(forgetBias);
  let trainable = false;
  const program = [...ancestors(loop)].pop()!;
  jscodeshift(program.node).find(jscodeshift.Node).forEach((path: AnyPath) => {
    const node = path.node;
    if (node.type === 'VariableDeclarator' && referenceName(node.id) === name && isVariableCall(node.init)) trainable = true;
    if (node.type === 'AssignmentExpression' && referenceName(node.left) === name && isVariableCall(node.right)) trainable = true;
    if ((node.type === 'ClassProperty' || node.type === 'PropertyDefinition') && `this.${node.key?.name}` === name && isVariableCall(node.value)) trainable = true;
  });
  return trainable;
}

const isVariableCall = (node: any): boolean => {
  node = unwrap(node);
  return isCall(node) && (referenceName(node.callee) ?? '').split('.').pop() === 'variable';
};

/**
 * `for (const x of xs) [c, h] = step(x, c, h)` or an indexed loop over `xs[i]`, forwards or
 * backwards, with nothing else in the body; `'argument-order'` when the assignment swaps c and h.
 */
function stepShape(loop: AnyPath, call: AnyPath, input: any, carryArgs: any[], stepCount: number): Omit<PrimingLoop, 'layers' | 'stacked'> | 'argument-order' | undefined {
  const body = loop.node.body?.type === 'BlockStatement' ? loop.node.body.body : [loop.node.body];
  if (stepCount !== 1 || body.length !== 1 || body[0]?.type !== 'ExpressionStatement') return undefined;
  const assignment = body[0].expression;
  if (assignment.type !== 'AssignmentExpression' || unwrap(assignment.right) !== call.node || assignment.left.type !== 'ArrayPattern') return undefined;
  const [c, h] = assignment.left.elements.map((element: any) => (element?.type === 'Identifier' ? element.name : undefined));
  const [cArg, hArg] = carryArgs.map((arg) => arg?.type === 'Identifier' ? arg.name : undefined);
  if (!c || !h || assignment.left.elements.length !== 2 || !cArg || !hArg) return undefined;
  if (c === hArg && h === cArg) return 'argument-order';
  if (c !== cArg || h !== hArg) return undefined;
  const node = loop.node;
  if (node.type === 'ForOfStatement') {
    const declared = node.left.type === 'VariableDeclaration' ? node.left.declarations[0]?.id : undefined;
    if (declared?.type !== 'Identifier' || input?.type !== 'Identifier' || input.name !== declared.name) return undefined;
    return { steps: node.right, reverse: false, c, h };
  }
  if (node.type !== 'ForStatement' || !isMember(input) || !input.computed || input.property.type !== 'Identifier') return undefined;
  const index = input.property.name;
  const steps = referenceName(input.object);
  if (!steps) return undefined;
  const source = (n: any): string => jscodeshift(n).toSource();
  const init = node.init?.type === 'VariableDeclaration' ? node.init.declarations[0] : undefined;
  if (init?.id.name !== index || !node.test || !node.update) return undefined;
  const update = source(node.update).replace(new RegExp(`\\b${index}\\b`), 'i');
  const forward = source(init.init) === '0' && source(node.test) === `${index} < ${steps}.length` && /^(\+\+i|i\+\+|i \+= 1)$/.test(update);
  const backward = source(init.init) === `${steps}.length - 1` && source(node.test) === `${index} >= 0` && /^(--i|i--|i -= 1)$/.test(update);
  if (!forward && !backward) return undefined;
  return { steps: input.object, reverse: backward, c, h };
}

/** tf.layers cells stepped with `.call`, and stateful tf.layers layers (their per-step use and resets): lint only. */
function findLayersSites(index: NodeIndex, names: CellNames, add: (site: Omit<TfjsSite, 'ignored'>) => void): void {
  const layersCells = new Set<string>();
  /** The stateful layers and the models holding them, by the name the code reaches them through. */
  const stateful = new Set<string>();
  const calls = index.of('CallExpression');
  for (const path of calls) {
    const callee = unwrap(path.node.callee);
    const factory = isMember(callee) ? propertyName(callee) : undefined;
    const owner = isMember(callee) ? unwrap(callee.object) : undefined;
    const fromLayers = isMember(owner) && propertyName(owner) === 'layers' && owner.object.type === 'Identifier' && names.namespaces.has(owner.object.name);
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
