/** The fixed comment that marks a site left for manual migration, inserted once per statement. */
import type { JSCodeshift } from 'jscodeshift';
import { enclosingStatement, type AnyPath } from '../../analysis/ast.js';
import type { ManualReason } from '../../rules.js';

export const TODO_PREFIX = 'rnn-migrate(TODO:';

export const todoText = (reason: ManualReason): string => ` ${TODO_PREFIX}${reason}) see MIGRATION.md#${reason}`;

/** Adds `// rnn-migrate(TODO:<reason>)` above the site's statement unless one is there already. */
export function insertTodo(j: JSCodeshift, site: AnyPath, reason: ManualReason): boolean {
  const statement = enclosingStatement(site);
  if (!statement) return false;
  const node = statement.node;
  const comments: any[] = node.comments ?? [];
  if (comments.some((comment) => String(comment.value).includes(TODO_PREFIX))) return false;
  const todo = j.commentLine(todoText(reason), true, false);
  node.comments = [...comments.filter((comment) => comment.leading), todo, ...comments.filter((comment) => !comment.leading)];
  return true;
}
