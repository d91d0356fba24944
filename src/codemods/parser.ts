import { parse as babelParse, type ParserOptions, type ParserPlugin } from '@babel/parser';
import type { Parser } from 'jscodeshift';
import { CodemodParseError } from './errors.js';

/** Plugins every dialect shares (modern syntax that appears in real code, no Flow). */
const commonPlugins: ParserPlugin[] = [
  'classProperties',
  'classPrivateProperties',
  'classPrivateMethods',
  'decorators-legacy',
  'dynamicImport',
  'exportDefaultFrom',
  'importAttributes',
  'importMeta',
  'numericSeparator',
  'objectRestSpread',
  'optionalCatchBinding',
  'optionalChaining',
  'nullishCoalescingOperator',
  'topLevelAwait',
];

export type Dialect = 'ts' | 'tsx' | 'js';

/** `ts` for .ts/.mts/.cts (so `<T>x` casts parse), `tsx` for .tsx, plain JS + JSX (no Flow) otherwise. */
export function dialectFor(filePath: string): Dialect {
  if (/\.[mc]?ts$/i.test(filePath)) return 'ts';
  if (/\.tsx$/i.test(filePath)) return 'tsx';
  return 'js';
}

function optionsFor(dialect: Dialect): ParserOptions {
  const plugins: ParserPlugin[] = [...commonPlugins];
  if (dialect === 'ts') plugins.push('typescript');
  if (dialect === 'tsx') plugins.push('typescript', 'jsx');
  if (dialect === 'js') plugins.push('jsx');
  return {
    sourceType: 'unambiguous',
    allowImportExportEverywhere: true,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
    errorRecovery: false,
    tokens: true, // recast needs the tokens to reprint only what changed
    plugins,
  };
}

/** The jscodeshift/recast parser object for a file. */
export function parserFor(filePath: string): Parser {
  const options = optionsFor(dialectFor(filePath));
  return { parse: (source: string) => babelParse(source, options) };
}

/** Parses with the file's dialect, turning a syntax error into a positioned CodemodParseError. */
export function withParseErrors<T>(filePath: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    if (error instanceof SyntaxError || loc) {
      const message = (error as Error).message.replace(/\s*\(\d+:\d+\)$/, '');
      throw new CodemodParseError(message, filePath, loc?.line ?? 1, (loc?.column ?? 0) + 1);
    }
    throw error;
  }
}
