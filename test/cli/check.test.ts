// Lint mode (--check) through main() on temporary git repositories, with the real codemods:
// exit codes, each format, SARIF against the official 2.1.0 schema, --max-warnings, --shard and
// what discovery takes and skips.
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Ajv04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { legacySource, makeRepo, plainSource, removeTempDirs, runCli, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

interface JsonReport {
  files: { path: string; findings: { ruleId: string; line: number; column: number; fingerprint: string }[]; error?: unknown }[];
  skipped: { path: string; reason: string }[];
  summary: { files: number; findings: number; errors: number; skipped: number };
}

async function jsonReport(dir: string, args: string[]): Promise<{ code: number; report: JsonReport }> {
  const result = await runCli(dir, ['--check', '--format', 'json', ...args]);
  return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
}

describe('--check exit codes and formats', () => {
  it('exits 0 on a clean tree, 1 with findings, 1 with a file it cannot parse, and writes nothing', async () => {
    const clean = makeRepo({ 'src/a.ts': plainSource });
    const ok = await runCli(clean, ['--check', '.']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
    expect(ok.stderr).toContain('no findings');

    const dir = makeRepo({ 'src/model.ts': legacySource, 'src/a.ts': plainSource });
    const found = await runCli(dir, ['--check', '.']);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain('src/model.ts');
    expect(found.stdout).toMatch(/1:1\s+warning\s+.*legacy-import/);
    expect(readFileSync(join(dir, 'src/model.ts'), 'utf8')).toBe(legacySource);

    const broken = makeRepo({ 'src/broken.ts': 'const = ;\n', 'src/legacy.ts': "import 'rnn-migrate/legacy';\nconst = ;\n" });
    const failed = await runCli(broken, ['--check', '--max-warnings', '-1', '.']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/src\/legacy\.ts\n\s+2:7\s+error\s+syntax error/);
  });

  it('--max-warnings tolerates up to that many findings', async () => {
    const dir = makeRepo({ 'a.ts': legacySource, 'b.ts': legacySource });
    const { report } = await jsonReport(dir, ['.']);
    const count = report.summary.findings;
    expect(count).toBeGreaterThanOrEqual(2);
    expect((await runCli(dir, ['--check', '--max-warnings', String(count), '.'])).code).toBe(0);
    expect((await runCli(dir, ['--check', '--max-warnings', String(count - 1), '.'])).code).toBe(1);
    expect((await runCli(dir, ['--check', '--max-warnings', '-1', '.'])).code).toBe(0);
  });

  it('json: repository-relative paths, 1-based positions, fingerprints', async () => {
    const dir = makeRepo({ 'pkg/src/model.ts': legacySource });
    const { code, report } = await jsonReport(join(dir, 'pkg'), ['src']);
    expect(code).toBe(1);
    const [file] = report.files;
    expect(file?.path).toBe('pkg/src/model.ts');
    expect(file?.findings[0]).toMatchObject({ ruleId: 'legacy-import', line: 1, column: 1 });
    expect(file?.findings[0]?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });

  it('sarif: valid against the SARIF 2.1.0 schema, with stable fingerprints that survive edits above', async () => {
    const dir = makeRepo({ 'src/model.ts': legacySource, 'src/broken.ts': "import 'rnn-migrate/legacy';\n)(\n" });
    const first = await runCli(dir, ['--check', '--format', 'sarif', '.']);
    expect(first.code).toBe(1);
    const log = JSON.parse(first.stdout);

    const require = createRequire(import.meta.url);
    const schemaFile = join(dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json');
    // The official schema has a pattern that is valid only without the u flag (language: ...]?$).
    // Both are CommonJS modules whose class/plugin is also their `default` export.
    const ajv = new Ajv04.default({ allErrors: true, strict: false, unicodeRegExp: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ ...log, runs: [{ ...log.runs[0], results: [{ level: 'loud' }] }] })).toBe(false);

    const run = log.runs[0];
    expect(run.tool.driver.rules.map((rule: { id: string }) => rule.id)).toContain('legacy-import');
    const result = run.results[0];
    expect(result.locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'src/model.ts', uriBaseId: '%SRCROOT%' });
    expect(run.invocations[0].toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      'src/broken.ts',
    );
    const fingerprint = result.partialFingerprints['rnnMigrateFinding/v1'];

    writeFiles(dir, { 'src/model.ts': `// a comment above\n\n${legacySource}` });
    const written = await runCli(dir, ['--check', '--format', 'sarif', '--output-file', 'out.sarif', '.']);
    expect(written.stdout).toBe('');
    const second = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
    const moved = second.runs[0].results[0];
    expect(moved.locations[0].physicalLocation.region.startLine).toBe(3);
    expect(moved.partialFingerprints['rnnMigrateFinding/v1']).toBe(fingerprint);
  });

  it('github: annotations, the default under GITHUB_ACTIONS, and a job summary', async () => {
    const dir = makeRepo({ 'src/model.ts': legacySource });
    const summaryFile = join(dir, 'summary.md');
    writeFileSync(summaryFile, '');
    const result = await runCli(dir, ['--check', 'src'], { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^::warning file=src\/model\.ts,line=1,col=1,endLine=1,endColumn=\d+,title=rnn-migrate \(legacy-import\)::/m);
    const summary = readFileSync(summaryFile, 'utf8');
    expect(summary).toContain('### rnn-migrate --check');
    expect(summary).toContain('| `legacy-import` |');
  });
});

describe('discovery', () => {
  it('honours .gitignore files up to the git root and --ignore-pattern, skips what it must with a reason', async () => {
    const dir = makeRepo({
      '.gitignore': 'generated/\n',
      'app/.gitignore': 'local.ts\n!keep.ts\n',
      'app/src/model.ts': legacySource,
      'app/src/local.ts': legacySource,
      'app/src/keep.ts': legacySource,
      'app/generated/gen.ts': legacySource,
      'app/vendor/lib.ts': legacySource,
      'app/node_modules/dep/index.js': legacySource,
      'app/dist/bundle.min.js': legacySource,
      'app/src/minified.js': `${'var a=1;'.repeat(400)}import 'rnn-migrate/legacy';`,
      'app/src/huge.ts': `${legacySource}//${'x'.repeat(2000)}\n`.repeat(600),
      'app/src/types.d.ts': legacySource,
      'app/README.md': 'rnn-migrate/legacy',
    });
    writeFileSync(join(dir, 'app/src/binary.js'), Buffer.from([0, 1, 2, 3, 0, 255, 0, 7, 0, 0, 9]));
    const { report } = await jsonReport(join(dir, 'app'), ['--ignore-pattern', 'vendor/', '--max-warnings', '-1', '.']);
    expect(report.files.map((file) => file.path)).toEqual(['app/src/keep.ts', 'app/src/model.ts']);
    const reasons = Object.fromEntries(report.skipped.map((skip) => [skip.path, skip.reason]));
    expect(reasons).toEqual({
      'app/node_modules': 'node-modules',
      'app/dist/bundle.min.js': 'minified',
      'app/src/minified.js': 'minified',
      'app/src/huge.ts': 'too-large',
      'app/src/binary.js': 'binary',
    });
  });

  it('does not follow a symbolic link out of the tree', async () => {
    const outside = makeRepo({ 'secret.ts': legacySource, 'lib/x.ts': legacySource }, { git: false });
    const dir = makeRepo({ 'src/model.ts': plainSource });
    symlinkSync(join(outside, 'secret.ts'), join(dir, 'src/secret.ts'));
    symlinkSync(join(outside, 'lib'), join(dir, 'src/lib'));
    const { code, report } = await jsonReport(dir, ['.']);
    expect(code).toBe(0);
    expect(report.files).toEqual([]);
    expect(report.skipped).toEqual([
      expect.objectContaining({ path: 'src/lib', reason: 'symlink-outside-tree' }),
      expect.objectContaining({ path: 'src/secret.ts', reason: 'symlink-outside-tree' }),
    ]);
    const rewrite = await runCli(dir, ['--force', '.']);
    expect(rewrite.code).toBe(0);
    expect(readFileSync(join(outside, 'secret.ts'), 'utf8')).toBe(legacySource);
  });

  it('--shard i/n splits the files with no overlap and no gap', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`src/dir${i % 4}/file${i}.ts`] = legacySource;
    const dir = makeRepo(files);
    const all = (await jsonReport(dir, ['.'])).report.files.map((file) => file.path).sort();
    expect(all).toHaveLength(40);
    const shards: string[][] = [];
    for (let index = 1; index <= 3; index++) {
      const { report } = await jsonReport(dir, ['--shard', `${index}/3`, '.']);
      shards.push(report.files.map((file) => file.path));
      expect(report.summary.files).toBe(report.files.length);
    }
    expect(shards.every((shard) => shard.length > 0)).toBe(true);
    expect(shards.flat().sort()).toEqual(all);
    // Deterministic: the same shard again, from another working folder, gets the same files.
    const again = await jsonReport(join(dir, 'src'), ['--shard', '2/3', '.']);
    expect(again.report.files.map((file) => file.path)).toEqual(shards[1]);
  });
});
