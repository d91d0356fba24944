// File discovery: walks the given paths and returns the JavaScript/TypeScript files to process,
// honouring every .gitignore up to the git root and --ignore-pattern, and names what it left out
// and what it could not read. A symbolic link whose target is outside the tree (the git root,
// else the folder the link is in or was walked from) is never followed, whether it was named on
// the command line or met in a folder: a rewrite must not touch another repository. One inside
// the tree is not followed in a walk (its target is processed under its own path); named on the
// command line, its target is processed under its own path.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { findGitRoot } from '../git.js';
import { IgnoreStack, relativeBelow } from './gitignore.js';
import { hasMinifiedName, isSourceFile, type SkippedPath } from './skip.js';

export interface DiscoveryOptions {
  /** Extra ignore patterns, relative to `cwd`. */
  ignorePatterns: IgnoreStack;
  /** Lists a folder (tests make it fail); readdirSync by default. */
  readDirectory?: (dir: string) => Dirent[];
}

/** A path discovery could not read (a folder it could not list). */
export interface UnreadablePath {
  path: string;
  message: string;
}

export interface Discovery {
  /** Absolute paths, sorted, each once. */
  files: string[];
  skipped: SkippedPath[];
  unreadable: UnreadablePath[];
}

interface Walk {
  options: DiscoveryOptions;
  /** The tree a symbolic link must stay inside (the git root, else the given folder). */
  treeRoot: string;
  files: Set<string>;
  skipped: SkippedPath[];
  unreadable: UnreadablePath[];
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

const readDirectory = (dir: string): Dirent[] => readdirSync(dir, { withFileTypes: true });

function walkFolder(walk: Walk, dir: string, gitignores: IgnoreStack): void {
  const stack = gitignores.withGitignoreOf(dir);
  let entries: Dirent[];
  try {
    entries = (walk.options.readDirectory ?? readDirectory)(dir);
  } catch (error) {
    walk.unreadable.push({ path: dir, message: `cannot read folder: ${(error as Error).message}` });
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
  const unreadable: UnreadablePath[] = [];
  for (const given of paths) {
    if (!existsSync(given)) throw new MissingPathError(`no such file or folder: ${given}`);
    const path = namedTarget(given, skipped);
    if (path === undefined) continue;
    const isDirectory = isDirectoryPath(path);
    const walk: Walk = {
      options,
      treeRoot: realTreeRoot(isDirectory ? path : dirname(path)),
      files,
      skipped,
      unreadable,
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
  return { files: [...files].sort(), skipped: uniqueSkips, unreadable };
}

/**
 * A path named on the command line, or the target of a symbolic link named there when that
 * target is inside the link's tree; undefined (and a skip entry) for a link out of the tree.
 */
function namedTarget(path: string, skipped: SkippedPath[]): string | undefined {
  if (!lstatSync(path).isSymbolicLink()) return path;
  const target = realpathSync(path);
  if (isInside(realTreeRoot(dirname(path)), target)) return target;
  skipped.push({ path, reason: 'symlink-outside-tree', detail: `→ ${target}` });
  return undefined;
}

export function isDirectoryPath(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
