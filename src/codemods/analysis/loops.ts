/**
 * Step loops: which loop (for…of, indexed for, map/forEach/reduce callback) a `recur.step()` call
 * belongs to, whether that loop has a shape the codemod can turn into blocked calls, and how each
 * step's output is used (discarded, kept as the last output, collected, or read per step).
 */
import { ancestors, isCall, isFunctionNode, isLoopNode, isMember, propertyName, unwrap, type AnyPath } from './ast.js';
import type { Holder } from './holders.js';
import { arrayAtStep, isFullLength, tensorAtStep, unstackedTensor, type SequenceSource } from './timestep-inputs.js';
import type { ManualReason } from '../rules.js';

export interface StepCall {
  holder: Holder;
  /** The `recur.step(x)` call. */
  path: AnyPath;
  /** What the step reads: the sequence's timestep, or the output of an earlier step in the same iteration. */
  input: { kind: 'sequence' } | { kind: 'step'; from: StepCall } | { kind: 'other' };
  /** How the output is used. */
  use:
    | { kind: 'discard'; statement: AnyPath }
    | { kind: 'declare'; statement: AnyPath; name: string }
    | { kind: 'last'; statement: AnyPath; target: string }
    | { kind: 'collect'; statement: AnyPath; array: any }
    | { kind: 'callback-result' }
    | { kind: 'per-step' };
}

export type LoopForm = 'for-of' | 'for-index' | 'map' | 'forEach' | 'reduce';

export interface StepLoop {
  form: LoopForm;
  /** The loop statement, or the `.map/.forEach/.reduce` call. */
  path: AnyPath;
  callback?: AnyPath;
  sequence: SequenceSource;
  steps: StepCall[];
  /** Body statements that only feed steps (`const xt = x.slice(…)`): removed with the loop. */
  extractions: AnyPath[];
  /** Statements other than the steps and what consumes them: the loop is kept, reading per-step outputs. */
  hasResidual: boolean;
  /** `outer = v` / `arr.push(v)` statements that consume a declared step output. */
  consumers: Array<{ statement: AnyPath; step: StepCall; kind: 'last' | 'collect'; target: any }>;
  indexName?: string;
}

const SEQUENCE_CALLBACKS = new Set(['map', 'forEach', 'reduce']);

/** The loop or callback a step call sits in, without crossing any other function. */
export function loopAround(path: AnyPath): { kind: 'loop'; path: AnyPath } | { kind: 'callback'; path: AnyPath; call: AnyPath } | undefined {
  let child = path;
  for (const ancestor of ancestors(path)) {
    const node = ancestor.node;
    if (isFunctionNode(node)) {
      const call = ancestor.parent;
      const callee = call && isCall(call.node) ? unwrap(call.node.callee) : undefined;
      if (callee && isMember(callee) && SEQUENCE_CALLBACKS.has(propertyName(callee) ?? '') && call.node.arguments[0] === node) {
        return { kind: 'callback', path: ancestor, call };
      }
      return undefined;
    }
    if (isLoopNode(node)) return (node as any).body === child.node ? { kind: 'loop', path: ancestor } : undefined;
    child = ancestor;
  }
  return undefined;
}

/** Why a node under the loop body makes stepping conditional or the iteration count data-dependent. */
const CONDITIONAL = /^(IfStatement|ConditionalExpression|LogicalExpression|SwitchStatement|TryStatement|ForStatement|ForOfStatement|ForInStatement|WhileStatement|DoWhileStatement|LabeledStatement)$/;

function isUnconditionalIn(path: AnyPath, bodyNode: any): boolean {
  if (path.node === bodyNode) return true;
  for (const ancestor of ancestors(path)) {
    if (ancestor.node === bodyNode) return true;
    if (isFunctionNode(ancestor.node) || CONDITIONAL.test(ancestor.node.type)) return false;
    if (ancestor.node.type === 'OptionalCallExpression' || ancestor.node.type === 'OptionalMemberExpression') return false;
  }
  return false;
}

