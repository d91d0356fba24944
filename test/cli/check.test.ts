// Lint mode (--check) through main() on temporary git repositories, with the real codemods:
// exit codes, each format, SARIF against the official 2.1.0 schema, --max-warnings.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Ajv04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { jsonReport, legacySource, makeRepo, plainSource, removeTempDirs, runCli, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

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
