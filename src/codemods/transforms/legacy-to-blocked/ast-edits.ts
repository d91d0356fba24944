/** Generic AST queries and statement edits the rewrite features share. */
import { enclosingStatement, isFunctionNode, isMember, propertyName, unwrap, type AnyPath } from '../../analysis/ast.js';

const CONDITIONAL = /^(IfStatement|ConditionalExpression|LogicalExpression|SwitchStatement|TryStatement|ForStatement|ForOfStatement|ForInStatement|WhileStatement|DoWhileStatement|OptionalCallExpression|OptionalMemberExpression)$/;

export const memberName = (node: any): string | undefined => (isMember(node) ? propertyName(node) : undefined);

export const unparenthesized = (node: any): any => (node?.type === 'ParenthesizedExpression' ? node.expression : node);

export const isNullLiteral = (node: any): boolean => {
  node = unwrap(node);
  return node?.type === 'NullLiteral' || (node?.type === 'Literal' && node.value === null);
};

export const isAxisOne = (node: any): boolean => {
  node = unwrap(node);
  return (node?.type === 'NumericLiteral' || node?.type === 'Literal') && node.value === 1;
};

/** Where a single step sits: a whole statement, unconditionally inside one, an arrow's whole body, or only an expression slot. */
export function singleStepPlace(stepPath: AnyPath): 'statement' | 'inside-statement' | 'arrow-body' | 'expression' {
  const statement = enclosingStatement(stepPath);
  const parent = stepPath.parent?.node;
  if (parent?.type === 'ArrowFunctionExpression' && parent.body === stepPath.node) return 'arrow-body';
  if (!statement) return 'expression';
  if (statement.node.type === 'ExpressionStatement' && unwrap(statement.node.expression) === stepPath.node) return 'statement';
  return isUnconditionalWithin(stepPath, statement.node) ? 'inside-statement' : 'expression';
}

function isUnconditionalWithin(path: AnyPath, statementNode: any): boolean {
  for (let current = path.parent; current; current = current.parent) {
    if (current.node === statementNode) return !CONDITIONAL.test(statementNode.type);
    if (isFunctionNode(current.node) || CONDITIONAL.test(current.node.type)) return false;
  }
  return false;
}

/** Removes a statement from its list by identity (paths into the list may be stale after splices). */
export function removeStatement(path: AnyPath): void {
  const list = path.parentPath?.value;
  const index = Array.isArray(list) ? list.indexOf(path.node) : -1;
  if (index >= 0) list.splice(index, 1);
}

/** Replaces a statement by several, moving its leading comments onto the first. */
export function replaceStatement(path: AnyPath, statements: any[]): void {
  const comments = path.node.comments?.filter((comment: any) => comment.leading);
  if (statements.length === 0) {
    path.prune();
    return;
  }
  if (comments?.length) statements[0].comments = [...comments, ...(statements[0].comments ?? [])];
  path.replace(...statements);
}

export function insertBefore(path: AnyPath, statements: any[]): void {
  if (statements.length === 0) return;
  const comments = path.node.comments?.filter((comment: any) => comment.leading);
  if (comments?.length) {
    // The loop's leading comment describes the loop's work, which now starts at the blocked call.
    statements[0].comments = comments;
    path.node.comments = path.node.comments.filter((comment: any) => !comment.leading);
  }
  path.insertBefore(...statements);
}
