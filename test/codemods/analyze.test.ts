/**
 * Lint findings as tables of valid and invalid code with expected rule ids, reasons and lines
 * (the typescript-eslint rule-test style), plus the API's contract: prefilter, parse errors,
 * parser per extension, and the rule table's documentation anchors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSource, CodemodParseError, manualReasons, mayUseLegacy, migrateSource, rules } from 'rnn-migrate/codemods';

const header = "import * as tf from '@tensorflow/tfjs-core';\nimport { LSTM, reset } from 'rnn-migrate/legacy';\n";
const summary = (source: string, file = 'case.ts') =>
  analyzeSource(header + source, file).map((finding) => `${finding.ruleId}${finding.reason ? `:${finding.reason}` : ''}@${finding.line}`);

describe('analyzeSource', () => {
  const valid: Array<[string, string]> = [
    ['a same-named LSTM from elsewhere', "import { LSTM as Other } from './layers.js';\nconst l = Other(1, 2);\nl.reset();\nfor (const x of xs) l.step(x);"],
    ['a shadowing parameter', 'function f(LSTM: any) { const l = LSTM(1, 2); for (const x of xs) l.step(x); }'],
  ];
  for (const [name, code] of valid) {
    it(`reports only the import: ${name}`, () => expect(summary(code)).toEqual(['legacy-import@2']));
  }

  const invalid: Array<[string, string, string[]]> = [
    ['a step loop after a reset', 'const l = LSTM(1, 2);\nl.reset();\nfor (const x of xs) l.step(x);', ['legacy-import@2', 'legacy-reset@4', 'legacy-step-loop@5']],
    ['a state read', 'const l = LSTM(1, 2);\nl.reset();\nfor (const x of xs) l.step(x);\nconst s = l.state;', ['legacy-import@2', 'legacy-reset@4', 'legacy-step-loop@5', 'legacy-state@6']],
    ['an early exit', 'const l = LSTM(1, 2);\nfor (const x of xs) { l.step(x); if (done) break; }', ['legacy-import@2', 'manual-migration:early-exit@4']],
    ['a state read mid-loop', 'const l = LSTM(1, 2);\nfor (const x of xs) { l.step(x); log(l.state); }', ['legacy-import@2', 'manual-migration:state-read-mid-loop@4', 'legacy-state@4']],
    ['a Recur passed away', 'const l = LSTM(1, 2);\ntrain(l);\nfor (const x of xs) l.step(x);', ['legacy-import@2', 'manual-migration:recur-escapes@5']],
    ['a dynamic property', "const m = { a: LSTM(1, 2) };\nconst k = 'a';\nfor (const x of xs) m[k].step(x);\nm.a.reset();", ['legacy-import@2', 'legacy-reset@6', 'manual-migration:dynamic-property@6']],
    ['an opaque reset(model)', 'reset(loadModel());', ['legacy-import@2', 'manual-migration:opaque-reset@3']],
    ['an exported Recur', 'export const l = LSTM(1, 2);\nl.reset();\nfor (const x of xs) l.step(x);', ['legacy-import@2', 'legacy-reset@4', 'manual-migration:cross-file-recur@5']],
  ];
  for (const [name, code, expected] of invalid) {
    it(`reports ${name}`, () => expect(summary(code)).toEqual(expected));
  }

  it('skips an opted-out site and reports nothing for it', () => {
    const code = 'const l = LSTM(1, 2);\n// rnn-migrate-ignore\nfor (const x of xs) { l.step(x); if (done) break; }';
    expect(summary(code)).toEqual(['legacy-import@2']);
  });
});

describe('API contract', () => {
  it('prefilters on the legacy entry point', () => {
    expect(mayUseLegacy("import { LSTM } from 'rnn-migrate';")).toBe(false);
    expect(mayUseLegacy("const { LSTM } = require('rnn-migrate/legacy');")).toBe(true);
    expect(migrateSource('not even ( valid', 'x.ts')).toEqual({ output: 'not even ( valid', changed: false, findings: [] });
  });

  it('throws CodemodParseError with a 1-based position', () => {
    const source = "import { LSTM } from 'rnn-migrate/legacy';\nconst = 1;\n";
    let error: unknown;
    try {
      analyzeSource(source, 'broken.ts');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CodemodParseError);
    expect(error).toMatchObject({ line: 2, column: 7, filePath: 'broken.ts' });
  });

  it('picks the parser from the extension', () => {
    const cast = "import { LSTM } from 'rnn-migrate/legacy';\nconst n = <number>value;\n";
    expect(() => analyzeSource(cast, 'a.ts')).not.toThrow();
    expect(() => analyzeSource(cast, 'a.mts')).not.toThrow();
    const jsx = "import { LSTM } from 'rnn-migrate/legacy';\nconst view = <div>{1}</div>;\n";
    expect(() => analyzeSource(jsx, 'a.jsx')).not.toThrow();
    expect(() => analyzeSource(jsx, 'a.js')).not.toThrow();
    expect(() => analyzeSource(jsx, 'a.tsx')).not.toThrow();
    const generic = "import { LSTM } from 'rnn-migrate/legacy';\nconst id = <T,>(x: T) => x;\n";
    expect(() => analyzeSource(generic, 'a.tsx')).not.toThrow();
  });

  it('documents every rule and every manual reason in MIGRATION.md', () => {
    const migration = readFileSync(join(import.meta.dirname, '../../MIGRATION.md'), 'utf8');
    const anchors = new Set([...migration.matchAll(/^#+ (.+)$/gm)].map((match) => match[1]!.trim().toLowerCase().replace(/[^\w-]+/g, '-')));
    for (const rule of Object.values(rules)) expect(anchors).toContain(rule.docs.split('#')[1]);
    for (const reason of Object.keys(manualReasons)) expect(anchors).toContain(reason);
  });

  it('inserts a TODO once and keeps the site byte for byte', () => {
    const source = `${header}const l = LSTM(1, 2);\nexport function f(xs: tf.Tensor2D[]) {\n  for (const x of xs) { l.step(x); if (x) break; }\n}\n`;
    const first = migrateSource(source, 'a.ts', { insertTodos: true });
    expect(first.output).toContain('  // rnn-migrate(TODO:early-exit) see MIGRATION.md#early-exit\n  for (const x of xs) { l.step(x); if (x) break; }');
    expect(migrateSource(first.output, 'a.ts', { insertTodos: true }).output).toBe(first.output);
    // Positions refer to the file as written: the site moved one line down, below its TODO.
    expect(first.findings).toMatchObject([{ ruleId: 'manual-migration', reason: 'early-exit', line: 6, column: 3 }]);
  });

  it('leaves a step in an escaping closure for manual migration when a carry beside the Recur would not mirror its state', () => {
    const dir = join(import.meta.dirname, '../../fixtures/codemods/legacy-to-blocked');
    for (const name of ['escaping-closure-var-in-loop-manual.input.js', 'escaping-closure-two-blocks-manual.input.ts']) {
      const source = readFileSync(join(dir, name), 'utf8');
      const { changed, findings } = migrateSource(source, name);
      expect(changed).toBe(false);
      expect(findings.length).toBeGreaterThan(0);
      expect(new Set(findings.map((finding) => finding.reason))).toEqual(new Set(['escaping-closure']));
    }
  });

  it('positions findings in the output a rewrite writes (TODO lines and collapsed loops included)', () => {
    const source =
      `${header}const a = LSTM(1, 2);\nconst b = LSTM(1, 2);\n` +
      'export function f(xs: tf.Tensor2D[]) {\n  a.reset();\n  let h;\n  for (const x of xs) {\n    h = a.step(x);\n  }\n' +
      '  for (const x of xs) { b.step(x); if (x) break; }\n  return h;\n}\n' +
      'export function g(xs: tf.Tensor2D[]) {\n  b.reset();\n  while (xs.length) b.step(xs.pop()!);\n}\n';
    for (const insertTodos of [false, true]) {
      const { output, findings } = migrateSource(source, 'a.ts', { insertTodos });
      expect(output).not.toContain('a.step('); // the loop above the manual sites was rewritten
      expect(findings.map((finding) => finding.reason)).toEqual(['early-exit', 'early-exit']);
      const lines = output.split('\n');
      expect(lines[findings[0]!.line - 1]!.slice(findings[0]!.column - 1)).toMatch(/^for \(const x of xs\) \{ b\.step/);
      expect(lines[findings[1]!.line - 1]!.slice(findings[1]!.column - 1)).toMatch(/^while \(xs\.length\) b\.step/);
      if (insertTodos) for (const finding of findings) expect(lines[finding.line - 2]).toContain('rnn-migrate(TODO:');
    }
  });
});
