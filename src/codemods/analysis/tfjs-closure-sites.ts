/**
 * Cell closures over `tf.basicLSTMCell` as sites of their own: each is reported at its
 * tf.basicLSTMCell call, with the verdict of the sites that step it (rewritten when every one of
 * them is; else left with the first one's reason). A closure the code steps under a name the
 * analysis cannot follow (returned from a builder, pushed into a field through a factory) goes with
 * the file's step calls whose cells are not known; a closure nothing steps (say, once its loops are
 * rewritten) is not reported.
 */
import jscodeshift from 'jscodeshift';
import { ancestors, enclosingStatement, isCall, isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import { referenceName, type TfjsSite } from './tfjs-sites.js';

export interface ClosureRecord {
  /** The tf.basicLSTMCell call the closure returns. */
  call: AnyPath;
  fn: AnyPath;
  /** The name the closure is stored under (`cell`, `this.cells`), when visible. */
  storage?: string;
}

/** `(data, state) => tf.basicLSTMCell(fb, k, b, data, state[0], state[1])`: the state as one [c, h] pair. */
export function isStatePairClosure(fn: AnyPath, call: AnyPath): boolean {
  const params = fn.node.params;
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  if (params.length !== 2 || args.length !== 6 || params.some((param: any) => param.type !== 'Identifier')) return false;
  const [data, state] = params.map((param: any) => param.name as string);
  const elementOfState = (arg: any, index: number): boolean =>
    isMember(arg) && arg.computed && unwrap(arg.object)?.type === 'Identifier' && unwrap(arg.object).name === state && unwrap(arg.property)?.value === index;
  return args[3]?.type === 'Identifier' && args[3].name === data && elementOfState(args[4], 0) && elementOfState(args[5], 1);
}

/**
 * The names of the cells a step call steps: `[]` for a direct tf.basicLSTMCell, the stack's name
 * (or its elements' names) for tf.multiRNNCell, the closure's name for a closure call; undefined
 * when one is not a plain name.
 */
function cellNamesOf(call: AnyPath, op: string | undefined): string[] | undefined {
  if (op === 'basicLSTMCell') return [];
  const args = call.node.arguments.map((arg: any) => unwrap(arg));
  const named = (nodes: any[]): string[] | undefined => {
    const names = nodes.map((node) => referenceName(node));
    return names.every((name): name is string => name !== undefined) ? names : undefined;
  };
  if (op === 'multiRNNCell') return args[0]?.type === 'ArrayExpression' ? named(args[0].elements) : named([args[0]]);
  const callee = unwrap(call.node.callee);
  return named([isMember(callee) && callee.computed ? callee.object : callee]);
}

/**
 * Is the closure handed on under another name (returned, passed, stored elsewhere) rather than
 * only called or stacked under its own? Unstored closures (built inside a factory) are.
 */
function escapes(record: ClosureRecord): boolean {
  if (record.storage === undefined) return true;
  const program = [...ancestors(record.fn)].pop()!;
  let handedOn = false;
  jscodeshift(program.node).find(jscodeshift.Node).forEach((path: AnyPath) => {
    const node = path.node;
    if (handedOn || (node.type !== 'Identifier' && !isMember(node)) || referenceName(node) !== record.storage) return;
    const parent = path.parent?.node;
    if (isMember(parent) && parent.object === node) {
      // `cells.push(…)`, `cells.length`, `cells[i](…)`: uses of the stack itself.
      return;
    }
    if (isMember(parent) && parent.property === node && !parent.computed) return;
    if (isCall(parent) && (parent.callee === node || (parent.arguments[0] === node && propertyName(parent.callee) === 'multiRNNCell'))) return;
    if (parent?.type === 'ArrayExpression' && isCall(path.parent.parent?.node) && propertyName(path.parent.parent.node.callee) === 'multiRNNCell') return;
    if ((parent?.type === 'VariableDeclarator' && parent.id === node) || (parent?.type === 'AssignmentExpression' && parent.left === node)) return;
    if ((parent?.type === 'ClassProperty' || parent?.type === 'PropertyDefinition') && parent.key === node) return;
    if (node.type === 'Identifier' && (parent?.type === 'FunctionDeclaration' && parent.id === node)) return;
    handedOn = true;
  });
  return handedOn;
}

export function closureSites(
  records: readonly ClosureRecord[],
  stepCalls: readonly AnyPath[],
  stepSites: ReadonlyMap<AnyNode, TfjsSite>,
  opOf: (call: AnyPath) => string | undefined,
): Omit<TfjsSite, 'ignored'>[] {
  const stored = new Set(records.flatMap((record) => (record.storage ? [record.storage] : [])));
  const steps = stepCalls.map((call) => {
    const names = cellNamesOf(call, opOf(call));
    return { call, names, known: names !== undefined && names.every((name) => stored.has(name)) };
  });
  const sites: Omit<TfjsSite, 'ignored'>[] = [];
  for (const record of records) {
    const named = steps.filter((step) => record.storage !== undefined && step.names?.includes(record.storage));
    const linked = named.length > 0 ? named : escapes(record) ? steps.filter((step) => !step.known) : [];
    const steppedBy = [...new Set(linked.map((step) => stepSites.get(step.call.node)!))].filter((site) => !site.ignored);
    if (steppedBy.length === 0) continue;
    const manual = steppedBy.find((site) => site.manual)?.manual;
    sites.push({ kind: 'cell-closure', path: enclosingStatement(record.fn) ?? record.fn, calls: [record.call], steppedBy, ...(manual ? { manual } : {}) });
  }
  return sites;
}
