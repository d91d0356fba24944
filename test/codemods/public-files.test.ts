/**
 * rnn-migrate over unmodified public files that step RNNs one timestep at a time (Magenta, ml5,
 * tfjs-examples: fixtures/public, see its README). sites.json lists their per-step RNN call sites,
 * read by hand; this test checks the manifest against the files, then runs the CLI in-process
 * (`run` of src/cli) on a copy: `--check` must report every site at its call and nothing else (in
 * every reporter format, and the eslint plugin the same), `--dry` must report each site it leaves
 * alone with its reason, write nothing and print a diff that applies and gives files that parse,
 * and type-check where TypeScript changed.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch, parsePatch } from 'diff';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type FileFinding } from '../../src/cli/index.js';
import { migrateSource, parserFor } from '../../src/codemods/index.js';
import plugin from '../../src/eslint-plugin/index.js';

const repoRoot = join(import.meta.dirname, '../..');
const publicDir = join(repoRoot, 'fixtures/public');

interface Site {
  file: string;
  line: number;
  statementLine?: number;
  call: string;
  kind: 'cell-closure' | 'step-loop' | 'step-function';
  note: string;
}
const { sites } = JSON.parse(readFileSync(join(publicDir, 'sites.json'), 'utf8')) as { sites: Site[] };

/** Every copied source file, '/'-separated and relative to fixtures/public (LICENSE and docs aside). */
const sourceFiles = readdirSync(publicDir, { recursive: true, encoding: 'utf8' })
  .map((name) => name.split('\\').join('/'))
  .filter((name) => /\.(ts|js)$/.test(name) && !name.split('/').some((part) => part.startsWith('.')))
  .sort();
const read = (file: string) => readFileSync(join(publicDir, file), 'utf8');
const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** A finding covers a site at its call's line. */
const covers = (finding: FileFinding, site: Site): boolean => finding.relPath === site.file && finding.line === site.line;

/** The sites no finding covers. */
function unflagged(findings: FileFinding[]): Site[] {
  return sites.filter((site) => !findings.some((f) => covers(f, site)));
}

const verdictOf = (finding: FileFinding): string => finding.reason ?? finding.ruleId;

/**
 * What rnn-migrate says of each site of sites.json, checked by hand against the code: the rule of
 * a site it rewrites, or the reason it leaves one alone (cell closures take their loops' verdict).
 */
const expectedVerdicts: Record<string, string> = {
  'magenta-js/music/src/music_rnn/model.ts:167': 'early-exit',
  'magenta-js/music/src/music_rnn/model.ts:375': 'early-exit', // `if (i === length + steps - 1) break;`, cells pushed at run time, an attention branch
  'magenta-js/music/src/music_vae/model.ts:116': 'tfjs-cell-step-loop',
  'magenta-js/music/src/music_vae/model.ts:123': 'tfjs-cell-step-loop', // state = lstm(x, state) over a (data, state) closure: moves to cell.step
  'magenta-js/music/src/music_vae/model.ts:272': 'shared-mutable-state',
  'magenta-js/music/src/music_vae/model.ts:403': 'shared-mutable-state', // [lstmCell.c, lstmCell.h] of an object a builder returned
  'magenta-js/music/src/music_vae/model.ts:629': 'shared-mutable-state',
  'magenta-js/sketch/src/sketch_rnn/model.ts:243': 'lone-cell-step', // update(): one step per call, state as Float32Arrays; known weights, but an import per call costs more than the step
  'magenta-js/sketch/src/sketch_rnn/model.ts:296': 'tfjs-cell-step-loop', // newState = tf.basicLSTMCell(…): moves to cell.step
  'magenta-js/music/src/piano_genie/model.ts:164': 'opaque-cells', // pushed to this.decLSTMCells in a loop over cell_${i} names
  'magenta-js/music/src/piano_genie/model.ts:332': 'opaque-cells', // one step per button press, state in this.lastState; the stack's cells built at run time
  'ml5-library/src/CharRNN/index.js:123': 'shared-mutable-state',
  'ml5-library/src/CharRNN/index.js:171': 'shared-mutable-state', // this.state = this.zeroState, then this.state.c = …
  'ml5-library/src/CharRNN/index.js:173': 'shared-mutable-state',
  'ml5-library/src/CharRNN/index.js:298': 'shared-mutable-state',
  'ml5-library/src/CharRNN/index.js:300': 'shared-mutable-state',
  'tfjs-examples/translation/index.js:147': 'model-state-loop', // decoder.predict([x].concat(states)), states = [h, c]
};

