import { parse as babelParse, type ParserOptions, type ParserPlugin } from '@babel/parser';
import type { Parser } from 'jscodeshift';
import { CodemodParseError } from './errors.js';

/** Plugins every dialect shares (modern syntax that appears in real code, no Flow). */
const commonPlugins: ParserPlugin[] = [
  'classProperties',
  'classPrivateProperties',
  'classPrivateMethods',
  'decoratorAutoAccessors', // `accessor x = 1` (TC39 decorators, TypeScript 4.9)
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

/** Declaration files (`.d.ts`, `.d.mts`, `.d.cts`) are ambient: `export const x: T;` has no initializer. */
const isDeclarationFile = (filePath: string): boolean => /\.d\.[mc]?ts$/i.test(filePath);

function optionsFor(dialect: Dialect, declarationFile: boolean): ParserOptions {
  const plugins: ParserPlugin[] = [...commonPlugins];
  if (dialect === 'ts') plugins.push(['typescript', { dts: declarationFile }]);
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
  const options = optionsFor(dialectFor(filePath), isDeclarationFile(filePath));
  return {
    parse: (source: string) => {
      const file = babelParse(source, options);
      pinRegExpValues(file);
      return file;
    },
  };
}

/**
 * ast-types gives a RegExpLiteral without a `value` one made by `new RegExp(pattern, flags)` the
 * first time anything walks the tree, and throws where this Node's RegExp lacks the syntax
 * (duplicate named groups and `(?i:…)` modifiers on Node 20; the `v` flag on Node 18). The
 * codemods never read a literal's value, so the literals this Node cannot compile get `null`.
 */
function pinRegExpValues(file: ReturnType<typeof babelParse>): void {
  const regexTokens = (file.tokens ?? []).filter((token: any) => token.type?.label === 'regexp');
  const compiles = (pattern: string, flags: string): boolean => {
    try {
      new RegExp(pattern, flags);
      return true;
    } catch {
      return false;
    }
  };
  if (regexTokens.every((token: any) => compiles(token.value.pattern, token.value.flags))) return;
  const stack: unknown[] = [file.program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const record = node as Record<string, any>;
    if (record['type'] === 'RegExpLiteral' && !compiles(record['pattern'], record['flags'])) record['value'] = null;
    for (const key in record) if (key !== 'loc' && typeof record[key] === 'object') stack.push(record[key]);
  }
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
