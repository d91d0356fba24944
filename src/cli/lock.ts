// One rewrite at a time per tree: two runs on one work tree would read each other's half-done
// state. The lock is a file in the tree's git folder (else in the OS temp folder, named after the
// tree) holding the owner's pid and host; a lock whose owner on this host is gone is stale and
// taken over, so a crashed run never blocks the next one.
import { createHash } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** Another run holds the lock of a tree this run would rewrite (exit code 2). */
export class LockHeldError extends UsageError {}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface TreeLock {
  release(): void;
}

/** The lock file of the tree at `root`: in its git folder (a worktree has its own), else in tmpdir. */
export function lockFileFor(root: string): string {
  const dotGit = join(root, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return join(dotGit, 'rnn-migrate.lock');
    const gitdir = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
    if (gitdir !== undefined) return join(resolve(root, gitdir.trim()), 'rnn-migrate.lock');
  } catch {
    // Not a git work tree.
  }
  return join(tmpdir(), `rnn-migrate-${createHash('sha1').update(root).digest('hex').slice(0, 16)}.lock`);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string') return { startedAt: '?', ...owner } as LockOwner;
  } catch {
    // Unreadable or not ours: treated as held, never removed behind someone's back.
  }
  return undefined;
}

/** Whether the owner may still run: on another host it cannot be told, so yes. */
function mayBeAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the lock file whole or not at all (a hard link of a written file fails if one exists). */
function tryCreate(file: string, owner: LockOwner): boolean {
  const draft = `${file}.${owner.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(draft, `${JSON.stringify(owner)}\n`);
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

/** Takes the lock of the tree at `root`, taking over a stale one; LockHeldError when it is held. */
export function lockTree(root: string): TreeLock {
  const file = lockFileFor(root);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(file, owner)) {
      return {
        release() {
          const current = readOwner(file);
          if (current?.pid === owner.pid && current.startedAt === owner.startedAt) unlinkSync(file);
        },
      };
    }
    const holder = readOwner(file);
    if (holder === undefined || mayBeAlive(holder)) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'owner unknown';
      throw new LockHeldError(
        `another rnn-migrate run is rewriting ${root} (${who}): wait for it to finish, ` +
          `or delete ${file} if no run is going on`,
      );
    }
    try {
      unlinkSync(file); // stale: its owner is gone
    } catch {
      // Another run took it over first; the next attempt tells.
    }
  }
  throw new LockHeldError(`cannot take the lock ${file} of ${root}: another run keeps taking it over`);
}

/** Locks every tree (in a fixed order), all or none. */
export function lockTrees(roots: readonly string[]): TreeLock {
  const locks: TreeLock[] = [];
  try {
    for (const root of [...new Set(roots)].sort()) locks.push(lockTree(root));
  } catch (error) {
    for (const lock of locks.reverse()) lock.release();
    throw error;
  }
  return { release: () => locks.reverse().forEach((lock) => lock.release()) };
}
