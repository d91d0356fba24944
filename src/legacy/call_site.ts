/**
 * Finds the user's `file:line:column` in a stack trace: the first frame that is not inside this
 * package (its src/ while developing, its dist/ once installed, under node_modules/rnn-migrate or
 * anywhere else) and not inside Node itself or tfjs. Only called once a problem is detected, so
 * the hot path never captures a stack.
 */

/** A file: URL as a path. Not node:url's, so that the legacy entry also loads in browsers. */
function fileURLToPath(url: string | URL): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'file:') throw new TypeError(`not a file: URL: ${String(url)}`);
  const path = decodeURIComponent(parsed.pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/x → C:/x
}

/**
 * This package's root, from this module's own location (<root>/src/legacy or <root>/dist/legacy):
 * a path under Node, the dev server's URL in a browser (whose stack frames are URLs too).
 */
const packageRoot = (() => {
  try {
    const root = new URL('../../', import.meta.url);
    return root.protocol === 'file:' ? fileURLToPath(root).replace(/[\\/]+$/, '') : root.href.replace(/\/+$/, '');
  } catch {
    return null; // a bundle without a hierarchical import.meta.url: the patterns below still apply
  }
})();

const ownDirectories =
  packageRoot === null ? [] : ['src', 'dist'].map((dir) => `${packageRoot}/${dir}/`.replace(/\\/g, '/'));

/** Frames we never blame: an installed copy of this package, tfjs, Node and the test runner's internals. */
const foreignFramePatterns: readonly RegExp[] = [
  /[\\/]node_modules[\\/]rnn-migrate[\\/]/,
  /[\\/]node_modules[\\/]@tensorflow[\\/]/,
  /[\\/]node_modules[\\/]\.vite[\\/]/, // dependencies pre-bundled by a Vite dev server
  /[\\/]node_modules[\\/](?:vitest|@vitest|tinypool|tsx)[\\/]/,
  /^node:/,
];

/**
 * V8: `    at fn (location)` or `    at location`; Firefox and Safari: `fn@location` or `@location`;
 * where location is `file:line:column`.
 */
const frameLocation = /^\s*(?:at (?:.*? \()?|[^@\s]*@)(.+?):(\d+):(\d+)\)?\s*$/;

export interface CallSite {
  file: string;
  line: number;
  column: number;
}

export function parseStackFrames(stack: string): CallSite[] {
  const sites: CallSite[] = [];
  for (const line of stack.split('\n')) {
    const match = frameLocation.exec(line);
    if (!match) continue;
    let file = match[1]!;
    if (file.startsWith('async ')) file = file.slice('async '.length);
    if (file.startsWith('file://')) file = fileURLToPath(file);
    // A dev server's cache-busting query (`recur.ts?v=3f2a`) is not part of the file's name.
    file = file.replace(/\?[^/\\]*$/, '');
    sites.push({ file, line: Number(match[2]), column: Number(match[3]) });
  }
  return sites;
}

function isOwnOrForeign(file: string): boolean {
  const normalized = file.replace(/\\/g, '/');
  if (ownDirectories.some((dir) => normalized.startsWith(dir))) return true;
  return foreignFramePatterns.some((pattern) => pattern.test(file));
}

/** The first user frame of `stack` as `file:line:column`, or `'<unknown>'` when there is none. */
export function userSiteFromStack(stack: string | undefined): string {
  if (!stack) return '<unknown>';
  const frame = parseStackFrames(stack).find((site) => !isOwnOrForeign(site.file));
  return frame ? `${frame.file}:${frame.line}:${frame.column}` : '<unknown>';
}

/** The user's call site of the current call into this package. */
export function captureUserSite(): string {
  const previousLimit = Error.stackTraceLimit;
  // Deep tfjs scopes (tidy inside minimize inside a training loop) push the user frame far down.
  Error.stackTraceLimit = 100;
  try {
    return userSiteFromStack(new Error().stack);
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
}
