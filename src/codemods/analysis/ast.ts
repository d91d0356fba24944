/** Small AST helpers shared by the analysis and the rewrite (type guards, ancestors, positions). */
import type { ASTNode, ASTPath } from 'jscodeshift';

export type AnyNode = ASTNode & { type: string; start?: number; end?: number; loc?: any };
export type AnyPath = ASTPath<any>;

export const isFunctionNode = (node: AnyNode): boolean =>
  node.type === 'ArrowFunctionExpression' ||
  node.type === 'FunctionExpression' ||
  node.type === 'FunctionDeclaration' ||
  node.type === 'ObjectMethod' ||
  node.type === 'ClassMethod' ||
  node.type === 'ClassPrivateMethod';

export const isLoopNode = (node: AnyNode): boolean =>
  node.type === 'ForOfStatement' ||
  node.type === 'ForStatement' ||
  node.type === 'ForInStatement' ||
  node.type === 'WhileStatement' ||
  node.type === 'DoWhileStatement';

/** Name of a non-computed member property (`a.b` → 'b', `a['b']` → 'b'); undefined when dynamic. */
export function propertyName(member: any): string | undefined {
  const property = member.property;
  if (!member.computed && property.type === 'Identifier') return property.name;
  if (property.type === 'StringLiteral' || (property.type === 'Literal' && typeof property.value === 'string')) {
    return property.value;
  }
  return undefined;
}

export const isMember = (node: any): boolean =>
  node?.type === 'MemberExpression' || node?.type === 'OptionalMemberExpression';

export const isCall = (node: any): boolean =>
  node?.type === 'CallExpression' || node?.type === 'OptionalCallExpression';

/** Unwraps TS-only wrappers that do not change a value (`x as T`, `x!`, `<T>x`, parentheses). */
export function unwrap(node: any): any {
  while (
    node &&
    (node.type === 'TSAsExpression' ||
      node.type === 'TSNonNullExpression' ||
      node.type === 'TSTypeAssertion' ||
      node.type === 'TSSatisfiesExpression' ||
      node.type === 'ParenthesizedExpression')
  ) {
    node = node.expression;
  }
  return node;
}

export function* ancestors(path: AnyPath): Generator<AnyPath> {
  for (let current = path.parentPath; current; current = current.parentPath) {
    if (current.node && current.value === current.node) yield current;
  }
}

/** The path of the nearest ancestor (or self) that is a statement directly inside a statement list. */
export function enclosingStatement(path: AnyPath): AnyPath | undefined {
  for (let current: AnyPath | null = path; current; current = current.parentPath) {
    if (Array.isArray(current.parentPath?.value) && /Statement|Declaration$/.test(current.node?.type ?? '')) {
      const list = current.parentPath.parentPath?.node;
      if (list && (list.type === 'BlockStatement' || list.type === 'Program' || list.type === 'SwitchCase' || list.type === 'StaticBlock')) {
        return current;
      }
    }
  }
  return undefined;
}

export const startOf = (node: AnyNode): number => (node as any).start ?? 0;

/** Same node by identity or by source range (recast may hand out different wrappers). */
export const sameNode = (a: AnyNode, b: AnyNode): boolean => a === b || (startOf(a) === startOf(b) && (a as any).end === (b as any).end && a.type === b.type);

/** Does `outer` contain `inner` (by source range)? */
export const contains = (outer: AnyNode, inner: AnyNode): boolean =>
  startOf(outer) <= startOf(inner) && ((inner as any).end ?? 0) <= ((outer as any).end ?? 0);

/** Every identifier name the file uses (for picking fresh names). */
export function collectNames(root: any): Set<string> {
  const names = new Set<string>();
  const visit = (node: any): void => {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'Identifier' || node.type === 'JSXIdentifier') names.add(node.name);
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'tokens' || key === 'comments') continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && typeof value.type === 'string') visit(value);
    }
  };
  visit(root);
  return names;
}

export function freshName(base: string, taken: Set<string>): string {
  let name = base;
  for (let suffix = 2; taken.has(name); suffix++) name = `${base}${suffix}`;
  taken.add(name);
  return name;
}
