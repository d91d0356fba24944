/**
 * The plugin end to end, the way a team runs it: the eslint binary (node_modules/.bin/eslint, a
 * child process) with a flat config over a copy of fixtures/corpus, against the rnn-migrate CLI
 * (also a child process) over another copy: `eslint` exits 1 naming every file `--check` names,
 * at the same places; `eslint --fix` leaves every file byte-identical to the CLI's rewrite; ESLint's
 * bulk suppressions (`--suppress-all`) and eslint-disable comments silence what they cover.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eslint as eslintIn, repoRoot, resolvedUrl, rnnMigrate as rnnMigrateIn, type Run } from './helpers.js';

const corpusDir = join(repoRoot, 'fixtures/corpus');

const flatConfig = `import tsParser from ${JSON.stringify(resolvedUrl('@typescript-eslint/parser'))};
import rnnMigrate from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src/eslint-plugin/index.ts')).href)};

export default [
  { ignores: ['eslint.config.mjs'] },
  ...rnnMigrate.configs.recommended,
  { files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tsParser } },
];
`;

// Each test spawns eslint or the CLI several times; a loaded machine makes that slow.
const E2E_TIMEOUT = 600_000;
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'rnn-migrate-eslint-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const eslint = (cwd: string, ...args: string[]): Run => eslintIn(cwd, args);
const rnnMigrate = (cwd: string, ...args: string[]): Run => rnnMigrateIn(cwd, args);

/** A copy of the corpus; with `config`, the flat config beside it. */
function corpusCopy(name: string, config = true): string {
  const dir = join(work, name);
  cpSync(corpusDir, dir, { recursive: true });
  if (config) writeFileSync(join(dir, 'eslint.config.mjs'), flatConfig);
  return dir;
}

interface EslintResult {
  filePath: string;
  messages: { ruleId: string | null; line: number; column: number; endLine?: number; endColumn?: number; fatal?: boolean }[];
}

/** `rule line:column-endLine:endColumn` per file, for ESLint's JSON and the CLI's alike. */
type Sites = Record<string, string[]>;
const site = (ruleId: string, f: { line: number; column: number; endLine?: number; endColumn?: number }): string =>
  `${ruleId} ${f.line}:${f.column}-${f.endLine}:${f.endColumn}`;

