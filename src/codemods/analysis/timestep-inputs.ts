/**
 * Per-timestep inputs and the whole sequence they come from: `for (const x of xs)` (an array of
 * [batch, features] tensors), `xs[t]`, `x.slice([0, t, 0], [-1, 1, -1]).reshape(…)`,
 * `tf.gather(x, t, 1)`, `tf.unstack(x, 1)[t]`. The blocked call then takes the array stacked on
 * axis 1, or the existing 3D tensor itself (no slicing copies).
 */
import { isCall, isMember, propertyName, unwrap } from './ast.js';

export type SequenceSource =
  | { kind: 'array'; node: any; limit?: any }
  | { kind: 'tensor'; node: any; limit?: any };

const calleeName = (call: any): string | undefined => {
  const callee = unwrap(call.callee);
  if (callee.type === 'Identifier') return callee.name;
  return isMember(callee) ? propertyName(callee) : undefined;
};

/** `tf.op(x, …)` / `x.op(…)`: the tensor operand and the remaining arguments. */
function operandAndArgs(call: any, tfName: string | undefined): { operand: any; args: any[] } | undefined {
  const callee = unwrap(call.callee);
  if (isMember(callee) && unwrap(callee.object).type === 'Identifier' && unwrap(callee.object).name === tfName) {
    return call.arguments.length > 0 ? { operand: call.arguments[0], args: call.arguments.slice(1) } : undefined;
  }
  if (isMember(callee)) return { operand: callee.object, args: call.arguments };
  return undefined;
}

const isNumber = (node: any, value: number): boolean => {
  node = unwrap(node);
  if (node?.type === 'UnaryExpression' && node.operator === '-') return isNumber(node.argument, -value);
  return (node?.type === 'NumericLiteral' || node?.type === 'Literal') && node.value === value;
};

const isIndex = (node: any, index: string): boolean => unwrap(node)?.type === 'Identifier' && unwrap(node).name === index;

/** `x.slice([0, t, 0], [-1 | B, 1, -1 | F])` → x (still [batch, 1, features]). */
function sliceAtStep(node: any, index: string, tfName: string | undefined): any {
  node = unwrap(node);
  if (!isCall(node) || calleeName(node) !== 'slice') return undefined;
  const parts = operandAndArgs(node, tfName);
  if (!parts || parts.args.length !== 2) return undefined;
  const [begin, size] = parts.args.map(unwrap);
  if (begin.type !== 'ArrayExpression' || size.type !== 'ArrayExpression') return undefined;
  if (begin.elements.length !== 3 || size.elements.length !== 3) return undefined;
  if (!isNumber(begin.elements[0], 0) || !isIndex(begin.elements[1], index) || !isNumber(begin.elements[2], 0)) return undefined;
  if (!isNumber(size.elements[1], 1)) return undefined;
  return parts.operand;
}

/** The 3D tensor `node` takes timestep `index` of, or undefined. */
export function tensorAtStep(node: any, index: string, tfName: string | undefined): any {
  node = unwrap(node);
  if (!isCall(node) && !(isMember(node) && node.computed)) return undefined;
  // tf.unstack(x, 1)[t] / x.unstack(1)[t]
  if (isMember(node)) {
    const object = unwrap(node.object);
    if (!isIndex(node.property, index) || !isCall(object) || calleeName(object) !== 'unstack') return undefined;
    const parts = operandAndArgs(object, tfName);
    return parts && parts.args.length === 1 && isNumber(parts.args[0], 1) ? parts.operand : undefined;
  }
  const name = calleeName(node);
  const parts = operandAndArgs(node, tfName);
  if (!parts) return undefined;
  // x.gather(t, 1) / tf.gather(x, t, 1): a scalar index drops the time axis.
  if (name === 'gather') {
    return parts.args.length === 2 && isIndex(parts.args[0], index) && isNumber(parts.args[1], 1) ? parts.operand : undefined;
  }
  // x.slice(…).reshape(…) / .squeeze(…) / .as2D(…)
  if (name === 'reshape' || name === 'squeeze' || name === 'as2D') {
    if (name === 'squeeze' && parts.args.length === 1 && !isSqueezeOfTimeAxis(parts.args[0])) return undefined;
    return sliceAtStep(parts.operand, index, tfName);
  }
  return undefined;
}

const isSqueezeOfTimeAxis = (axes: any): boolean => {
  axes = unwrap(axes);
  return isNumber(axes, 1) || (axes.type === 'ArrayExpression' && axes.elements.length === 1 && isNumber(axes.elements[0], 1));
};

/** `xs[t]` → xs. */
export function arrayAtStep(node: any, index: string): any {
  node = unwrap(node);
  if (!isMember(node) || !node.computed || !isIndex(node.property, index)) return undefined;
  const object = unwrap(node.object);
  return object.type === 'Identifier' || isMember(object) ? object : undefined;
}

/** `tf.unstack(x, 1)` / `x.unstack(1)` used as the iterable of a loop → x; else undefined. */
export function unstackedTensor(node: any, tfName: string | undefined): any {
  node = unwrap(node);
  if (!isCall(node) || calleeName(node) !== 'unstack') return undefined;
  const parts = operandAndArgs(node, tfName);
  return parts && parts.args.length === 1 && isNumber(parts.args[0], 1) ? parts.operand : undefined;
}

/** Is `bound` (of `t < bound`) the full length of the sequence: `xs.length` / `x.shape[1]`? */
export function isFullLength(bound: any, source: SequenceSource, sameExpression: (a: any, b: any) => boolean): boolean {
  bound = unwrap(bound);
  if (!isMember(bound)) return false;
  if (source.kind === 'array') return propertyName(bound) === 'length' && sameExpression(bound.object, source.node);
  const shape = unwrap(bound.object);
  return bound.computed && isNumber(bound.property, 1) && isMember(shape) && propertyName(shape) === 'shape' && sameExpression(shape.object, source.node);
}
