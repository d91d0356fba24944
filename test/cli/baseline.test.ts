// The baseline ratchet through main(): usage recorded today passes, new usage fails, fixed usage
// leaves a stale entry that fails until --prune-baseline lowers it; shards judge only their files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/cli/discovery/shard.js';
import { legacySource, makeRepo, plainSource, removeTempDirs, runCli, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

const secondImport = "import { GRU } from 'rnn-migrate/legacy';\n";
const readBaseline = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8')) as Record<string, Record<string, { count: number }>>;

describe('--baseline', () => {
  it('ratchets: recorded usage passes, new usage fails, fixed usage fails until pruned', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource, 'src/b.ts': legacySource, 'src/c.ts': plainSource });
    const check = (...extra: string[]) => runCli(dir, ['--check', '--baseline', 'baseline.json', ...extra, '.']);

    const missing = await check();
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--update-baseline');

    const update = await check('--update-baseline');
    expect(update.code).toBe(0);
    const recorded = readBaseline(dir);
    expect(Object.keys(recorded)).toEqual(['src/a.ts', 'src/b.ts']);
    expect(recorded['src/a.ts']?.['legacy-import']).toEqual({ count: 1 });

    const same = await check();
    expect(same.code).toBe(0);
    expect(same.stderr).toMatch(/no findings \(\d+ covered by the baseline\)/);

    // New usage: a second legacy import in a.ts and a first one in c.ts.
    writeFiles(dir, { 'src/a.ts': secondImport + legacySource, 'src/c.ts': secondImport });
    const grew = await check();
    expect(grew.code).toBe(1);
    expect(grew.stdout).toContain('src/a.ts');
    expect(grew.stdout).toContain('src/c.ts');
    expect(grew.stdout).not.toContain('src/b.ts');

    // Fixed usage: b.ts migrated, the others back to what was recorded.
    writeFiles(dir, { 'src/a.ts': legacySource, 'src/b.ts': plainSource, 'src/c.ts': plainSource });
    const stale = await check();
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/src\/b\.ts\n\s+error\s+baseline allows 1 legacy-import in this file but 0 remain: run with --prune-baseline/);
    const json = JSON.parse((await check('--format', 'json')).stdout);
    expect(json.baseline.stale).toContainEqual({ path: 'src/b.ts', ruleId: 'legacy-import', baseline: 1, actual: 0 });
    expect(json.baseline.stale.every((entry: { path: string }) => entry.path === 'src/b.ts')).toBe(true);

    const prune = await check('--prune-baseline');
    expect(prune.code).toBe(0);
    expect(Object.keys(readBaseline(dir))).toEqual(['src/a.ts']);
    expect((await check()).code).toBe(0);
  });

  it('a deleted file leaves a stale entry; --prune-baseline never raises a count', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource, 'src/b.ts': legacySource });
    await runCli(dir, ['--check', '--baseline', 'baseline.json', '--update-baseline', '.']);
    writeFiles(dir, { 'src/a.ts': secondImport + legacySource });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'src/b.ts'));
    const result = await runCli(dir, ['--check', '--baseline', 'baseline.json', '--prune-baseline', '.']);
    expect(result.code).toBe(1); // a.ts grew: still reported after the prune
    const pruned = readBaseline(dir);
    expect(Object.keys(pruned)).toEqual(['src/a.ts']);
    expect(pruned['src/a.ts']?.['legacy-import']).toEqual({ count: 1 });
  });

  it('with --shard, judges and updates only the entries of its own files', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`src/f${i}.ts`] = legacySource;
    const dir = makeRepo(files);
    expect((await runCli(dir, ['--check', '--baseline', 'baseline.json', '--update-baseline', '.'])).code).toBe(0);
    const fixed = Object.keys(files).find((path) => shardOf(path, 2) === 2) as string;
    writeFiles(dir, { [fixed]: plainSource });
    const own = await runCli(dir, ['--check', '--baseline', 'baseline.json', '--shard', '1/2', '.']);
    expect(own.code).toBe(0);
    const other = await runCli(dir, ['--check', '--baseline', 'baseline.json', '--shard', '2/2', '.']);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(fixed);
    await runCli(dir, ['--check', '--baseline', 'baseline.json', '--shard', '2/2', '--prune-baseline', '.']);
    const after = readBaseline(dir);
    expect(Object.keys(after)).toHaveLength(11);
    expect(after[fixed]).toBeUndefined();
  });
});