/** break / continue / return / throw that leave the iteration early (nested functions aside). */
function hasEarlyExit(bodyNode: any): boolean {
  let found = false;
  const visit = (node: any, inNestedLoop: boolean): void => {
    if (found || !node || typeof node.type !== 'string') return;
    if (isFunctionNode(node)) return;
    if (node.type === 'ReturnStatement' || node.type === 'ThrowStatement') found = true;
    if ((node.type === 'BreakStatement' || node.type === 'ContinueStatement') && (!inNestedLoop || node.label)) found = true;
    const nested = inNestedLoop || isLoopNode(node) || node.type === 'SwitchStatement';
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'comments') continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach((child) => visit(child, nested));
      else if (value && typeof value.type === 'string') visit(value, nested);
    }
  };
  visit(bodyNode, false);
  return found;
}

/** Identifiers assigned (=, +=, ++) inside a node, nested functions included. */
function assignedNames(node: any, into = new Set<string>()): Set<string> {
  if (!node || typeof node.type !== 'string') return into;
  if (node.type === 'AssignmentExpression') collectPatternNames(node.left, into);
  if (node.type === 'UpdateExpression' && node.argument.type === 'Identifier') into.add(node.argument.name);
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'comments') continue;
    const value = node[key];
    if (Array.isArray(value)) value.forEach((child) => assignedNames(child, into));
    else if (value && typeof value.type === 'string') assignedNames(value, into);
  }
  return into;
}

function collectPatternNames(pattern: any, into: Set<string>): void {
  pattern = unwrap(pattern);
  if (!pattern) return;
  if (pattern.type === 'Identifier') into.add(pattern.name);
  if (isMember(pattern)) {
    let object = unwrap(pattern.object);
    while (isMember(object)) object = unwrap(object.object);
    if (object.type === 'Identifier') into.add(object.name); // xs[i] = … mutates xs
  }
  if (pattern.type === 'ArrayPattern') pattern.elements.forEach((element: any) => collectPatternNames(element, into));
  if (pattern.type === 'ObjectPattern') pattern.properties.forEach((property: any) => collectPatternNames(property.value ?? property.argument, into));
  if (pattern.type === 'RestElement' || pattern.type === 'AssignmentPattern') collectPatternNames(pattern.argument ?? pattern.left, into);
}

/** Every Identifier (by name) read in a node. */
function mentions(node: any, name: string): number {
  let count = 0;
  const visit = (current: any): void => {
    if (!current || typeof current.type !== 'string') return;
    if (current.type === 'Identifier' && current.name === name) count++;
    for (const key of Object.keys(current)) {
      if (key === 'loc' || key === 'comments' || key === 'typeAnnotation') continue;
      const value = current[key];
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value.type === 'string') {
        // `obj.name` (non-computed) is a property, not a read of `name`.
        if (key === 'property' && !current.computed && isMember(current)) continue;
        if (key === 'key' && !current.computed && (current.type === 'ObjectProperty' || current.type === 'Property')) continue;
        visit(value);
      }
    }
  };
  visit(node);
  return count;
}

export type LoopVerdict = { ok: true; loop: StepLoop } | { ok: false; reason: ManualReason | 'per-step' };

interface LoopContext {
  /** Step calls (already resolved to holders) inside this loop body. */
  steps: Array<{ holder: Holder; path: AnyPath }>;
  /** State events (reset / state) of the stepped holders inside the body. */
  stateEventsInside: boolean;
  tfName: string | undefined;
  sameExpression: (a: any, b: any) => boolean;
}