function eslintSites(dir: string, stdout: string): Sites {
  const sites: Sites = {};
  for (const result of JSON.parse(stdout) as EslintResult[]) {
    if (result.messages.length === 0) continue;
    sites[relative(dir, result.filePath)] = result.messages.map((m) => site(m.ruleId?.replace(/^rnn-migrate\//, '') ?? 'fatal', m));
  }
  return sites;
}

function cliSites(stdout: string): Sites {
  const report = JSON.parse(stdout) as { files: { path: string; findings: { ruleId: string; line: number; column: number }[] }[] };
  return Object.fromEntries(report.files.map((file) => [file.path, file.findings.map((f) => site(f.ruleId, f))]));
}

/** The corpus's files, its subfolders' (fixtures/corpus/tfjs) included. */
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /\.(ts|js)$/.test(name)).sort();
/** The runnable programs: every file but the shared helper modules (`_support.ts`, `tfjs/_cells.ts`). */
const programFiles = (dir: string): string[] => sourceFiles(dir).filter((name) => !basename(name).startsWith('_'));

describe('the eslint binary with rnn-migrate/eslint-plugin over fixtures/corpus', () => {
  it('exits 1 naming every file `rnn-migrate --check` names, at the same lines and columns', () => {
    const dir = corpusCopy('check');
    const lint = eslint(dir, '--format', 'json', '.');
    expect(lint.status, lint.stderr).toBe(1);
    const check = rnnMigrate(corpusCopy('check-cli', false), '--check', '--format', 'json', '.');
    expect(check.status, check.stderr).toBe(1);
    const expected = cliSites(check.stdout);
    // Every corpus program (the legacy ones and the tfjs per-step ones) has a finding.
    expect(Object.keys(expected).sort()).toEqual(programFiles(corpusDir));
    expect(eslintSites(dir, lint.stdout)).toEqual(expected);

    // The default (stylish) output names each of them too.
    const stylish = eslint(dir, '.');
    expect(stylish.status).toBe(1);
    for (const path of Object.keys(expected)) expect(stylish.stdout).toContain(join(dir, path));
  }, E2E_TIMEOUT);

  it('eslint --fix leaves every file byte-identical to the rnn-migrate rewrite', () => {
    // Besides the corpus, one program with a byte-order mark and CRLF line endings.
    const bomCrlf = `\uFEFF${readFileSync(join(corpusDir, 'tbptt-stream.ts'), 'utf8').replace(/\r?\n/g, '\r\n')}`;
    const fixedByEslint = corpusCopy('fix');
    writeFileSync(join(fixedByEslint, 'bom-crlf.ts'), bomCrlf);
    const fix = eslint(fixedByEslint, '--fix', '--format', 'json', '.');
    const rewrittenByCli = corpusCopy('rewrite', false);
    writeFileSync(join(rewrittenByCli, 'bom-crlf.ts'), bomCrlf);
    const rewrite = rnnMigrate(rewrittenByCli, '--force', '.');
    expect(rewrite.status, rewrite.stderr).not.toBe(2);
    const rewrittenBomCrlf = readFileSync(join(rewrittenByCli, 'bom-crlf.ts'), 'utf8');
    expect(rewrittenBomCrlf).not.toBe(bomCrlf);
    expect(rewrittenBomCrlf.startsWith('\uFEFF')).toBe(true);
    expect(readFileSync(join(fixedByEslint, 'bom-crlf.ts'), 'utf8')).toBe(rewrittenBomCrlf);

    let changed = 0;
    for (const name of sourceFiles(corpusDir)) {
      const expected = readFileSync(join(rewrittenByCli, name), 'utf8');
      expect(readFileSync(join(fixedByEslint, name), 'utf8'), name).toBe(expected);
      if (expected !== readFileSync(join(corpusDir, name), 'utf8')) changed++;
    }
    expect(changed).toBeGreaterThan(20);
    // What is still reported is what `--check` finds in the CLI's rewrite: the manual sites and what they keep.
    const left = eslintSites(fixedByEslint, fix.stdout);
    expect(left).toEqual(cliSites(rnnMigrate(rewrittenByCli, '--check', '--format', 'json', '.').stdout));
    expect(Object.values(left).flat().some((s) => s.startsWith('manual-migration '))).toBe(true);
    expect(fix.status).toBe(1);
  }, E2E_TIMEOUT);

  it('eslint --suppress-all records the legacy use; later runs pass until a new legacy site appears', () => {
    const dir = corpusCopy('suppress');
    const suppress = eslint(dir, '--suppress-all', '.');
    expect(suppress.status, suppress.stderr).toBe(0);
    const suppressions = JSON.parse(readFileSync(join(dir, 'eslint-suppressions.json'), 'utf8')) as Record<string, Record<string, { count: number }>>;
    expect(Object.keys(suppressions).length).toBe(programFiles(corpusDir).length);
    expect(Object.keys(suppressions['partial-migration.ts'] ?? {})).toContain('rnn-migrate/manual-migration');

    expect(eslint(dir, '.').status).toBe(0);

    writeFileSync(join(dir, 'new-model.ts'), readFileSync(join(corpusDir, 'limited-horizon.ts'), 'utf8'));
    const again = eslint(dir, '--format', 'json', '.');
    expect(again.status).toBe(1);
    expect(Object.keys(eslintSites(dir, again.stdout))).toEqual(['new-model.ts']);
  }, E2E_TIMEOUT);
});

describe('eslint-disable comments', () => {
  it('silence the rules they name, at the lines they cover, and only those', () => {
    const dir = corpusCopy('disable');
    const path = join(dir, 'limited-horizon.ts');
    const source = readFileSync(path, 'utf8');
    const before = eslintSites(dir, eslint(dir, '--format', 'json', 'limited-horizon.ts').stdout)['limited-horizon.ts'] ?? [];
    const loop = before.find((s) => s.startsWith('legacy-step-loop '));
    expect(loop).toBeDefined();
    const loopLine = Number(/ (\d+):/.exec(loop!)![1]);

    // A next-line comment above the loop, and a file-wide one for the import.
    const lines = source.split('\n');
    const indent = /^\s*/.exec(lines[loopLine - 1]!)![0];
    lines.splice(loopLine - 1, 0, `${indent}// eslint-disable-next-line rnn-migrate/legacy-step-loop`);
    writeFileSync(path, `/* eslint-disable rnn-migrate/legacy-import */\n${lines.join('\n')}`);

    const after = eslintSites(dir, eslint(dir, '--format', 'json', 'limited-horizon.ts').stdout)['limited-horizon.ts'] ?? [];
    const shifted = (s: string) => s.replace(/ (\d+):(\d+)-(\d+):/, (_, l, c, e) => ` ${Number(l) + (Number(l) >= loopLine ? 2 : 1)}:${c}-${Number(e) + (Number(e) >= loopLine ? 2 : 1)}:`);
    expect(after).toEqual(before.filter((s) => !/^(legacy-step-loop|legacy-import) /.test(s)).map(shifted));
    expect(after.length).toBeGreaterThan(0);
  }, E2E_TIMEOUT);
});
