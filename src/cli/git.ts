// The git facts a run needs: where the work tree starts (repository-relative paths, .gitignore
// files up to it) and whether the files about to be rewritten have uncommitted changes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The closest folder at or above `start` holding `.git` (a folder, or a file for worktrees). */
export function findGitRoot(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Paths (relative to `gitRoot`) with uncommitted changes: staged, unstaged, or untracked and not
 * ignored, since git could not give back any of those after a rewrite.
 */
export async function uncommittedChanges(gitRoot: string): Promise<string[]> {
  const { stdout } = await execFileAsync('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all'], {
    cwd: gitRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const changed: string[] = [];
  const entries = stdout.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry === undefined || entry.length < 4) continue;
    changed.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return changed;
}
