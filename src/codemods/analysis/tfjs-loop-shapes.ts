/**
 * The loop shapes the tfjs rewrite takes: a priming loop (one `[c, h] = step(x, c, h)` over a
 * known input) and a stepping loop (the step one statement of a longer body, e.g. sampling).
 */
import jscodeshift from 'jscodeshift';
import { isFunctionNode, isMember, unwrap, type AnyPath } from './ast.js';
import { referenceName, type PrimingLoop, type SteppingLoop } from './tfjs-sites.js';

const EXIT = /^(BreakStatement|ReturnStatement|ThrowStatement)$/;

export function exitsEarly(loop: any): boolean {
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
export function assignedIn(loop: any): Set<string> {
  const assigned = new Set<string>();
  jscodeshift(loop.body).find(jscodeshift.AssignmentExpression).forEach((path: AnyPath) => {
    const left = path.node.left;
    const name = referenceName(left);
    if (name) assigned.add(name);
    for (const element of left.type === 'ArrayPattern' ? left.elements : []) if (element?.type === 'Identifier') assigned.add(element.name);
  });
  return assigned;
}


/**
 * `for (const x of xs) [c, h] = step(x, c, h)` or an indexed loop over `xs[i]`, forwards or
 * backwards, with nothing else in the body; `'argument-order'` when the assignment swaps c and h.
 */
export function primingShape(loop: AnyPath, call: AnyPath, input: any, carryArgs: any[], stepCount: number): Omit<PrimingLoop, 'layers' | 'stacked'> | 'argument-order' | undefined {
  const body = loop.node.body?.type === 'BlockStatement' ? loop.node.body.body : [loop.node.body];
  if (stepCount !== 1 || body.length !== 1 || body[0]?.type !== 'ExpressionStatement') return undefined;
  const carries = carryAssignment(body[0].expression, call, carryArgs);
  if (typeof carries !== 'object') return carries;
  const { c, h } = carries;
  const node = loop.node;
  if (node.type === 'ForOfStatement') {
    const declared = node.left.type === 'VariableDeclaration' ? node.left.declarations[0]?.id : undefined;
    if (declared?.type !== 'Identifier' || input?.type !== 'Identifier' || input.name !== declared.name) return undefined;
    return { steps: node.right, iterable: true, reverse: false, c, h };
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
  return { steps: input.object, iterable: false, reverse: backward, c, h };
}


/** `[c, h] = call` where the call takes c and h in that order; `'argument-order'` when the assignment swaps them. */
function carryAssignment(assignment: any, call: AnyPath, carryArgs: any[]): { c: string; h: string } | 'argument-order' | undefined {
  if (assignment?.type !== 'AssignmentExpression' || unwrap(assignment.right) !== call.node || assignment.left.type !== 'ArrayPattern') return undefined;
  const [c, h] = assignment.left.elements.map((element: any) => (element?.type === 'Identifier' ? element.name : undefined));
  const [cArg, hArg] = carryArgs.map((arg) => (arg?.type === 'Identifier' ? arg.name : undefined));
  if (!c || !h || assignment.left.elements.length !== 2 || !cArg || !hArg) return undefined;
  if (c === hArg && h === cArg) return 'argument-order';
  return c === cArg && h === hArg ? { c, h } : undefined;
}

/**
 * The step as one statement directly in a loop's block body (`[c, h] = step(x, c, h)`), c and h
 * assigned nowhere else in the loop: the step can move to `cell.step` in place, whatever the
 * other statements do with c and h.
 */
export function steppingShape(loop: AnyPath, call: AnyPath, carryArgs: any[], stepCount: number): Pick<SteppingLoop, 'statement' | 'c' | 'h'> | 'argument-order' | undefined {
  const statement = call.parent?.parent;
  if (stepCount !== 1 || loop.node.body?.type !== 'BlockStatement' || statement?.node.type !== 'ExpressionStatement' || !loop.node.body.body.includes(statement.node)) return undefined;
  const carries = carryAssignment(statement.node.expression, call, carryArgs);
  if (typeof carries !== 'object') return carries;
  let writes = 0;
  jscodeshift(loop.node.body).find(jscodeshift.Node).forEach((path: AnyPath) => {
    const node = path.node;
    const targets = node.type === 'AssignmentExpression' ? [node.left] : node.type === 'UpdateExpression' ? [node.argument] : node.type === 'VariableDeclarator' ? [node.id] : [];
    for (const target of targets) {
      const names = target.type === 'ArrayPattern' ? target.elements.map((element: any) => element?.name) : [target.name];
      if (names.includes(carries.c) || names.includes(carries.h)) writes++;
    }
  });
  return writes === 1 ? { statement: statement.node, ...carries } : undefined;
}

/**
 * The step's `[c, h]` result kept whole in one variable, `state = step(x, c, h)` as a statement
 * directly in the loop's block body (Magenta's sketch_rnn: `newState = tf.basicLSTMCell(…)`, then
 * `c = newState[0]; h = newState[1]`). `cell.step` gives the same pair, so the step moves in
 * place and the variable gets `[c', h']` as before, whatever the loop does with it afterwards.
 */
export function pairSteppingShape(loop: AnyPath, call: AnyPath, carryArgs: any[], stepCount: number): Pick<SteppingLoop, 'statement' | 'c' | 'h' | 'pairTarget'> | undefined {
  const whole = wholeResultStatement(loop, call, stepCount);
  const [c, h] = carryArgs.map((arg) => (arg?.type === 'Identifier' ? (arg.name as string) : undefined));
  if (!whole || carryArgs.length !== 2 || !c || !h || c === h || whole.target === c || whole.target === h) return undefined;
  return { statement: whole.statement, c, h, pairTarget: whole.target };
}

/**
 * A state-pair closure stepped as `state = lstm(x, state)` directly in the loop's block body
 * (Magenta's BidirectionalLstm): the pair goes in as `{ h: state[1], c: state[0] }` and comes
 * back as `[c', h']`, as the closure returned it.
 */
export function statePairSteppingShape(loop: AnyPath, call: AnyPath, carryArgs: any[], stepCount: number): Pick<SteppingLoop, 'statement' | 'c' | 'h' | 'pairTarget'> | undefined {
  const whole = wholeResultStatement(loop, call, stepCount);
  const state = carryArgs.length === 1 && carryArgs[0]?.type === 'Identifier' ? (carryArgs[0].name as string) : undefined;
  if (!whole || whole.target !== state) return undefined;
  return { statement: whole.statement, c: `${state}[0]`, h: `${state}[1]`, pairTarget: state };
}

/** `target = call;` as a statement directly in the loop's block body, the loop's only step. */
function wholeResultStatement(loop: AnyPath, call: AnyPath, stepCount: number): { statement: any; target: string } | undefined {
  const statement = call.parent?.parent;
  const assignment = statement?.node.expression;
  if (stepCount !== 1 || loop.node.body?.type !== 'BlockStatement' || statement?.node.type !== 'ExpressionStatement' || !loop.node.body.body.includes(statement.node)) return undefined;
  if (assignment?.type !== 'AssignmentExpression' || assignment.operator !== '=' || assignment.left.type !== 'Identifier' || unwrap(assignment.right) !== call.node) return undefined;
  return { statement: statement.node, target: assignment.left.name as string };
}