/** Recognises a for…of / indexed for loop, or a map/forEach/reduce callback, stepping Recurs. */
export function analyzeLoop(around: NonNullable<ReturnType<typeof loopAround>>, context: LoopContext): LoopVerdict {
  const { tfName } = context;
  let form: LoopForm;
  let sequence: SequenceSource | undefined;
  let bodyNode: any;
  let bodyStatements: AnyPath[] = [];
  const elementNames = new Set<string>();
  let indexName: string | undefined;
  let limit: any;

  if (around.kind === 'callback') {
    const method = propertyName(unwrap(around.call.node.callee)) as 'map' | 'forEach' | 'reduce';
    form = method;
    const receiver = unwrap(unwrap(around.call.node.callee).object);
    const fn = around.path.node;
    const elementParam = fn.params[method === 'reduce' ? 1 : 0];
    if (elementParam?.type !== 'Identifier') return { ok: false, reason: 'unsupported-loop' };
    if (method === 'reduce' && around.call.node.arguments.length < 2) return { ok: false, reason: 'unsupported-loop' };
    elementNames.add(elementParam.name);
    const fromTensor = unstackedTensor(receiver, tfName);
    sequence = fromTensor ? { kind: 'tensor', node: fromTensor } : { kind: 'array', node: receiver };
    bodyNode = fn.body;
    if (bodyNode.type === 'BlockStatement') bodyStatements = bodyNode.body.map((_: unknown, i: number) => around.path.get('body', 'body', i));
  } else {
    const loop = around.path.node;
    bodyNode = loop.body;
    bodyStatements = bodyNode.type === 'BlockStatement'
      ? bodyNode.body.map((_: unknown, i: number) => around.path.get('body', 'body', i))
      : [around.path.get('body')];
    if (loop.type === 'ForOfStatement') {
      form = 'for-of';
      if (loop.await) return { ok: false, reason: 'unsupported-loop' };
      const left = loop.left.type === 'VariableDeclaration' ? loop.left.declarations[0]?.id : loop.left;
      if (left?.type !== 'Identifier') return { ok: false, reason: 'unsupported-loop' };
      elementNames.add(left.name);
      const fromTensor = unstackedTensor(loop.right, tfName);
      sequence = fromTensor ? { kind: 'tensor', node: fromTensor } : { kind: 'array', node: unwrap(loop.right) };
    } else if (loop.type === 'ForStatement') {
      form = 'for-index';
      const index = forIndex(loop);
      if (!index) return { ok: false, reason: 'unsupported-loop' };
      indexName = index.name;
      limit = index.bound;
    } else {
      return { ok: false, reason: 'per-step' };
    }
  }

  if (hasEarlyExit(bodyNode)) return { ok: false, reason: 'early-exit' };
  if (context.stateEventsInside) return { ok: false, reason: 'state-read-mid-loop' };

  // Each Recur steps exactly once per iteration, unconditionally.
  const seen = new Set<Holder>();
  for (const step of context.steps) {
    if (seen.has(step.holder) || !isUnconditionalIn(step.path, bodyNode)) return { ok: false, reason: 'unsupported-loop' };
    seen.add(step.holder);
  }

  // Per-step input extraction statements: `const xt = x.slice([0, t, 0], …).reshape(…)`.
  const extractions: AnyPath[] = [];
  const readsTimestep = (node: any): boolean => {
    node = unwrap(node);
    if (node?.type === 'Identifier' && elementNames.has(node.name)) return true;
    if (!indexName) return false;
    const tensor = tensorAtStep(node, indexName, tfName);
    if (tensor) return agree({ kind: 'tensor', node: unwrap(tensor) });
    const array = arrayAtStep(node, indexName);
    return array ? agree({ kind: 'array', node: array }) : false;
  };
  const agree = (candidate: SequenceSource): boolean => {
    if (!sequence) {
      sequence = candidate;
      return true;
    }
    return sequence.kind === candidate.kind && context.sameExpression(sequence.node, candidate.node);
  };
  for (const statement of bodyStatements) {
    const node = statement.node;
    if (node.type !== 'VariableDeclaration' || node.declarations.length !== 1) continue;
    const declarator = node.declarations[0];
    if (declarator.id.type === 'Identifier' && declarator.init && readsTimestep(declarator.init)) {
      elementNames.add(declarator.id.name);
      extractions.push(statement);
    }
  }

  // Steps, in source order, with their inputs and uses.
  const ordered = [...context.steps].sort((a, b) => a.path.node.start - b.path.node.start);
  const steps: StepCall[] = [];
  const declaredOutputs = new Map<string, StepCall>();
  for (const { holder, path } of ordered) {
    const argument = unwrap(path.node.arguments[0]);
    let input: StepCall['input'] = { kind: 'other' };
    if (path.node.arguments.length === 1 && readsTimestep(argument)) input = { kind: 'sequence' };
    else if (argument?.type === 'Identifier' && declaredOutputs.has(argument.name)) input = { kind: 'step', from: declaredOutputs.get(argument.name)! };
    else {
      const inner = steps.find((earlier) => earlier.path.node === argument);
      if (inner) input = { kind: 'step', from: inner };
    }
    if (input.kind === 'other') return { ok: false, reason: 'per-step' };
    const step: StepCall = { holder, path, input, use: useOf(path, bodyStatements, around) };
    if (step.use.kind === 'declare') declaredOutputs.set(step.use.name, step);
    steps.push(step);
  }
  if (!sequence) return { ok: false, reason: 'per-step' };
  if (limit !== undefined && !isFullLength(resolveShapeAlias(limit, around.path), sequence, context.sameExpression)) {
    sequence = { ...sequence, limit };
  }

  // Nothing in the body may change what later steps read.
  const stepInputs = new Set<string>([...elementNames, ...declaredOutputs.keys()]);
  if (indexName) stepInputs.add(indexName);
  if (sequence.node.type === 'Identifier') stepInputs.add(sequence.node.name);
  const writes = new Set<string>();
  for (const statement of bodyStatements) {
    if (extractions.includes(statement)) continue;
    if (steps.some((step) => (step.use as { statement?: AnyPath }).statement === statement)) continue;
    assignedNames(statement.node, writes);
  }
  if (bodyNode.type !== 'BlockStatement') assignedNames(bodyNode, writes);
  for (const name of writes) if (stepInputs.has(name)) return { ok: false, reason: 'unsupported-loop' };

  // Consumers of declared outputs, and whether anything else remains in the body.
  const consumers: StepLoop['consumers'] = [];
  let hasResidual = false;
  for (const statement of bodyStatements) {
    if (extractions.includes(statement)) {
      const name = statement.node.declarations[0].id.name;
      const usedOutsideSteps = bodyStatements.some((other) => other !== statement && mentions(other.node, name) > steps.filter((step) => stepMentions(step, name)).length);
      if (usedOutsideSteps) hasResidual = true;
      continue;
    }
    const owner = steps.find((step) => 'statement' in step.use && (step.use as { statement: AnyPath }).statement === statement);
    if (owner) continue;
    const consumer = consumerOf(statement, declaredOutputs, around);
    if (consumer) consumers.push(consumer);
    else hasResidual = true;
  }
  for (const step of steps) {
    if (step.use.kind === 'per-step') hasResidual = true;
    if (step.use.kind === 'declare') {
      const { name, statement: declaration } = step.use;
      const feedsSteps = steps.filter((later) => later.input.kind === 'step' && later.input.from === step).length;
      const consumed = consumers.filter((consumer) => consumer.step === step).length;
      const total = bodyStatements.reduce((sum, statement) => sum + (statement === declaration ? 0 : mentions(statement.node, name)), 0);
      if (total !== feedsSteps + consumed) hasResidual = true;
    }
    if (step.use.kind === 'last' && bodyStatements.some((statement) => statement !== (step.use as { statement: AnyPath }).statement && mentions(statement.node, (step.use as { target: string }).target) > 0)) {
      hasResidual = true;
    }
  }
  if (hasResidual && form === 'reduce') return { ok: false, reason: 'unsupported-loop' };
  // A kept loop reads per-step outputs by index: the iterable must be safe to read twice.
  if (hasResidual && form === 'for-of' && sequence.kind === 'array' && !isPlainReference(sequence.node)) return { ok: false, reason: 'unsupported-loop' };

  const loop: StepLoop = { form, path: around.kind === 'callback' ? around.call : around.path, sequence, steps, extractions, hasResidual, consumers };
  if (around.kind === 'callback') loop.callback = around.path;
  if (indexName) loop.indexName = indexName;
  return { ok: true, loop };
}

