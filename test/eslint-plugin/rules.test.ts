/**
 * Each rule of rnn-migrate/eslint-plugin under ESLint's RuleTester, on every fixture of
 * fixtures/codemods (discovered, not listed): a fixture where `rnn-migrate --check` finds the rule's
 * kind is an invalid case with those positions, and the rule's fix must give the fixture's expected
 * rewrite (`<case>.output.<ext>`, what `rnn-migrate` writes); any other fixture is a valid case.
 * TypeScript fixtures run under @typescript-eslint/parser, JavaScript ones under espree and
 * @typescript-eslint/parser, and again under an .mjs name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { RuleTester, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import { analyzeSource, rules as ruleTable, type RuleId } from 'rnn-migrate/codemods';
import plugin from 'rnn-migrate/eslint-plugin';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const fixturesRoot = join(import.meta.dirname, '../../fixtures/codemods');

interface Fixture {
  /** The name RuleTester lints it under (its extension picks the codemods' dialect). */
  filename: string;
  code: string;
  /** What `rnn-migrate` (with --insert-todos for `todo-*` cases) writes; equal to `code` when nothing changes. */
  rewritten: string;
  insertTodos: boolean;
}

function discoverFixtures(): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const transform of readdirSync(fixturesRoot)) {
    const dir = join(fixturesRoot, transform);
    for (const inputName of readdirSync(dir).filter((name) => /\.input\.\w+$/.test(name))) {
      const caseName = inputName.replace(/\.input\.\w+$/, '');
      const extension = inputName.slice(inputName.lastIndexOf('.'));
      const outputPath = join(dir, `${caseName}.output${extension}`);
      const code = readFileSync(join(dir, inputName), 'utf8');
      const rewritten = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : code;
      const insertTodos = caseName.startsWith('todo-');
      fixtures.push({ filename: `${caseName}${extension}`, code, rewritten, insertTodos });
      if (extension === '.js') fixtures.push({ filename: `${caseName}.mjs`, code, rewritten, insertTodos });
    }
  }
  return fixtures;
}

const fixtures = discoverFixtures();
const ruleIds = Object.keys(ruleTable) as RuleId[];

function casesFor(id: RuleId, subset: Fixture[]): { valid: RuleTester.ValidTestCase[]; invalid: RuleTester.InvalidTestCase[] } {
  const valid: RuleTester.ValidTestCase[] = [];
  const invalid: RuleTester.InvalidTestCase[] = [];
  for (const fixture of subset) {
    const { filename, code } = fixture;
    const settings = fixture.insertTodos ? { 'rnn-migrate': { insertTodos: true } } : {};
    const name = filename;
    const findings = analyzeSource(code, filename).filter((finding) => finding.ruleId === id);
    if (findings.length === 0) {
      valid.push({ name, filename, code, settings });
      continue;
    }
    const fixable = plugin.rules[id].meta?.fixable !== undefined;
    invalid.push({
      name,
      filename,
      code,
      settings,
      errors: findings.map(({ reason, line, column, endLine, endColumn }) => ({
        messageId: reason ?? 'finding',
        line,
        column,
        endLine,
        endColumn,
      })),
      output: fixable && fixture.rewritten !== code ? fixture.rewritten : null,
    });
  }
  return { valid, invalid };
}

const isTypeScript = (fixture: Fixture): boolean => /\.tsx?$/.test(fixture.filename);
const parsers: [string, Linter.Parser | undefined, (fixture: Fixture) => boolean][] = [
  ['@typescript-eslint/parser', tsParser, () => true],
  ['espree', undefined, (fixture) => !isTypeScript(fixture)],
];

describe('fixture discovery', () => {
  it('finds TypeScript, TSX, JavaScript and no-transform fixtures, and a rewrite for every rule kind that has a fix', () => {
    expect(fixtures.some((f) => f.filename.endsWith('.tsx'))).toBe(true);
    expect(fixtures.some((f) => f.filename.endsWith('.js'))).toBe(true);
    expect(fixtures.some((f) => f.filename.startsWith('no-transform-'))).toBe(true);
    for (const id of ruleIds) {
      const { invalid } = casesFor(id, fixtures);
      expect(invalid.length, `fixtures exercising ${id}`).toBeGreaterThan(0);
    }
  });
});

for (const [parserName, parser, accepts] of parsers) {
  const tester = new RuleTester(parser ? { languageOptions: { parser } } : {});
  for (const id of ruleIds) {
    describe(`${parserName}`, () => {
      tester.run(id, plugin.rules[id], casesFor(id, fixtures.filter(accepts)));
    });
  }
}

// Positions and a rewrite written out by hand, independent of the analysis the rules share.
const lastStep = [
  "import * as tf from '@tensorflow/tfjs-core';",
  "import { LSTM } from 'rnn-migrate/legacy';",
  '',
  'const recur = LSTM(3, 4);',
  'export function last(xs: tf.Tensor2D[]): tf.Tensor {',
  '  recur.reset();',
  '  let h: tf.Tensor = tf.zeros([1, 4]);',
  '  for (const x of xs) h = recur.step(x);',
  '  return h;',
  '}',
  '',
].join('\n');
const lastStepBlocked = [
  "import * as tf from '@tensorflow/tfjs-core';",
  "import { LSTM } from 'rnn-migrate';",
  '',
  'const recur = new LSTM(3, 4);',
  'export function last(xs: tf.Tensor2D[]): tf.Tensor {',
  '  let h: tf.Tensor = tf.zeros([1, 4]);',
  '  h = tf.tidy(() => recur.apply(tf.stack(xs, 1)).carry.h);',
  '  return h;',
  '}',
  '',
].join('\n');
// One loop may stop early, so the codemod leaves every use of the shared Recur alone.
const earlyExit = [
  "import { LSTM } from 'rnn-migrate/legacy';",
  'const recur = LSTM(3, 4);',
  'export function run(xs: number[][]) {',
  '  for (const x of xs) { if (x.length === 0) break; recur.step(x); }',
  '}',
  '',
].join('\n');

describe('hand-written cases', () => {
  const tester = new RuleTester({ languageOptions: { parser: tsParser } });
  const fixed = (line: number, column: number) => ({
    filename: 'model.ts',
    code: lastStep,
    errors: [{ messageId: 'finding', line, column }],
    output: lastStepBlocked,
  });
  tester.run('legacy-import', plugin.rules['legacy-import'], { valid: [], invalid: [fixed(2, 1)] });
  tester.run('legacy-reset', plugin.rules['legacy-reset'], { valid: [], invalid: [fixed(6, 3)] });
  tester.run('legacy-step-loop', plugin.rules['legacy-step-loop'], { valid: [], invalid: [fixed(8, 3)] });
  tester.run('manual-migration', plugin.rules['manual-migration'], {
    valid: [{ filename: 'model.ts', code: lastStep }],
    invalid: [
      { filename: 'model.ts', code: earlyExit, errors: [{ messageId: 'early-exit', line: 4, column: 3, endLine: 4, endColumn: 68 }], output: null },
      {
        name: 'a file the codemods cannot parse (type annotations in .js) is reported, not skipped',
        filename: 'typed.js',
        code: "import { LSTM } from 'rnn-migrate/legacy';\nconst size: number = 3;\n",
        errors: [{ messageId: 'notProcessed', line: 2, column: 11 }],
        output: null,
      },
    ],
  });
});
