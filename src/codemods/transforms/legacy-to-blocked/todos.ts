/**
 * The fixed comment that marks a site left for manual migration, inserted once above its
 * statement. Inserted as text (not through the AST) so the site itself stays byte for byte.
 */
import { enclosingStatement } from '../../analysis/ast.js';
import type { ManualSite } from '../../analysis/index.js';
import type { ManualReason } from '../../rules.js';
import type { OffsetOf } from './source-positions.js';

export const TODO_PREFIX = 'rnn-migrate(TODO:';

export const todoComment = (reason: ManualReason): string => `// ${TODO_PREFIX}${reason}) see MIGRATION.md#${reason}`;

/** The source with a TODO line above each manual site that lacks one. */
export function insertTodoLines(source: string, sites: ManualSite[], offsetOf: OffsetOf): string {
  const insertions = new Map<number, string>();
  for (const site of sites) {
    const statement = enclosingStatement(site.path) ?? site.path;
    if (typeof statement.node.start !== 'number') continue;
    const start = offsetOf(statement.node.start);
    const lineStart = source.lastIndexOf('\n', start - 1) + 1;
    const indent = source.slice(lineStart, start);
    if (!/^[ \t]*$/.test(indent)) continue; // the statement shares its line: no clean place for a comment
    const previousLineStart = source.lastIndexOf('\n', lineStart - 2) + 1;
    if (source.slice(previousLineStart, lineStart).includes(TODO_PREFIX)) continue;
    // The comment line ends as the statement's own line does.
    const newline = source.indexOf('\n', start);
    const lineTerminator = newline > 0 && source[newline - 1] === '\r' ? '\r\n' : '\n';
    if (!insertions.has(lineStart)) insertions.set(lineStart, `${indent}${todoComment(site.reason)}${lineTerminator}`);
  }
  let output = source;
  for (const [offset, text] of [...insertions].sort((a, b) => b[0] - a[0])) {
    output = output.slice(0, offset) + text + output.slice(offset);
  }
  return output;
}
