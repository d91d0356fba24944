// What discovery takes and skips, through main() on temporary git repositories: .gitignore files
// up to the git root, --ignore-pattern, skip reasons, symbolic links, --shard.
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonReport, legacySource, makeRepo, plainSource, removeTempDirs, runCli } from '../helpers.js';

afterAll(removeTempDirs);

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
    writeFileSync(join(dir, 'app/src/latin1.ts'), Buffer.from("import 'rnn-migrate/legacy'; // caf\xe9\n", 'latin1'));
    const { report } = await jsonReport(join(dir, 'app'), ['--ignore-pattern', 'vendor/', '--max-warnings', '-1', '.']);
    // A file skipped as too large or not UTF-8 that mentions the legacy entry is a finding there.
    expect(report.files.map((file) => file.path)).toEqual(['app/src/huge.ts', 'app/src/keep.ts', 'app/src/latin1.ts', 'app/src/model.ts']);
    const mentions = report.files.filter((file) => file.path === 'app/src/huge.ts' || file.path === 'app/src/latin1.ts');
    expect(mentions.map((file) => file.findings.map(({ ruleId, line, column }) => ({ ruleId, line, column })))).toEqual([
      [{ ruleId: 'legacy-import', line: 1, column: legacySource.indexOf('rnn-migrate/legacy') + 1 }],
      [{ ruleId: 'legacy-import', line: 1, column: 9 }],
    ]);
    const reasons = Object.fromEntries(report.skipped.map((skip) => [skip.path, skip.reason]));
    expect(reasons).toEqual({
      'app/node_modules': 'node-modules',
      'app/dist/bundle.min.js': 'minified',
      'app/src/minified.js': 'minified',
      'app/src/huge.ts': 'too-large',
      'app/src/binary.js': 'binary',
      'app/src/latin1.ts': 'not-utf8',
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
