/** Turning generated code into nodes with the file's own parser, and the file's print style. */
import type { JSCodeshift } from 'jscodeshift';

export interface PrintStyle {
  quote: 'single' | 'double';
  lineTerminator: string;
}

/** The file's quote style (from its import sources, else its string literals) and line endings. */
export function printStyleOf(source: string): PrintStyle {
  const importQuote = /(?:from|require\()\s*(['"])/.exec(source)?.[1];
  const singles = (source.match(/'/g) ?? []).length;
  const doubles = (source.match(/"/g) ?? []).length;
  const quote = importQuote ? (importQuote === '"' ? 'double' : 'single') : doubles > singles ? 'double' : 'single';
  return { quote, lineTerminator: source.includes('\r\n') ? '\r\n' : '\n' };
}

export function parseStatements(j: JSCodeshift, code: string): any[] {
  const program = (j(code).get().node as any).program;
  return program.body;
}

export function parseExpression(j: JSCodeshift, code: string): any {
  const [statement] = parseStatements(j, `(${code});`);
  let expression = statement.expression;
  if (expression.type === 'ParenthesizedExpression') expression = expression.expression;
  delete expression.extra; // drop the parenthesization we added
  return expression;
}
