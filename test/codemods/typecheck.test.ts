/**
 * Migrated TypeScript must type-check wherever the legacy input did: users run `tsc` in CI right
 * after `rnn-migrate`. The TypeScript compiler (with the repo's tsconfig compilerOptions, whose
 * `paths` map 'rnn-migrate' and 'rnn-migrate/legacy' to src) checks every .ts program of the
 * corpus and its migrated output, and every .ts fixture of fixtures/codemods/legacy-to-blocked
 * with its expected output (which the fixture test pins to the codemod's output).
 *
 * Corpus programs are type-clean, so input and output must both have no errors; a fixture's
 * output may have no error (compared by code and message, not by line) its input lacks.
 * Migrated corpus programs are written to a temporary folder inside the repo (beside a copy of
 * the corpus's _support.ts) so module resolution is the same as for the originals.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateSource } from 'rnn-migrate/codemods';
import { withTestRuntime } from './support/migrated-runtime.js';

const repoRoot = join(import.meta.dirname, '../..');
const corpusDir = join(repoRoot, 'fixtures/corpus');
const fixtureDir = join(repoRoot, 'fixtures/codemods/legacy-to-blocked');
const corpusPrograms = readdirSync(corpusDir).filter((name) => /^[a-z0-9].*\.ts$/.test(name)).sort();
// Per-step code written against tfjs itself; migrated, it imports 'rnn-migrate' through test support.
const tfjsCorpusDir = join(corpusDir, 'tfjs');
const tfjsPrograms = readdirSync(tfjsCorpusDir).filter((name) => /^[a-z0-9].*\.ts$/.test(name)).sort();
const fixtureCases = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.input.ts'))
  .map((name) => name.slice(0, -'.input.ts'.length))
  .filter((caseName) => !caseName.startsWith('no-transform-'))
  .sort();

let temporaryDir = '';
let tfjsTemporaryDir = '';
/** Diagnostics per checked file, as `TS<code>: <message>` (no positions). */
const diagnostics = new Map<string, string[]>();

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

function describeDiagnostic(diagnostic: ts.Diagnostic): string {
  return `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
}

function located(diagnostic: ts.Diagnostic): string {
  if (!diagnostic.file || diagnostic.start === undefined) return describeDiagnostic(diagnostic);
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${line + 1}:${character + 1} ${describeDiagnostic(diagnostic)}`;
}

/** The same with `line:column`, for failure messages. */
const locatedDiagnostics = new Map<string, string[]>();

/** Type-checks `files` as one program (the tfjs typings are loaded and checked once). */
function check(files: string[]): void {
  const program = ts.createProgram(files, compilerOptions());
  for (const file of files) {
    const sourceFile = program.getSourceFile(file)!;
    const found = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    diagnostics.set(file, found.map(describeDiagnostic).sort());
    locatedDiagnostics.set(file, found.map(located));
  }
}

beforeAll(() => {
  temporaryDir = mkdtempSync(join(corpusDir, '.typecheck-'));
  copyFileSync(join(corpusDir, '_support.ts'), join(temporaryDir, '_support.ts'));
  const corpusFiles: string[] = [];
  for (const name of corpusPrograms) {
    const path = join(corpusDir, name);
    const { output } = migrateSource(readFileSync(path, 'utf8'), name);
    const migratedPath = join(temporaryDir, name);
    writeFileSync(migratedPath, output);
    corpusFiles.push(path, migratedPath);
  }
  // A sibling of tfjs/, so that the programs' '../_support.js' resolves the same way.
  tfjsTemporaryDir = mkdtempSync(join(corpusDir, '.typecheck-tfjs-'));
  copyFileSync(join(tfjsCorpusDir, '_cells.ts'), join(tfjsTemporaryDir, '_cells.ts'));
  for (const name of tfjsPrograms) {
    const path = join(tfjsCorpusDir, name);
    const migratedPath = join(tfjsTemporaryDir, name);
    writeFileSync(migratedPath, withTestRuntime(migrateSource(readFileSync(path, 'utf8'), name).output));
    corpusFiles.push(path, migratedPath);
  }
  check(corpusFiles);
  // The fixtures get a program of their own: the corpus's _support.ts registers the chained-op
  // typings (a global module augmentation) that a fixture importing tfjs-core alone lacks.
  check(fixtureCases.flatMap((caseName) => [join(fixtureDir, `${caseName}.input.ts`), join(fixtureDir, `${caseName}.output.ts`)]));
}, 120_000);

afterAll(() => {
  if (temporaryDir) rmSync(temporaryDir, { recursive: true, force: true });
  if (tfjsTemporaryDir) rmSync(tfjsTemporaryDir, { recursive: true, force: true });
});

/** The errors of `file`, with positions for the failure message. */
function errorsOf(file: string): string[] {
  const errors = locatedDiagnostics.get(file);
  if (!errors) throw new Error(`${file} was not checked`);
  return errors;
}

describe('migrated corpus programs type-check', () => {
  for (const name of corpusPrograms) {
    it(name, () => {
      expect(errorsOf(join(corpusDir, name)), 'the legacy program').toEqual([]);
      expect(errorsOf(join(temporaryDir, name)), 'the migrated program').toEqual([]);
    });
  }
});

describe('migrated tfjs corpus programs type-check', () => {
  for (const name of tfjsPrograms) {
    it(name, () => {
      expect(errorsOf(join(tfjsCorpusDir, name)), 'the program as written').toEqual([]);
      expect(errorsOf(join(tfjsTemporaryDir, name)), 'the migrated program').toEqual([]);
    });
  }
});

describe('legacy-to-blocked fixture outputs add no type errors', () => {
  for (const caseName of fixtureCases) {
    it(caseName, () => {
      const before = [...diagnostics.get(join(fixtureDir, `${caseName}.input.ts`))!];
      const added = diagnostics.get(join(fixtureDir, `${caseName}.output.ts`))!.filter((message) => {
        const index = before.indexOf(message);
        if (index === -1) return true;
        before.splice(index, 1);
        return false;
      });
      expect(added, errorsOf(join(fixtureDir, `${caseName}.output.ts`)).join('\n')).toEqual([]);
    });
  }
});
