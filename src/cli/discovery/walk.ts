// File discovery: walks the given paths and returns the JavaScript/TypeScript files to process,
// honouring every .gitignore up to the git root and --ignore-pattern, and names what it left out.
// Symbolic links are never followed: one out of the tree could make a rewrite touch files outside
// the repository, and one inside it points at a file that is processed under its own path.
import { existsSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { findGitRoot } from '../git.js';
import { IgnoreStack, relativeBelow } from './gitignore.js';
import { hasMinifiedName, isSourceFile, type SkippedPath } from './skip.js';

export interface DiscoveryOptions {
  /** Extra ignore patterns, relative to `cwd`. */
  ignorePatterns: IgnoreStack;
}

export interface Discovery {
  /** Absolute paths, sorted, each once. */
  files: string[];
  skipped: SkippedPath[];
}

interface Walk {
  options: DiscoveryOptions;
  /** The tree a symbolic link must stay inside (the git root, else the given folder). */
  treeRoot: string;
  files: Set<string>;
  skipped: SkippedPath[];
}

function isInside(root: string, path: string): boolean {
  return path === root || relativeBelow(root, path) !== undefined;
}

function realTreeRoot(path: string): string {
  const root = findGitRoot(path) ?? path;
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

/** A file the walk met: taken, or skipped for a reason a user would want to know. */
function takeFile(walk: Walk, path: string, explicit: boolean): void {
  const name = basename(path);
  if (!isSourceFile(name)) {
    if (explicit) walk.skipped.push({ path, reason: 'not-source' });
    return;
  }
  if (hasMinifiedName(name)) {
    walk.skipped.push({ path, reason: 'minified', detail: 'by its name' });
    return;
  }
  walk.files.add(path);
}

/** The skip entry for a symbolic link to a folder or a source file; undefined for other links. */
function symlinkSkip(walk: Walk, path: string): SkippedPath | undefined {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return isSourceFile(basename(path)) ? { path, reason: 'symlink-outside-tree', detail: 'dangling' } : undefined;
  }
  if (!isDirectoryPath(target) && !isSourceFile(basename(path))) return undefined;
  if (isInside(walk.treeRoot, target)) return { path, reason: 'symlink' };
  return { path, reason: 'symlink-outside-tree', detail: `→ ${target}` };
}

function walkFolder(walk: Walk, dir: string, gitignores: IgnoreStack): void {
  const stack = gitignores.withGitignoreOf(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name === '.git') continue;
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const skip = stack.ignores(path, false) ? undefined : symlinkSkip(walk, path);
      if (skip !== undefined) walk.skipped.push(skip);
      continue;
    }
    const isDirectory = entry.isDirectory();
    if (!isDirectory && !entry.isFile()) continue;
    if (isDirectory && entry.name === 'node_modules') {
      walk.skipped.push({ path, reason: 'node-modules' });
      continue;
    }
    if (stack.ignores(path, isDirectory) || walk.options.ignorePatterns.ignores(path, isDirectory)) continue;
    if (isDirectory) walkFolder(walk, path, stack);
    else takeFile(walk, path, false);
  }
}

export class MissingPathError extends Error {}

/**
 * Walks `paths` (absolute). A file named explicitly is taken even when a .gitignore covers it,
 * but --ignore-pattern still applies to it.
 */
export function discoverFiles(paths: readonly string[], options: DiscoveryOptions): Discovery {
  const files = new Set<string>();
  const skipped: SkippedPath[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new MissingPathError(`no such file or folder: ${path}`);
    const isDirectory = isDirectoryPath(path);
    const walk: Walk = {
      options,
      treeRoot: realTreeRoot(isDirectory ? path : dirname(path)),
      files,
      skipped,
    };
    if (isDirectory) {
      if (options.ignorePatterns.ignores(path, true)) continue;
      walkFolder(walk, path, IgnoreStack.forFolder(findGitRoot(path), dirname(path)));
    } else if (options.ignorePatterns.ignores(path, false)) {
      skipped.push({ path, reason: 'ignore-pattern' });
    } else {
      takeFile(walk, path, true);
    }
  }
  // Overlapping paths (`. src`) meet the same skips twice.
  const uniqueSkips = [...new Map(skipped.map((skip) => [skip.path, skip])).values()];
  return { files: [...files].sort(), skipped: uniqueSkips };
}

function isDirectoryPath(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
