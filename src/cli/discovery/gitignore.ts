// The .gitignore files in force for a folder: the git root's .git/info/exclude, then every
// .gitignore from the git root down to the folder. A deeper file's negation can bring back what a
// shallower one ignored, as in git.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

interface IgnoreLayer {
  /** The folder the patterns are relative to. */
  base: string;
  rules: Ignore;
}

function readPatterns(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `path` relative to `base` with '/' separators, or undefined when it is not below `base`. */
export function relativeBelow(base: string, path: string): string | undefined {
  const rel = relative(base, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

export class IgnoreStack {
  private constructor(private readonly layers: readonly IgnoreLayer[]) {}

  static empty(): IgnoreStack {
    return new IgnoreStack([]);
  }

  /** Patterns given on the command line, relative to `base` (the working folder). */
  static fromPatterns(base: string, patterns: readonly string[]): IgnoreStack {
    return patterns.length === 0 ? IgnoreStack.empty() : new IgnoreStack([{ base, rules: ignore().add(patterns) }]);
  }

  /** Everything in force for `dir` inside the work tree at `gitRoot` (nothing outside git). */
  static forFolder(gitRoot: string | undefined, dir: string): IgnoreStack {
    if (gitRoot === undefined) return IgnoreStack.empty();
    let stack = IgnoreStack.empty();
    const exclude = readPatterns(join(gitRoot, '.git', 'info', 'exclude'));
    if (exclude !== undefined) stack = stack.withPatterns(gitRoot, exclude);
    if (dir !== gitRoot && relativeBelow(gitRoot, dir) === undefined) return stack;
    const chain: string[] = [];
    for (let folder = dir; ; folder = dirname(folder)) {
      chain.unshift(folder);
      if (folder === gitRoot || dirname(folder) === folder) break;
    }
    for (const folder of chain) stack = stack.withGitignoreOf(folder);
    return stack;
  }

  /** This stack plus `dir/.gitignore`, when there is one. */
  withGitignoreOf(dir: string): IgnoreStack {
    const patterns = readPatterns(join(dir, '.gitignore'));
    return patterns === undefined ? this : this.withPatterns(dir, patterns);
  }

  private withPatterns(base: string, patterns: string): IgnoreStack {
    return new IgnoreStack([...this.layers, { base, rules: ignore().add(patterns) }]);
  }

  ignores(path: string, isDirectory: boolean): boolean {
    let ignored = false;
    for (const layer of this.layers) {
      const rel = relativeBelow(layer.base, path);
      if (rel === undefined) continue;
      const result = layer.rules.test(isDirectory ? `${rel}/` : rel);
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    return ignored;
  }
}
