/**
 * Parser coverage: syntax that real code uses and the codemods must read (TypeScript `accessor`
 * fields, ES2025 regular expressions this Node cannot compile, ambient declaration files), and a
 * deterministic sample of the real JavaScript and TypeScript that node_modules ships (TypeScript's
 * lib .d.ts, @babel/*, jscodeshift, recast, vitest, vite, tfjs): each file parses and walks; and
 * with a legacy loop appended, the migration leaves every byte of the file as it was.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import jscodeshift from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import { analyzeSource, CodemodParseError, migrateSource, parserFor } from 'rnn-migrate/codemods';

const legacyLoop = [
  "import * as rnnProbeTf from '@tensorflow/tfjs-core';",
  "import { LSTM as RnnProbeLSTM } from 'rnn-migrate/legacy';",
  'const rnnProbeLstm = RnnProbeLSTM(2, 3);',
  'export function rnnProbeEncode(rnnProbeXs) {',
  '  rnnProbeLstm.reset();',
  '  let rnnProbeH;',
  '  for (const rnnProbeX of rnnProbeXs) rnnProbeH = rnnProbeLstm.step(rnnProbeX);',
  '  return rnnProbeTf.keep(rnnProbeH);',
  '}',
  '',
].join('\n');

/** `code` with the legacy loop after it: migrated, `code` must come out byte for byte. */
function migrateAround(code: string, filePath: string): { output: string; changed: boolean } {
  return migrateSource(`${code}\n${legacyLoop}`, filePath);
}

describe('modern syntax', () => {
  const cases: Array<[string, string, string[]]> = [
    ['TypeScript accessor fields', 'class Box {\n  accessor size = 1;\n  static accessor count: number = 0;\n  @tracked accessor label = "x";\n}\n', ['a.ts', 'a.tsx']],
    ['JavaScript accessor fields', 'class Box {\n  accessor size = 1;\n  static accessor #count = 0;\n}\n', ['a.js', 'a.mjs']],
    ['duplicate named groups (ES2025)', 'const date = /(?<y>\\d{4})-\\d\\d|\\d\\d\\/(?<y>\\d{4})/u;\n', ['a.ts', 'a.js']],
    ['regular expression modifiers (ES2025)', 'const word = /(?i:hello) world/;\n', ['a.ts', 'a.js']],
    ['the v flag (ES2024)', 'const letters = /[\\p{L}--[a-z]]/v;\n', ['a.ts', 'a.js']],
  ];
  for (const [name, code, files] of cases) {
    for (const file of files) {
      it(`${name} in ${file}: parsed, and kept byte for byte by a rewrite beside them`, () => {
        expect(() => parserFor(file).parse(code)).not.toThrow();
        const { output, changed } = migrateAround(code, file);
        expect(changed).toBe(true);
        expect(output.startsWith(`${code}\n`)).toBe(true);
        expect(output).toContain('rnnProbeLstm.apply(');
      });
    }
  }

  it('reads ambient declaration files (`export const x: T;` has no initializer there)', () => {
    const declarations = 'export declare function f(x: number): string;\nexport const version: string;\nexport let mode: "a" | "b";\n';
    expect(() => parserFor('index.d.ts').parse(declarations)).not.toThrow();
    expect(() => parserFor('index.d.mts').parse(declarations)).not.toThrow();
    expect(() => parserFor('index.ts').parse(declarations)).toThrow(/initializer/);
  });

  it('still reports a real syntax error with its position', () => {
    const broken = "import { LSTM } from 'rnn-migrate/legacy';\nconst x = /(?<y>a)/;\nconst y = ;\n";
    expect(() => analyzeSource(broken, 'broken.ts')).toThrow(CodemodParseError);
    try {
      analyzeSource(broken, 'broken.ts');
    } catch (error) {
      expect([(error as CodemodParseError).line, (error as CodemodParseError).column]).toEqual([3, 11]);
    }
  });
});

// ---- a real corpus ----------------------------------------------------------------------------

const repoRoot = join(import.meta.dirname, '../..');
const corpusRoots = ['typescript/lib', '@babel', 'jscodeshift', 'recast', 'vitest', '@vitest', 'vite', '@tensorflow/tfjs-core/dist', 'yargs', 'diff'];
const CODE_FILE = /\.(?:[cm]?js|d\.[cm]?ts|[cm]?ts|tsx)$/;
const MAX_BYTES = 150_000;

function codeFiles(dir: string, into: string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return into;
  }
  for (const name of names) {
    const path = join(dir, name);
    const stats = statSync(path);
    if (stats.isDirectory()) {
      if (name !== 'node_modules') codeFiles(path, into);
    } else if (CODE_FILE.test(name) && stats.size > 0 && stats.size <= MAX_BYTES) {
      into.push(path);
    }
  }
  return into;
}

/** Every n-th file of the sorted list, so the sample is spread over the roots and the same each run. */
function sample<T>(items: T[], count: number): T[] {
  const stride = Math.max(1, Math.floor(items.length / count));
  return items.filter((_, index) => index % stride === 0).slice(0, count);
}

const corpus = corpusRoots.flatMap((root) => codeFiles(join(repoRoot, 'node_modules', root), []));

describe('a real corpus from node_modules', () => {
  it('has thousands of files to sample from', () => expect(corpus.length).toBeGreaterThan(2000));

  it('parses and walks a sample of 150 files', () => {
    const failures: string[] = [];
    for (const file of sample(corpus, 150)) {
      const source = readFileSync(file, 'utf8');
      try {
        const j = jscodeshift.withParser(parserFor(file));
        j(source).find(j.Node).size(); // walking fills in ast-types' defaults (RegExp values among them)
      } catch (error) {
        failures.push(`${relative(repoRoot, file)}: ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('keeps every byte of 60 real files when a legacy loop beside them is migrated', () => {
    const programs = sample(corpus.filter((file) => !/\.d\.[cm]?ts$/.test(file)), 60);
    let migrated = 0;
    const changedOutside: string[] = [];
    for (const file of programs) {
      const source = readFileSync(file, 'utf8');
      let result: { output: string; changed: boolean };
      try {
        result = migrateAround(source, file);
      } catch (error) {
        // A script that is not valid as a module (the appended import makes it one) is skipped.
        if (error instanceof CodemodParseError) continue;
        throw error;
      }
      migrated++;
      if (!result.changed || !result.output.startsWith(`${source}\n`)) changedOutside.push(relative(repoRoot, file));
    }
    expect(changedOutside).toEqual([]);
    expect(migrated).toBeGreaterThan(45);
  });
});
