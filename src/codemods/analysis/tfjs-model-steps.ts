/**
 * A tf.layers model stepped once per timestep with its recurrent state threaded by hand: the
 * Keras seq2seq inference decoder (`[y, h, c] = decoder.predict([x, ...states])`, then
 * `states = [h, c]`). What marks it, and keeps ordinary predict loops out, is the feedback: an
 * output other than the first goes back unchanged into the next call's inputs. A classifier
 * called per item feeds nothing back; a model iterated on its own (whole) output, or on a value
 * sampled from it, is not threading a state.
 */
import jscodeshift from 'jscodeshift';
import { isCall, isMember, propertyName, unwrap, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { enclosingLoop, referenceName, type TfjsSite } from './tfjs-sites.js';

const MODEL_STEP_METHODS = new Set(['predict', 'apply', 'execute']);

export function findModelStepSites(index: NodeIndex, namespaces: ReadonlySet<string>, add: (site: Omit<TfjsSite, 'ignored'>) => void): void {
  if (namespaces.size === 0) return; // a file that imports no tfjs has no tf.layers model of its own
  for (const path of index.of('CallExpression')) {
    const callee = unwrap(path.node.callee);
    if (!isMember(callee) || !MODEL_STEP_METHODS.has(propertyName(callee) ?? '')) continue;
    const receiver = unwrap(callee.object);
    if (receiver?.type === 'Identifier' && namespaces.has(receiver.name)) continue;
    const loop = enclosingLoop(path);
    if (loop && feedsStateBack(loop, path)) add({ kind: 'model-step', path: loop, manual: 'model-state-loop', calls: [path] });
  }
}

/** Does the loop assign an output of the call other than the first, unchanged, to a variable the call reads? */
function feedsStateBack(loop: AnyPath, call: AnyPath): boolean {
  const outputs = outputsOf(call);
  if (!outputs) return false;
  const body = loop.node.body;
  // `const h = outputs[1]`: a later output under a name of its own.
  jscodeshift(body).find(jscodeshift.VariableDeclarator).forEach((path: AnyPath) => {
    if (path.node.id.type === 'Identifier' && isLaterOutput(path.node.init, outputs)) outputs.later.add(path.node.id.name);
  });
  const read = identifiersIn(call.node.arguments);
  let found = false;
  jscodeshift(body).find(jscodeshift.AssignmentExpression).forEach((path: AnyPath) => {
    const target = referenceName(path.node.left);
    if (!target || !read.has(target)) return;
    const value = unwrap(path.node.right);
    const values = value?.type === 'ArrayExpression' ? value.elements : [value];
    if (values.length > 0 && values.every((element: any) => isLaterOutput(element, outputs))) found = true;
  });
  return found;
}

interface Outputs {
  /** The variable holding the whole result (`const outputs = model.predict(…)`). */
  whole?: string;
  /** Names holding an output other than the first. */
  later: Set<string>;
}

function outputsOf(call: AnyPath): Outputs | undefined {
  // Past the casts and parentheses around the call (`model.predict(x) as tf.Tensor[]`).
  let current = call;
  while (current.parent && unwrap(current.parent.node) === call.node) current = current.parent;
  const parent = current.parent?.node;
  const target = parent?.type === 'VariableDeclarator' ? parent.id : parent?.type === 'AssignmentExpression' && parent.right === current.node ? parent.left : undefined;
  if (target?.type === 'Identifier') return { whole: target.name, later: new Set() };
  if (target?.type !== 'ArrayPattern') return undefined;
  const later = target.elements.slice(1).flatMap((element: any) => (element?.type === 'Identifier' ? [element.name] : []));
  return { later: new Set(later) };
}

/** A name for an output other than the first, `outputs[k]` with k ≥ 1, or `outputs.slice(k)` with k ≥ 1. */
function isLaterOutput(node: any, outputs: Outputs): boolean {
  node = unwrap(node);
  if (node?.type === 'Identifier') return outputs.later.has(node.name);
  if (!outputs.whole) return false;
  const laterIndex = (index: any): boolean => typeof unwrap(index)?.value === 'number' && unwrap(index).value >= 1;
  if (isMember(node) && node.computed) return referenceName(node.object) === outputs.whole && laterIndex(node.property);
  if (node?.type === 'SpreadElement') return isLaterOutput(node.argument, outputs);
  return isCall(node) && isMember(node.callee) && propertyName(node.callee) === 'slice' && referenceName(node.callee.object) === outputs.whole && laterIndex(node.arguments[0]);
}

/** Variables (and `this.x` paths) an expression reads. */
function identifiersIn(nodes: any[]): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) {
    jscodeshift(node).find(jscodeshift.Node).forEach((path: AnyPath) => {
      const parent = path.parent?.node;
      if (isMember(parent) && parent.property === path.node && !parent.computed) return;
      const name = path.node.type === 'Identifier' || isMember(path.node) ? referenceName(path.node) : undefined;
      if (name) names.add(name);
    });
    const top = referenceName(node);
    if (top) names.add(top);
  }
  return names;
}