const isPlainReference = (node: any): boolean => node.type === 'Identifier' || (isMember(node) && !node.computed && isPlainReference(unwrap(node.object))) || node.type === 'ThisExpression' || (isCall(node) && propertyName(unwrap(node.callee)) === 'unstack');

function stepMentions(step: StepCall, name: string): boolean {
  return mentions(step.path.node.arguments[0], name) > 0;
}

/** `for (let t = 0; t < bound; t++)` (or `++t`, `t += 1`). */
function forIndex(loop: any): { name: string; bound: any } | undefined {
  const init = loop.init;
  if (init?.type !== 'VariableDeclaration' || init.declarations.length !== 1) return undefined;
  const declarator = init.declarations[0];
  if (declarator.id.type !== 'Identifier' || !declarator.init || !(unwrap(declarator.init).value === 0)) return undefined;
  const name = declarator.id.name;
  const test = loop.test;
  if (test?.type !== 'BinaryExpression' || test.operator !== '<' || unwrap(test.left).name !== name) return undefined;
  const update = loop.update;
  const increments =
    (update?.type === 'UpdateExpression' && update.operator === '++' && update.argument.name === name) ||
    (update?.type === 'AssignmentExpression' && update.operator === '+=' && update.left.name === name && unwrap(update.right).value === 1);
  return increments ? { name, bound: test.right } : undefined;
}

