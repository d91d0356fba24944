// What discovery takes and skips, through main() on temporary git repositories: .gitignore files
// up to the git root, --ignore-pattern, skip reasons, symbolic links, --shard.
import { chmodSync, readdirSync, readFileSync, symlinkSync, writeFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunHooks } from '../../../src/cli/run.js';
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

  it('reports a folder it cannot read as an error (exit 1) and processes the rest', async () => {
    const dir = makeRepo({ 'src/locked/model.ts': legacySource, 'src/open/plain.ts': plainSource });
    const locked = join(dir, 'src/locked');
    // chmod 000 denies reads to everyone but root; as root (CI containers) the same refusal is
    // injected where the walk lists folders.
    const asRoot = process.getuid?.() === 0;
    const hooks: RunHooks = asRoot
      ? {
          readDirectory(path: string): Dirent[] {
            if (path === locked) throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: 'EACCES' });
            return readdirSync(path, { withFileTypes: true });
          },
        }
      : {};
    if (!asRoot) chmodSync(locked, 0o000);
    try {
      const result = await runCli(dir, ['--check', '--format', 'json', '.'], { hooks });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as { files: { path: string; error?: { message: string } }[]; summary: { errors: number } };
      expect(report.files).toEqual([{ path: 'src/locked', findings: [], error: { message: expect.stringMatching(/^cannot read folder: EACCES/) } }]);
      expect(report.summary.errors).toBe(1);
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it('does not follow a symbolic link named on the command line out of the tree; one inside is processed as its target', async () => {
    const outside = makeRepo({ 'theirs.ts': legacySource });
    writeFileSync(join(outside, 'dirty.ts'), 'uncommitted\n');
    const dir = makeRepo({ 'src/model.ts': legacySource });
    symlinkSync(join(outside, 'theirs.ts'), join(dir, 'src/theirs.ts'));
    symlinkSync(join(dir, 'src/model.ts'), join(dir, 'alias.ts'));
    const rewrite = await runCli(dir, ['--force', 'src/theirs.ts', 'alias.ts']);
    expect(rewrite.code).toBe(0);
    expect(readFileSync(join(outside, 'theirs.ts'), 'utf8')).toBe(legacySource);
    expect(readFileSync(join(dir, 'src/model.ts'), 'utf8')).toContain("from 'rnn-migrate'");
    const { report } = await jsonReport(dir, ['--verbose', 'src/theirs.ts']);
    expect(report.skipped).toEqual([expect.objectContaining({ path: 'src/theirs.ts', reason: 'symlink-outside-tree' })]);
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

  it('--shard picks the same files from any working folder: paths from the git root, else the common folder of the paths', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`src/dir${i % 4}/file${i}.ts`] = legacySource;
    for (const git of [true, false]) {
      const dir = makeRepo(files, { git });
      const shardFrom = async (cwd: string, path: string) => {
        const { report } = await jsonReport(cwd, ['--shard', '1/3', '--max-warnings', '-1', path]);
        // Repository-relative with git ('src/dir0/…'), relative to the folder given without ('dir0/…').
        return report.files.map((file) => file.path.replace(/^src\//, ''));
      };
      // From inside the tree and from the folder above it (a CI job's checkout path), the same files.
      const inside = await shardFrom(join(dir, 'src'), '.');
      const above = await shardFrom(join(dir, '..'), join(dir, 'src'));
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.length).toBeLessThan(40);
      expect(above.sort(), git ? 'git' : 'no git').toEqual(inside.sort());
    }
  });
});
