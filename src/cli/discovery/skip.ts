// Why a path is not processed. Every skip carries one of these reasons, so a user can see that a
// file was left out on purpose and why.

export const skipReasons = {
  'node-modules': 'dependency folder (node_modules)',
  'ignore-pattern': 'matches --ignore-pattern',
  symlink: 'symbolic link inside the tree, not followed (its target is processed under its own path)',
  'symlink-outside-tree': 'symbolic link to outside the tree, not followed',
  'not-source': 'not a JavaScript or TypeScript file',
  binary: 'binary file',
  'not-utf8': 'not UTF-8 text (a rewrite would corrupt it)',
  minified: 'minified file',
  'too-large': 'over the size limit',
} as const;

export type SkipReason = keyof typeof skipReasons;

export interface SkippedPath {
  /** Absolute path. */
  path: string;
  reason: SkipReason;
  /** Optional specifics, such as the size against the limit. */
  detail?: string;
}

const sourceFile = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const declarationFile = /\.d\.[cm]?ts$/;
const minifiedName = /[.-]min\.[cm]?js$/;

export function isSourceFile(name: string): boolean {
  return sourceFile.test(name) && !declarationFile.test(name);
}

export function hasMinifiedName(name: string): boolean {
  return minifiedName.test(name);
}

/**
 * Minified (or generated single-line) code: long lines on average. Hand-written code, even with a
 * long string or two, stays far below 250 characters a line.
 */
export function looksMinified(source: string): boolean {
  if (source.length < 1024) return false;
  let lines = 1;
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lines++;
  return source.length / lines > 250;
}