function useOf(path: AnyPath, bodyStatements: AnyPath[], around: NonNullable<ReturnType<typeof loopAround>>): StepCall['use'] {
  const parent = path.parent;
  if (around.kind === 'callback' && around.path.node.body === path.node) return { kind: 'callback-result' };
  const statement = bodyStatements.find((candidate) => candidate.node === parent.node || candidate.node === parent.parent?.node);
  if (parent.node.type === 'ExpressionStatement' && statement) return { kind: 'discard', statement };
  if (parent.node.type === 'VariableDeclarator' && parent.node.id.type === 'Identifier' && statement?.node.type === 'VariableDeclaration' && statement.node.declarations.length === 1 && statement.node.kind !== 'var') {
    return { kind: 'declare', statement, name: parent.node.id.name };
  }
  if (parent.node.type === 'AssignmentExpression' && parent.node.operator === '=' && parent.node.left.type === 'Identifier' && parent.parent.node.type === 'ExpressionStatement') {
    const owner = bodyStatements.find((candidate) => candidate.node === parent.parent.node);
    if (owner) return { kind: 'last', statement: owner, target: parent.node.left.name };
  }
  if (isPushCall(parent.node) && parent.parent.node.type === 'ExpressionStatement') {
    const owner = bodyStatements.find((candidate) => candidate.node === parent.parent.node);
    if (owner) return { kind: 'collect', statement: owner, array: unwrap(parent.node.callee).object };
  }
  return { kind: 'per-step' };
}

const isPushCall = (node: any): boolean => isCall(node) && isMember(unwrap(node.callee)) && propertyName(unwrap(node.callee)) === 'push' && node.arguments.length === 1;

/** `outer = v;` or `arr.push(v);` where v is a declared step output. */
function consumerOf(statement: AnyPath, declared: Map<string, StepCall>, _around: unknown): StepLoop['consumers'][number] | undefined {
  const node = statement.node;
  if (node.type !== 'ExpressionStatement') return undefined;
  const expression = node.expression;
  if (expression.type === 'AssignmentExpression' && expression.operator === '=' && expression.left.type === 'Identifier') {
    const value = unwrap(expression.right);
    if (value.type === 'Identifier' && declared.has(value.name)) return { statement, step: declared.get(value.name)!, kind: 'last', target: expression.left.name };
  }
  if (isPushCall(expression)) {
    const value = unwrap(expression.arguments[0]);
    if (value.type === 'Identifier' && declared.has(value.name)) return { statement, step: declared.get(value.name)!, kind: 'collect', target: unwrap(expression.callee).object };
  }
  return undefined;
}

/** `const [batch, time] = x.shape` makes `time` mean `x.shape[1]`: return that member form. */
function resolveShapeAlias(bound: any, at: AnyPath): any {
  bound = unwrap(bound);
  if (bound?.type !== 'Identifier') return bound;
  const binding = at.scope?.lookup(bound.name)?.getBindings()[bound.name]?.[0];
  const pattern = binding?.parent?.node;
  const declarator = binding?.parent?.parent?.node;
  if (pattern?.type !== 'ArrayPattern' || pattern.elements[1] !== binding.node || declarator?.type !== 'VariableDeclarator') return bound;
  if (declarator.kind === 'var') return bound;
  const init = unwrap(declarator.init);
  if (!isMember(init) || propertyName(init) !== 'shape') return bound;
  return { type: 'MemberExpression', object: init, property: { type: 'NumericLiteral', value: 1 }, computed: true };
}
