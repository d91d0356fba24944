/**
 * Tensor lifetimes in generated code. A legacy `recur.step` ran inside its own tf.tidy and
 * released the state it replaced; the blocked code it becomes must not allocate more that the
 * program cannot reach. Two tools: a blocked call outside any tidy scope is wrapped in
 * `tf.tidy(() => …)` returning only what the code reads (the stacked input, an unread output
 * sequence or cell state are released), and a replaced carry is disposed (see migrate.ts).
 */
import { ancestors, isCall, isFunctionNode, isMember, propertyName, unwrap, type AnyPath } from '../../analysis/ast.js';
import { isSyncCallback } from '../../analysis/plan.js';

/** Calls whose callback runs inside a tidy scope of tfjs (gradients run their function in one). */
const TIDY_SCOPES = new Set(['tidy', 'minimize', 'grad', 'grads', 'valueAndGrad', 'valueAndGrads', 'variableGrads', 'customGrad']);

/** Whether code at `path` runs inside a tf.tidy-like scope (crossing only callbacks that run in place). */
export function insideTidyScope(path: AnyPath): boolean {
  for (const ancestor of ancestors(path)) {
    if (!isFunctionNode(ancestor.node)) continue;
    const call = ancestor.parent?.node;
    if (isCall(call) && call.arguments.includes(ancestor.node)) {
      const callee = unwrap(call.callee);
      const name = callee.type === 'Identifier' ? callee.name : isMember(callee) ? propertyName(callee) : undefined;
      if (name !== undefined && TIDY_SCOPES.has(name)) return true;
    }
    if (!isSyncCallback(ancestor)) return false;
  }
  return false;
}

/** Tensor methods and tf ops that only compute (never keep their inputs or results anywhere). */
const PURE_METHODS = new Set(['slice', 'reshape', 'squeeze', 'expandDims', 'gather', 'unstack', 'stack', 'concat', 'transpose', 'cast', 'asType', 'toFloat', 'clone', 'tanh', 'sigmoid', 'relu', 'add', 'sub', 'mul', 'div', 'matMul']);

/**
 * Whether evaluating a user expression inside a tidy is harmless: it only reads bindings and
 * calls tf ops. A user function could create a tensor and cache it, which the tidy would dispose.
 */
export function isInert(node: any, tfName: string | undefined): boolean {
  node = unwrap(node);
  if (!node) return true;
  switch (node.type) {
    case 'Identifier':
    case 'ThisExpression':
    case 'NumericLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
    case 'Literal':
      return true;
    case 'MemberExpression':
      return isInert(node.object, tfName) && (!node.computed || isInert(node.property, tfName));
    case 'ArrayExpression':
      return node.elements.every((element: any) => isInert(element, tfName));
    case 'UnaryExpression':
      return node.operator !== 'delete' && isInert(node.argument, tfName);
    case 'BinaryExpression':
      return isInert(node.left, tfName) && isInert(node.right, tfName);
    case 'CallExpression': {
      const callee = unwrap(node.callee);
      if (!isMember(callee) || !node.arguments.every((argument: any) => isInert(argument, tfName))) return false;
      const object = unwrap(callee.object);
      if (object.type === 'Identifier' && object.name === tfName) return true;
      return PURE_METHODS.has(propertyName(callee) ?? '') && isInert(callee.object, tfName);
    }
    default:
      return false;
  }
}

/**
 * Whether `target` is the first thing its statement evaluates, so it can move into a `const`
 * just before the statement without changing the order of effects.
 */
export function isEvaluatedFirst(statement: any, target: any): boolean {
  let node = statement;
  for (let depth = 0; node && depth < 32; depth++) {
    if (node === target) return true;
    node = unwrap(node);
    if (node === target) return true;
    switch (node.type) {
      case 'ExpressionStatement':
        node = node.expression;
        break;
      case 'ReturnStatement':
        node = node.argument;
        break;
      case 'VariableDeclaration':
        if (node.declarations.length !== 1) return false;
        node = node.declarations[0].init;
        break;
      case 'AssignmentExpression':
        if (unwrap(node.left).type !== 'Identifier') return false;
        node = node.right;
        break;
      case 'CallExpression': {
        // The callee's object is evaluated first; a bare name or `tf.op` evaluates nothing, so then the first argument is.
        const callee = unwrap(node.callee);
        const object = isMember(callee) ? callee.object : undefined;
        if (object === target || (object && unwrap(object) === target)) return true;
        const bare = callee.type === 'Identifier' || (object && /^(Identifier|ThisExpression)$/.test(unwrap(object).type));
        node = bare ? node.arguments[0] : object;
        break;
      }
      case 'MemberExpression':
        node = node.object;
        break;
      default:
        return false;
    }
  }
  return false;
}

/**
 * Wraps each blocked call among generated statements (`layer.apply(…)` with what reads it:
 * `.carry`, `.carry.h`, `.output`, `tf.unstack(…, 1)`, a layer stacked on it) in
 * `tf.tidy(() => …)`, so what the legacy step released inside its own tidy is released here too.
 */
export function wrapBlockedCallsInTidy(j: any, nodes: any[], layerRefs: Set<string>, tfName: string): void {
  const source = (node: any): string => j(node).toSource();
  for (const root of nodes) {
    const tops = new Set<any>();
    const paths: AnyPath[] = [];
    j(root).find(j.CallExpression).forEach((path: AnyPath) => {
      const callee = path.node.callee;
      if (isMember(callee) && propertyName(callee) === 'apply' && layerRefs.has(source(callee.object))) paths.push(path);
    });
    // Tops first, replaced after: a layer stacked on another climbs to the same top as it.
    const topPaths: AnyPath[] = [];
    for (const path of paths) {
      let top = path;
      for (;;) {
        const parent = top.parent;
        if (!parent) break;
        const node = parent.node;
        if (isMember(node) && node.object === top.node) top = parent;
        else if (isCall(node) && node.arguments[0] === top.node && isBlockedReader(node, layerRefs, tfName, source)) top = parent;
        else break;
      }
      if (!tops.has(top.node)) {
        tops.add(top.node);
        topPaths.push(top);
      }
    }
    for (const top of topPaths) {
      top.replace(j.callExpression(j.memberExpression(j.identifier(tfName), j.identifier('tidy')), [j.arrowFunctionExpression([], top.node)]));
    }
  }
}

function isBlockedReader(call: any, layerRefs: Set<string>, tfName: string, source: (node: any) => string): boolean {
  const callee = call.callee;
  if (!isMember(callee)) return false;
  const name = propertyName(callee);
  if (name === 'apply') return layerRefs.has(source(callee.object));
  return (name === 'unstack' || name === 'squeeze') && callee.object.type === 'Identifier' && callee.object.name === tfName;
}
