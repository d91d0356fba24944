// The programmatic API (rnn-migrate/cli): run() with typed options and a typed result, silent
// unless given streams, UsageError for what the CLI exits 2 on; and a tree with no legacy text
// never loads the parsers (checked in a fresh Node process).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DirtyTreeError, run, UsageError, type RunResult } from '../../src/cli/index.js';
import { legacySource, makeRepo, plainSource, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('run()', () => {
  it('lints: findings with repository-relative paths, files not processed with the reason, nothing printed', async () => {
    const dir = makeRepo({ 'src/model.ts': legacySource, 'src/plain.ts': plainSource, 'src/broken.ts': "import 'rnn-migrate/legacy';\nconst = ;\n" });
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const result: RunResult = await run({ paths: ['src'], mode: 'check', workers: 0 }, { cwd: dir });
    expect([stdout.mock.calls, stderr.mock.calls]).toEqual([[], []]);
    vi.restoreAllMocks();
    expect(result.exitCode).toBe(1);
    expect(result.root).toBe(dir);
    expect(new Set(result.findings.map((finding) => finding.relPath))).toEqual(new Set(['src/model.ts']));
    expect(result.findings[0]).toMatchObject({ ruleId: 'legacy-import', line: 1, column: 1 });
    expect(result.notProcessed).toEqual([{ relPath: 'src/broken.ts', message: expect.stringMatching(/^syntax error/), line: 2, column: 7 }]);
    expect(result.changedFiles).toEqual([]);
    expect(result.summary).toMatchObject({ mode: 'check', files: 3, errors: 1 });

    const shown = { text: '', write(chunk: string) { this.text += chunk; } };
    await run({ paths: ['src'], mode: 'check', workers: 0, format: 'json' }, { cwd: dir, stdout: shown });
    expect(JSON.parse(shown.text).summary.findings).toBe(result.summary.findings);
  });

  it('rewrites: the files written, then a clean lint; a dirty tree and bad options are UsageErrors', async () => {
    const dir = makeRepo({ 'a.ts': legacySource, 'b.ts': plainSource });
    const rewrite = await run({ paths: ['.'], workers: 0 }, { cwd: dir });
    expect(rewrite).toMatchObject({ exitCode: 0, changedFiles: ['a.ts'], notProcessed: [], interrupted: false });
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toContain("from 'rnn-migrate'");
    expect((await run({ paths: ['.'], mode: 'check' }, { cwd: dir })).exitCode).toBe(0);

    writeFileSync(join(dir, 'b.ts'), legacySource);
    const dirty = run({ paths: ['.'] }, { cwd: dir });
    await expect(dirty).rejects.toBeInstanceOf(DirtyTreeError);
    await expect(dirty).rejects.toMatchObject({ changedPaths: ['a.ts', 'b.ts'] });
    await expect(run({ paths: ['.'], workers: -1 }, { cwd: dir })).rejects.toThrow(UsageError);
    await expect(run({ paths: ['.'], mode: 'check', shard: { index: 3, count: 2 } }, { cwd: dir })).rejects.toThrow(/--shard 3\/2/);
    await expect(run({ paths: [] }, { cwd: dir })).rejects.toThrow('no paths given');
  });

  it('an aborted signal stops the run: nothing written, every file listed as not processed, exit code 130', async () => {
    const dir = makeRepo({ 'a.ts': legacySource, 'b.ts': legacySource });
    const controller = new AbortController();
    controller.abort();
    const result = await run({ paths: ['.'], signal: controller.signal }, { cwd: dir });
    expect(result).toMatchObject({ exitCode: 130, interrupted: true, changedFiles: [] });
    expect(result.notProcessed.map((file) => file.relPath)).toEqual(['a.ts', 'b.ts']);
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe(legacySource);
  });
});

describe('lint speed', () => {
  // CommonJS modules (jscodeshift, recast, @babel/parser) land in Node's shared require cache when loaded.
  const script = `
    import { createRequire } from 'node:module';
    const { run } = await import(${JSON.stringify(join(repoRoot, 'src/cli/index.ts'))});
    const result = await run({ paths: ['.'], mode: 'check', workers: 0 }, { cwd: process.argv[1] });
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const parsers = ['jscodeshift', 'recast', '@babel/parser'].filter((name) => loaded.some((file) => file.includes('/node_modules/' + name + '/')));
    console.log(JSON.stringify({ exitCode: result.exitCode, parsers }));
  `;
  const lint = (dir: string) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { cwd: repoRoot, encoding: 'utf8' }));

  it('a tree with no legacy text loads no parser; one with legacy text does', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`src/m${i}.ts`] = plainSource;
    expect(lint(makeRepo(files))).toEqual({ exitCode: 0, parsers: [] });
    expect(lint(makeRepo({ ...files, 'src/legacy.ts': legacySource }))).toEqual({ exitCode: 1, parsers: ['jscodeshift', 'recast', '@babel/parser'] });
  });
});