/** `file:line` of each finding a reporter printed, '/'-separated and relative to the copy, sorted. */
function reportedSites(format: 'stylish' | 'json' | 'sarif' | 'github', stdout: string): string[] {
  const relative = (path: string): string => path.split('\\').join('/').replace(/^.*?rnn-migrate-public-[^/]+\//, '');
  let found: Array<[string, number]> = [];
  if (format === 'json') {
    const report = JSON.parse(stdout) as { files: Array<{ path: string; findings: Array<{ line: number }> }> };
    found = report.files.flatMap((file) => file.findings.map((f): [string, number] => [file.path, f.line]));
  } else if (format === 'sarif') {
    const log = JSON.parse(stdout) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
    found = log.runs[0]!.results.map((r): [string, number] => [decodeURIComponent(r.locations[0]!.physicalLocation.artifactLocation.uri), r.locations[0]!.physicalLocation.region.startLine]);
  } else if (format === 'github') {
    found = [...stdout.matchAll(/^::\w+ file=([^,]+),line=(\d+),/gm)].map((m): [string, number] => [m[1]!, Number(m[2])]);
  } else {
    let file = '';
    for (const line of stdout.split('\n')) {
      const position = /^\s+(\d+):\d+\s/.exec(line);
      if (position) found.push([file, Number(position[1])]);
      else if (line.trim() !== '' && !line.startsWith(' ') && !/problem/.test(line)) file = line.trim();
    }
  }
  return found.map(([path, line]) => `${relative(path)}:${line}`).sort();
}

describe('fixtures/public', () => {
  it('holds each repository’s license beside its files, and the README names every file', () => {
    const readme = read('README.md');
    expect(sourceFiles.length).toBe(6);
    for (const file of sourceFiles) {
      const repository = file.split('/')[0];
      expect(existsSync(join(publicDir, repository, 'LICENSE')), `${repository}/LICENSE`).toBe(true);
      expect(read(`${repository}/LICENSE`)).toMatch(/Apache License|MIT License/);
      expect(readme).toContain(`| ${file} |`);
    }
  });

  it('sites.json: each call starts on its line, and every tf.basicLSTMCell / tf.multiRNNCell call is a site', () => {
    expect(sites.length).toBe(17);
    for (const site of sites) {
      expect(sourceFiles).toContain(site.file);
      const lines = read(site.file).split('\n');
      expect(lines[site.line - 1], `${site.file}:${site.line}`).toContain(`${site.call}(`);
      if (site.statementLine !== undefined) expect(site.statementLine).toBeLessThan(site.line);
    }
    // Completeness, independently of the reading: every call of the two tfjs-core ops is listed.
    const calls = sourceFiles.flatMap((file) => {
      const text = read(file);
      return [...text.matchAll(/\btf\.(basicLSTMCell|multiRNNCell)\(/g)].map((m) => `${file}:${lineOf(text, m.index)}`);
    });
    expect(calls.length).toBe(15);
    const listed = new Set(sites.map((site) => `${site.file}:${site.line}`));
    expect(calls.filter((call) => !listed.has(call))).toEqual([]);
  });
});

describe('rnn-migrate over the public files', () => {
  let copy = '';
  beforeAll(() => {
    // A copy outside any git repository: the run sees exactly these files, with paths relative to the copy.
    copy = mkdtempSync(join(tmpdir(), 'rnn-migrate-public-'));
    for (const file of sourceFiles) cpSync(join(publicDir, file), join(copy, file));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('--check reports every per-step RNN site of sites.json at its call, with its rule or reason, and nothing else', async () => {
    const result = await run({ paths: [copy], mode: 'check', format: 'json', workers: 0, progress: 'never' });
    expect(result.notProcessed).toEqual([]);
    expect(unflagged(result.findings).map((site) => `${site.file}:${site.line} ${site.call}`)).toEqual([]);
    const found = result.findings.map((f) => `${f.relPath}:${f.line} ${verdictOf(f)}`).sort();
    expect(found).toEqual(Object.entries(expectedVerdicts).map(([site, verdict]) => `${site} ${verdict}`).sort());
    expect(result.exitCode).toBe(1);
  });

  it('--dry: a file it leaves untouched has every site reported with its reason; a file it changes, every site it did not migrate', async () => {
    const check = await run({ paths: [copy], mode: 'check', format: 'json', workers: 0, progress: 'never' });
    const result = await run({ paths: [copy], mode: 'dry', workers: 0, progress: 'never' });
    expect(result.notProcessed).toEqual([]);
    for (const file of sourceFiles) {
      const dry = result.findings.filter((f) => f.relPath === file);
      expect(dry.every((f) => f.reason !== undefined), file).toBe(true);
      const manual = check.findings.filter((f) => f.relPath === file && f.reason !== undefined);
      if (!result.changedFiles.includes(file)) {
        // Untouched: the same sites, at the same places, each with its reason.
        expect(dry.map((f) => `${f.line} ${f.reason}`), file).toEqual(manual.map((f) => `${f.line} ${f.reason}`));
        expect(check.findings.filter((f) => f.relPath === file && f.reason === undefined), `${file} has rewritable sites, yet is untouched`).toEqual([]);
      } else {
        // Changed: the sites left alone moved with the rewrite, in the same order, with the same reasons.
        expect(dry.map((f) => f.reason), file).toEqual(manual.map((f) => f.reason));
      }
    }
  });

  it('share of the sites migrated automatically', async () => {
    const result = await run({ paths: [copy], mode: 'check', format: 'json', workers: 0, progress: 'never' });
    const automatic = sites.filter((site) => result.findings.some((f) => covers(f, site) && f.reason === undefined)).map((site) => `${site.file}:${site.line}`);
    console.log(`public files: per-step sites migrated automatically: ${automatic.length}/${sites.length} (${((100 * automatic.length) / sites.length).toFixed(1)}%)`);
    expect(automatic).toEqual(Object.entries(expectedVerdicts).filter(([, verdict]) => verdict.startsWith('tfjs-')).map(([site]) => site));
  });

  it('every reporter format carries every site', async () => {
    for (const format of ['stylish', 'json', 'sarif', 'github'] as const) {
      let stdout = '';
      const io = { stdout: { write: (chunk: string) => ((stdout += chunk), true) } };
      await run({ paths: [copy], mode: 'check', format, workers: 0, progress: 'never' }, io);
      const reported = reportedSites(format, stdout);
      expect(reported, format).toEqual(sites.map((site) => `${site.file}:${site.line}`).sort());
    }
  });

  it('the eslint plugin reports what --check reports, at the same places', async () => {
    const result = await run({ paths: [copy], mode: 'check', format: 'json', workers: 0, progress: 'never' });
    const linter = new Linter();
    const config: Linter.Config[] = [...plugin.configs.recommended, { files: ['**/*.ts'], languageOptions: { parser: tsParser } }];
    for (const file of sourceFiles) {
      const messages = linter.verify(read(file), config, file);
      expect(messages.filter((m) => !m.ruleId?.startsWith('rnn-migrate/')), file).toEqual([]);
      const fromEslint = messages.map((m) => `${m.line}:${m.column} ${m.ruleId!.slice('rnn-migrate/'.length)}`);
      const fromCheck = result.findings.filter((f) => f.relPath === file).map((f) => `${f.line}:${f.column} ${f.ruleId}`);
      expect(fromEslint, file).toEqual(fromCheck);
    }
  });

  it('--dry writes nothing; its diff applies and gives files that parse, and TypeScript that type-checks as before', async () => {
    let stdout = '';
    const io = { stdout: { write: (chunk: string) => ((stdout += chunk), true) } };
    const result = await run({ paths: [copy], mode: 'dry', workers: 0, progress: 'never' }, io);
    expect(result.notProcessed).toEqual([]);
    for (const file of sourceFiles) expect(readFileSync(join(copy, file), 'utf8'), file).toBe(read(file));

    const patches = new Map(parsePatch(stdout).filter((patch) => patch.hunks.length > 0).map((patch) => [patch.newFileName?.replace(/^b\//, ''), patch]));
    const changed: string[] = [];
    for (const file of sourceFiles) {
      const source = read(file);
      const { output, changed: isChanged } = migrateSource(source, file);
      expect(() => parserFor(file).parse(output), `${file} after --dry`).not.toThrow();
      const patch = patches.get(file);
      if (!isChanged) {
        expect(patch, `${file} is unchanged, yet --dry printed a diff`).toBeUndefined();
        continue;
      }
      changed.push(file);
      expect(patch, `${file} changes, yet --dry printed no diff`).toBeDefined();
      expect(applyPatch(source, patch!)).toBe(output);
    }
    expect([...result.changedFiles].sort()).toEqual(changed);
    expect(patches.size).toBe(changed.length);
    expect(newTypeErrors(changed.filter((file) => file.endsWith('.ts')))).toEqual({});
  });
});

/**
 * For each rewritten TypeScript file, the diagnostics (code and message, positions aside) its
 * rewrite has and the original lacks. The rewrite is written beside a copy of its original path
 * inside the repo, beside copies of the other files, so that module resolution (the repo's tsconfig
 * paths for 'rnn-migrate', the files' relative imports) is the same for both.
 */
function newTypeErrors(files: string[]): Record<string, string[]> {
  if (files.length === 0) return {};
  const temporary = mkdtempSync(join(publicDir, '.typecheck-'));
  try {
    // Every copied file goes along, so that imports between them resolve as they do for the originals.
    for (const file of sourceFiles) cpSync(join(publicDir, file), join(temporary, file));
    const rewritten = files.map((file) => {
      const path = join(temporary, file);
      writeFileSync(path, migrateSource(read(file), file).output);
      return path;
    });
    const originals = files.map((file) => join(publicDir, file));
    const program = ts.createProgram([...originals, ...rewritten], compilerOptions());
    const describe = (path: string) => {
      const sourceFile = program.getSourceFile(path)!;
      return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map(
        (d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    };
    const added: Record<string, string[]> = {};
    files.forEach((file, i) => {
      const before = describe(originals[i]);
      const extra = describe(rewritten[i]).filter((message) => {
        const at = before.indexOf(message);
        if (at >= 0) before.splice(at, 1);
        return at < 0;
      });
      if (extra.length > 0) added[file] = extra;
    });
    return added;
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}
