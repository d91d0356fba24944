/** Turning generated code into nodes with the file's own parser, and the file's print style. */
import { parse as babelParse } from '@babel/parser';
import type { JSCodeshift } from 'jscodeshift';

export interface PrintStyle {
  quote: 'single' | 'double';
  lineTerminator: string;
  /** Generated statements stay on one line each, as they were designed to read (no call broken over lines). */
  wrapColumn: number;
  /** A reprinted arrow keeps `(x) =>` (the common style; recast would print `x =>`). */
  arrowParensAlways: boolean;
}

/** The file's quote style (from its import sources, else its string literals) and its more common line ending. */
export function printStyleOf(source: string): PrintStyle {
  const importQuote = /(?:from|require\()\s*(['"])/.exec(source)?.[1];
  const singles = (source.match(/'/g) ?? []).length;
  const doubles = (source.match(/"/g) ?? []).length;
  const quote = importQuote ? (importQuote === '"' ? 'double' : 'single') : doubles > singles ? 'double' : 'single';
  // Spliced statements take their own line's ending; a whole-file print takes the more common one.
  const crlf = source.match(/\r\n/g)?.length ?? 0;
  const lf = (source.match(/\n/g)?.length ?? 0) - crlf;
  return { quote, lineTerminator: crlf > 0 && crlf >= lf ? '\r\n' : '\n', wrapColumn: 200, arrowParensAlways: true };
}

export function parseStatements(_j: JSCodeshift, code: string): any[] {
  // Parsed without recast: generated nodes must carry no source of their own to reuse.
  const program = babelParse(code, { sourceType: 'module', plugins: ['typescript'], allowReturnOutsideFunction: true }).program;
  return program.body.map(detach);
}

/**
 * Strips what ties a generated node to the scratch source it was parsed from: recast would
 * otherwise try to reuse that source's text and layout when printing it into the file.
 */
function detach<T>(node: T): T {
  if (Array.isArray(node)) {
    node.forEach(detach);
    return node;
  }
  if (!node || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  for (const key of ['loc', 'start', 'end', 'range', 'tokens', 'extra']) delete record[key];
  // ast-types would otherwise build the value with `new RegExp`, which throws on syntax newer than this Node.
  if (record['type'] === 'RegExpLiteral') record['value'] = null;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value && typeof value === 'object') detach(value);
  }
  return node;
}

export function parseExpression(j: JSCodeshift, code: string): any {
  const [statement] = parseStatements(j, `(${code});`);
  let expression = statement.expression;
  if (expression.type === 'ParenthesizedExpression') expression = expression.expression;
  return expression;
}
