/**
 * Per-step RNN code written against tfjs itself, without rnn-migrate/legacy (the Magenta / ml5
 * lineage and tf.layers streaming code): loops stepping `tf.basicLSTMCell` / `tf.multiRNNCell`
 * directly or through cell closures, tf.layers cells stepped with `cell.call([x, h…])`, and
 * `stateful: true` tf.layers layers stepped per frame. Shared by lint (findings) and the
 * tfjs-cells-to-blocked rewrite, which reads a priming loop's shape from here.
 */
import jscodeshift from 'jscodeshift';
import { ancestors, enclosingStatement, isCall, isFunctionNode, isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { hasIgnoreMark } from './plan.js';
import type { ManualReason } from '../rules.js';
import { findLayersSites } from './tfjs-layers.js';
import { assignedIn, exitsEarly, pairSteppingShape, primingShape, statePairSteppingShape, steppingShape } from './tfjs-loop-shapes.js';
import { enclosingLoop, referenceName, storageOf, type BasicLstmWeights, type TfjsSite } from './tfjs-sites.js';
import { closureSites, isStatePairClosure, type ClosureRecord } from './tfjs-closure-sites.js';
import { findModelStepSites } from './tfjs-model-steps.js';

export type { BasicLstmWeights, PrimingLoop, SteppingLoop, TfjsSite, TfjsSiteKind } from './tfjs-sites.js';

const TFJS_ANY_PACKAGE = /^@tensorflow\/tfjs(-[a-z-]+)?$/;
const CELL_OPS = new Set(['basicLSTMCell', 'multiRNNCell']);

type CellOp = 'basicLSTMCell' | 'multiRNNCell';

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

interface Closure {
  weights?: BasicLstmWeights;
  manual?: ManualReason;
  /** `(data, state) => tf.basicLSTMCell(…, data, state[0], state[1])`: called as `state = cell(x, state)`. */
  statePair?: boolean;
}

/** Site fields before the ignore mark is read; `calls` accumulate over the steps of one loop. */
type NewSite = Omit<TfjsSite, 'ignored'>;

function findTfjsSites(index: NodeIndex, names: CellNames): TfjsSite[] {
  const closures = new Map<string, Closure>();
  const closureArrays = new Map<string, Closure[] | 'opaque'>();
  const closureNodes = new Set<AnyNode>();
  const closureRecords: ClosureRecord[] = [];
  const stepCalls: AnyPath[] = [];
  const calls = index.of('CallExpression');

  for (const path of calls) {
    if (cellOpOfCallee(names, path.node.callee) !== 'basicLSTMCell') continue;
    const fn = closureAround(path);
    if (!fn) continue;
    closureNodes.add(fn.node);
    const closure = closureOf(fn, path);
    const stored = storageOf(fn);
    closureRecords.push({ call: path, fn, storage: stored?.name });
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
  const seen = new Map<AnyNode, TfjsSite>();
  // One site per loop or statement; a second step call in the same loop is one more call of it.
  const add = (site: NewSite): void => {
    const known = seen.get(site.path.node);
    if (known) {
      if (known.calls && site.calls) known.calls.push(...site.calls);
      return;
    }
    const added = { ...site, ignored: hasIgnoreMark(site.path) };
    seen.set(site.path.node, added);
    sites.push(added);
  };
  const stepSites = new Map<AnyNode, TfjsSite>();
  for (const call of stepCalls) {
    const loop = enclosingLoop(call);
    const path = loop ?? enclosingStatement(call) ?? call;
    if (!loop) add({ kind: 'lone-cell-step', path, manual: classifyLoneStep(call, names, closures, closureArrays), calls: [call] });
    else if (!seen.has(loop.node)) {
      const stepsInLoop = stepCalls.filter((other) => other.node.start >= loop.node.start && other.node.end <= loop.node.end);
      add({ kind: 'cell-loop', path: loop, ...classifyCellLoop(loop, call, stepsInLoop.length, names, closures, closureArrays), calls: [call] });
    } else add({ kind: 'cell-loop', path: loop, calls: [call] });
    stepSites.set(call.node, seen.get(path.node)!);
  }
  for (const site of closureSites(closureRecords, stepCalls, stepSites, (call) => cellOpOfCallee(names, call.node.callee))) add(site);
  findLayersSites(index, names.namespaces, add);
  findModelStepSites(index, names.namespaces, add);
  return sites.sort((a, b) => a.path.node.start - b.path.node.start);
}

/** The function a basicLSTMCell call is the whole result of (`(x, c, h) => tf.basicLSTMCell(…)`), if any. */
function closureAround(call: AnyPath): AnyPath | undefined {
  const fn = wholeResultOf(call);
  // (data, c, h) or (data, [c, h]): a function of other arity (a tf.tidy callback) runs the step where it is.
  return fn && (fn.node.params.length === 3 || isStatePairClosure(fn, call)) ? fn : undefined;
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
  if (isStatePairClosure(fn, call)) return { weights: weightsOf(call, fn), statePair: true };
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

type Classified = Pick<TfjsSite, 'manual' | 'priming' | 'stepping'>;

function classifyCellLoop(
  loop: AnyPath,
  call: AnyPath,
  stepCount: number,
  names: CellNames,
  closures: Map<string, Closure>,
  arrays: Map<string, Closure[] | 'opaque'>,
): Classified {
  // An early exit changes how many steps a priming loop runs (one blocked call runs them all); a
  // stepping loop keeps its steps in place and releases its cells in a finally, whatever leaves it.
  const exits = exitsEarly(loop.node);
  const op = cellOpOfCallee(names, call.node.callee);
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  const carryArgs = op === 'basicLSTMCell' ? args.slice(4) : args.slice(op ? 2 : 1);
  if (exits && typeof steppingShape(loop, call, carryArgs, stepCount) !== 'object') return { manual: 'early-exit' };
  if (carryArgs.some((arg: any) => isMember(arg) && !arg.computed)) return { manual: 'shared-mutable-state' };
  const layers = layersOf(op, call, names, closures, arrays);
  if ('manual' in layers) return { manual: layers.manual };
  if (layers.weights.some((weights) => isTrainable(weights.forgetBias, loop))) return { manual: 'trainable-forget-bias' };
  if (!layers.weights.every((weights) => visibleAt(weights, loop))) return { manual: 'opaque-cells' };
  const inputIndex = op === 'basicLSTMCell' ? 3 : op ? 1 : 0;
  const input = args[inputIndex];
  const assigned = assignedIn(loop.node);
  const stacked = op === 'multiRNNCell';
  const sampling = input?.type === 'Identifier' && assigned.has(input.name);
  const priming = sampling ? undefined : primingShape(loop, call, input, carryArgs, stepCount);
  if (priming === 'argument-order') return { manual: 'cell-argument-order' };
  if (priming) return exits ? { manual: 'early-exit' } : { priming: { ...priming, layers: layers.weights, stacked } };
  const stepping = layers.statePair ? statePairSteppingShape(loop, call, carryArgs, stepCount) : (steppingShape(loop, call, carryArgs, stepCount) ?? pairSteppingShape(loop, call, carryArgs, stepCount));
  if (stepping === 'argument-order') return { manual: 'cell-argument-order' };
  // The cells are created once before the loop: their weights must not change inside it.
  // Cells are created before the loop and released after it: the loop must sit in a statement list.
  if (stepping && enclosingStatement(loop)?.node === loop.node && !layers.weights.some((weights) => namesIn(weights).some((name) => assigned.has(name)))) {
    return { stepping: { ...stepping, input: call.node.arguments[inputIndex], layers: layers.weights, stacked } };
  }
  return { manual: exits ? 'early-exit' : layers.statePair ? 'state-pair-cell' : sampling ? 'sampling-loop' : 'unsupported-loop' };
}

/**
 * Why a step outside any loop (a streaming step per call) stays as it is. Where its cells are
 * known, visible at the call and their forget bias foldable, `cell.step` could replace the call in
 * place, but nothing there proves the weights outlive the call or stay the same until the next,
 * so the cells would be imported at every call: more work than the step itself at batch 1
 * (bench/lone-step.ts). That is `lone-cell-step`; otherwise the reason any rewrite would stop at.
 */
function classifyLoneStep(call: AnyPath, names: CellNames, closures: Map<string, Closure>, arrays: Map<string, Closure[] | 'opaque'>): ManualReason {
  const layers = layersOf(cellOpOfCallee(names, call.node.callee), call, names, closures, arrays);
  // A closure of another shape: 'unsupported-loop' speaks of loops, and this one steps outside any.
  if ('manual' in layers) return layers.manual === 'unsupported-loop' ? 'lone-cell-step' : layers.manual;
  if (layers.weights.some((weights) => isTrainable(weights.forgetBias, call))) return 'trainable-forget-bias';
  if (!layers.weights.every((weights) => visibleAt(weights, call))) return 'opaque-cells';
  return 'lone-cell-step';
}

function layersOf(op: CellOp | undefined, call: AnyPath, names: CellNames, closures: Map<string, Closure>, arrays: Map<string, Closure[] | 'opaque'>): { weights: BasicLstmWeights[]; statePair: boolean } | { manual: ManualReason } {
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  let found: Closure[] | 'opaque' | undefined;
  if (op === 'basicLSTMCell') found = [{ weights: weightsOf(call, call) }];
  else if (op === 'multiRNNCell' && args[0]?.type === 'ArrayExpression') found = inlineStack(args[0].elements, closures);
  else if (op === 'multiRNNCell') found = arrays.get(referenceName(args[0]) ?? '');
  else {
    const closure = closures.get(referenceName(call.node.callee) ?? '');
    found = closure ? [closure] : undefined;
  }
  if (!found || found === 'opaque') return { manual: 'opaque-cells' };
  const manual = found.find((closure) => closure.manual)?.manual;
  if (manual) return { manual };
  // tf.multiRNNCell calls each cell as (x, c, h): a state-pair closure in a stack is not one the rewrite reads.
  const statePair = found.some((closure) => closure.statePair);
  if (statePair && op) return { manual: 'state-pair-cell' };
  return { weights: found.map((closure) => closure.weights!), statePair };
}

/** `tf.multiRNNCell([lstm1, lstm2], …)`: a stack written inline from named closures. */
function inlineStack(elements: any[], closures: Map<string, Closure>): Closure[] | 'opaque' {
  const stack = elements.map((element) => closures.get(referenceName(element) ?? ''));
  return stack.length > 0 && stack.every(Boolean) ? (stack as Closure[]) : 'opaque';
}

/** Do the weights' names mean the same at the site (the loop, or a lone step) as where the cell reads them (same bindings, same `this`)? */
function visibleAt(weights: BasicLstmWeights, site: AnyPath): boolean {
  if (weights.at === site) return true;
  let visible = true;
  for (const node of [weights.forgetBias, weights.kernel, weights.bias]) {
    eachPathIn(node, (path) => {
      if (path.node.type === 'ThisExpression' && thisOwner(weights.at) !== thisOwner(site)) visible = false;
      if (path.node.type !== 'Identifier' || (isMember(path.parent?.node) && path.parent.node.property === path.node && !path.parent.node.computed)) return;
      if (weights.at.scope?.lookup(path.node.name) !== site.scope?.lookup(path.node.name)) visible = false;
    });
  }
  return visible;
}

/** The variables and properties the weights read (`kernels`, `this.kernels`, `w.kernel`). */
function namesIn(weights: BasicLstmWeights): string[] {
  const names: string[] = [];
  for (const node of [weights.forgetBias, weights.kernel, weights.bias]) {
    eachPathIn(node, (path) => {
      const name = path.node.type === 'Identifier' || isMember(path.node) ? referenceName(path.node) : undefined;
      if (name) names.push(name);
    });
  }
  return names;
}

/** An expression's paths, its own included: jscodeshift's find starts below the node (a bare `kernel` has nothing below it). */
function eachPathIn(node: AnyNode, visit: (path: AnyPath) => void): void {
  const expression = jscodeshift(node);
  expression.forEach(visit);
  expression.find(jscodeshift.Node).forEach(visit);
}

/** The class body (or non-arrow function) `this` refers to at a path. */
function thisOwner(path: AnyPath): AnyNode | undefined {
  for (const ancestor of ancestors(path)) {
    if (ancestor.node.type === 'ClassBody') return ancestor.node;
    if (isFunctionNode(ancestor.node) && ancestor.node.type !== 'ArrowFunctionExpression' && ancestor.parent?.node.type !== 'ClassBody') return ancestor.node;
  }
  return undefined;
}

/** A forget bias that is (or is read from) a tf.variable: folding it into a bias would change its gradient. */
function isTrainable(forgetBias: any, site: AnyPath): boolean {
  const name = referenceName(forgetBias);
  if (!name) return isVariableCall(forgetBias);
  let trainable = false;
  const program = [...ancestors(site)].pop()!;
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

