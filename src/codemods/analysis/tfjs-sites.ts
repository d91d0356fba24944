/**
 * What the tfjs per-step analysis reports (site kinds, the shapes the rewrite reads) and the
 * reference helpers its parts share: names of stored values, and the loop a step runs in.
 */
import { ancestors, enclosingStatement, isCall, isFunctionNode, isLoopNode, isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import { isSyncCallback } from './plan.js';
import type { ManualReason } from '../rules.js';
import type { StatefulStepping } from './tfjs-stateful-stepping.js';
import type { LayersCellStepping } from './tfjs-layers-cell-stepping.js';

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
  /** Walked with for-of: any iterable (a generator, a Set), so the generated code makes it an array. */
  iterable: boolean;
  reverse: boolean;
  /** The carry variables, in the order the code assigns them (c first, as tfjs returns them). */
  c: string;
  h: string;
  /** One entry per layer; `stacked` when the loop steps a multiRNNCell (c and h are arrays). */
  layers: BasicLstmWeights[];
  stacked: boolean;
}

/**
 * A loop whose body steps the cell once, as one statement of several (`[c, h] = step(x, c, h)`
 * among the statements that sample the next input): it keeps its loop, and the step moves to
 * `cell.step` with explicit `{ h, c }` carries.
 */
export interface SteppingLoop {
  /** The step's statement, directly in the loop body. */
  statement: AnyNode;
  /** The step's input as written. */
  input: AnyNode;
  /** The carries as the code reads them: variables, or `state[0]` / `state[1]` of a state pair. */
  c: string;
  h: string;
  layers: BasicLstmWeights[];
  stacked: boolean;
  /**
   * Set when the step's `[c, h]` result goes whole into one variable (`state = step(x, c, h)`,
   * read afterwards as `state[0]`, `state[1]`): the step becomes `cell.step` and the variable
   * gets the same `[c, h]` pair.
   */
  pairTarget?: string;
}

export type TfjsSiteKind = 'cell-loop' | 'lone-cell-step' | 'layers-cell-step' | 'stateful-layer' | 'cell-closure' | 'model-step';

export interface TfjsSite {
  kind: TfjsSiteKind;
  /** The loop, or the statement of a single step / stateful-layer use. */
  path: AnyPath;
  manual?: ManualReason;
  priming?: PrimingLoop;
  stepping?: SteppingLoop;
  /** The per-step calls of the site, each reported on its own (default: the site's path). */
  calls?: AnyPath[];
  /** For a cell closure: the sites that step it (its finding follows theirs). */
  steppedBy?: TfjsSite[];
  /** A stateful tf.layers layer whose state becomes an explicit carry (on the site at its declaration). */
  stateful?: StatefulStepping;
  /** A tf.layers cell stepped by hand whose `cell.call` becomes a step of the imported cell (on the site at its declaration). */
  layersCell?: LayersCellStepping;
  ignored: boolean;
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


/** Where a function value is stored: `const cell = …`, `this.cell = …`, `cell: …` in a class, or an array of them. */
export function storageOf(path: AnyPath): { name: string; element: boolean } | undefined {
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


/** The loop a step runs in: the nearest loop statement or array callback, within the step's function. */
export function enclosingLoop(path: AnyPath): AnyPath | undefined {
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

