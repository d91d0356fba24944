// One rewrite at a time per tree, through main() on temporary git repositories: a second run while
// one is rewriting is refused (exit 2, named), a lock left by a run that is gone is taken over,
// the lock goes away with its run, lint mode takes none.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockFileFor } from '../../src/cli/lock.js';
import { legacySource, makeRepo, removeTempDirs, runCli, type CliRun } from './helpers.js';

afterAll(removeTempDirs);

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const lockOf = (pid: number) => `${JSON.stringify({ pid, host: hostname(), startedAt: '2026-12-03T00:00:00.000Z' })}\n`;

describe('the tree lock', () => {
  it('refuses a second rewrite of the same tree while the first runs, and releases it after', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource, 'src/b.ts': legacySource });
    let second: CliRun | undefined;
    const first = await runCli(dir, ['src'], {
      hooks: {
        async beforeWrite() {
          second ??= await runCli(dir, ['--force', 'src']);
        },
      },
    });
    expect(first.code).toBe(0);
    expect(second?.code).toBe(2);
    expect(second?.stderr).toContain(`another rnn-migrate run is rewriting ${dir} (pid ${process.pid}`);
    expect(existsSync(lockFileFor(dir))).toBe(false);
    expect(lockFileFor(dir)).toBe(join(dir, '.git', 'rnn-migrate.lock'));
  });

  it('refuses while a live process holds the lock, takes over one whose process is gone', async () => {
    const dir = makeRepo({ 'a.ts': legacySource });
    writeFileSync(lockFileFor(dir), lockOf(process.pid));
    const refused = await runCli(dir, ['.']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`delete ${lockFileFor(dir)} if no run is going on`);
    expect(read(dir, 'a.ts')).toBe(legacySource);
    // Lint mode writes no source file and takes no lock.
    expect((await runCli(dir, ['--check', '.'])).code).toBe(1);

    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(lockFileFor(dir), lockOf(gone));
    const taken = await runCli(dir, ['.']);
    expect(taken.code).toBe(0);
    expect(read(dir, 'a.ts')).toContain("from 'rnn-migrate'");
    expect(existsSync(lockFileFor(dir))).toBe(false);
  });

  it('keeps the lock of a git worktree in its own git folder', () => {
    const dir = makeRepo({ 'a.ts': legacySource });
    const worktree = makeRepo({}, { git: false });
    writeFileSync(join(worktree, '.git'), `gitdir: ${join(dir, '.git', 'worktrees', 'x')}\n`);
    expect(lockFileFor(worktree)).toBe(join(dir, '.git', 'worktrees', 'x', 'rnn-migrate.lock'));
  });
});
