// One run of rnn-migrate, given its programmatic options: discover and shard the files, lock the
// trees it will rewrite and refuse a dirty one, read and prefilter, process (this thread and the
// worker pool), write each file atomically and only if it is still what was read, then judge,
// report and return the result (see run-result.ts). index.ts is the public face of this module;
// the hooks here are seams for fault-injection tests.
import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
// The prefilter alone, not the codemods' index: importing that loads jscodeshift, recast and babel.
import { mayUseLegacy } from '../codemods/prefilter.js';
import { IgnoreStack } from './discovery/gitignore.js';
import { inShard } from './discovery/shard.js';
import { skipReasons, type SkippedPath } from './discovery/skip.js';
import { discoverFiles, isDirectoryPath, MissingPathError, type DiscoveryOptions, type UnreadablePath } from './discovery/walk.js';
import { findGitRoot, uncommittedChanges } from './git.js';
import { ioOf, type CliIo, type RunIo } from './io.js';
import { lockTrees } from './lock.js';
import { Progress } from './progress.js';
import { ProjectTfPackages } from './project-tf-package.js';
import { readSource, type LegacyMention } from './read-source.js';
import { emit, judge, reportOf, resultOf, type Processed, type RunContext } from './report.js';
import { defaultRunOptions, reportFormats, type RunInput, type RunOptions } from './run-options.js';
import type { RunResult } from './run-result.js';
import { UsageError } from './usage-error.js';
import { fingerprintFindings, type FileTask, type ReportedFinding } from './worker-pool/file-task.js';
import { processAll } from './worker-pool/pool.js';
import { contentHash, NotWrittenError, writeFileInPlace } from './write.js';

/** Seams for fault-injection tests; a program calling run() never sets them. */
export interface RunHooks {
  /** Runs right before a rewritten file replaces the original (tests edit or delete it here). */
  beforeWrite?(path: string): void | Promise<void>;
  /** Lists a folder (tests make one unreadable, even as root). */
  readDirectory?: DiscoveryOptions['readDirectory'];
  /** Heap limit (MiB) of the worker threads (tests lower it to run out of memory there). */
  workerHeapMb?: number;
}

/** A git work tree holding the paths has uncommitted changes and --force was not given (exit code 2). */
export class DirtyTreeError extends UsageError {
  constructor(readonly changedPaths: string[]) {
    const shown = changedPaths.slice(0, 20).map((path) => `  ${path}`);
    if (changedPaths.length > shown.length) shown.push(`  … and ${changedPaths.length - shown.length} more`);
    super(
      `refusing to rewrite: the git work tree has uncommitted changes:\n${shown.join('\n')}\n` +
        'Commit or stash them first, so the migration can be reviewed and undone with git, or pass --force.',
    );
  }
}

const toPosix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));
const byKey = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export async function runWithHooks(input: RunInput, runIo: RunIo = {}, hooks: RunHooks = {}): Promise<RunResult> {
  const startedAt = performance.now();
  const context = contextOf(resolveOptions(input), ioOf(runIo));
  const { options } = context;
  const { files, skipped, unreadable } = discover(context, hooks);
  const lock = options.mode === 'rewrite' ? lockTrees(treesOf(context.paths, context.root)) : undefined;
  let processed: Processed[];
  try {
    if (options.mode === 'rewrite' && !options.force) await refuseDirtyTree(context);
    processed = await readAndProcess(context, files, skipped, hooks);
  } finally {
    lock?.release();
  }
  processed.push(
    ...unreadable.map(({ path, message }) => ({ relPath: context.relPathOf(path), path, outcome: { findings: [], error: { message } } })),
  );
  processed.sort(byKey((entry) => entry.relPath));
  skipped.sort(byKey((entry) => entry.path));
  const done = new Set([...processed.map((entry) => entry.path), ...skipped.map((entry) => entry.path)]);
  const notReached = files.filter((path) => !done.has(path)).map(context.relPathOf);
  const { reported, baseline } = await judge(context, processed);
  const report = reportOf(context, files.length, processed, reported, skipped, baseline);
  emit(context, processed, report, notReached, startedAt);
  return resultOf(context, processed, report, notReached);
}

/** The defaults filled in, and everything a command line could get wrong checked. */
function resolveOptions(input: RunInput): RunOptions {
  const options: RunOptions = { ...defaultRunOptions(), ...input };
  const wholeAtLeast = (value: number, least: number): boolean => Number.isInteger(value) && value >= least;
  if (!wholeAtLeast(options.workers, 0)) throw new UsageError(`--workers expects a whole number of at least 0, got ${options.workers}`);
  if (!wholeAtLeast(options.maxWarnings, -1)) {
    throw new UsageError(`--max-warnings expects a whole number of at least -1, got ${options.maxWarnings}`);
  }
  if (!(options.maxFileSize >= 0)) throw new UsageError(`--max-file-size expects a number of bytes, got ${options.maxFileSize}`);
  if (!reportFormats.includes(options.format)) {
    throw new UsageError(`--format expects one of ${reportFormats.join(', ')}, got ${String(options.format)}`);
  }
  const { shard } = options;
  if (shard && !(wholeAtLeast(shard.count, 1) && wholeAtLeast(shard.index, 1) && shard.index <= shard.count)) {
    throw new UsageError(`--shard ${shard.index}/${shard.count}: i must be between 1 and n, and n at least 1`);
  }
  return options;
}

/** The deepest folder holding every one of `folders`. */
function commonFolder(folders: readonly string[]): string {
  return folders.reduce((common, folder) => {
    let candidate = common;
    while (candidate !== folder && !folder.startsWith(candidate.endsWith(sep) ? candidate : candidate + sep)) {
      candidate = dirname(candidate);
    }
    return candidate;
  });
}

/** The git root of each path, or (outside git) the folder it names or is in. */
function treesOf(paths: readonly string[], fallback: string): string[] {
  const trees = paths.map((path) => {
    const folder = isDirectoryPath(path) ? path : dirname(path);
    return findGitRoot(folder) ?? folder;
  });
  return trees.length > 0 ? [...new Set(trees)] : [fallback];
}

function contextOf(options: RunOptions, io: CliIo): RunContext {
  const { cwd } = io;
  const paths = options.paths.map((path) => resolve(cwd, path));
  if (paths.length === 0) throw new UsageError('no paths given');
  const [first] = paths;
  if (options.mode === 'print' && (paths.length !== 1 || !first || !existsSync(first) || isDirectoryPath(first))) {
    throw new UsageError('--print takes exactly one file');
  }
  const usesBaseline = options.baseline !== undefined || options.updateBaseline || options.pruneBaseline;
  if (usesBaseline && options.mode !== 'check') {
    throw new UsageError('--baseline, --update-baseline and --prune-baseline need --check');
  }
  // Not the working folder: every CI machine must name (and so shard) a file the same way.
  const root = commonFolder(treesOf(paths, cwd));
  return {
    options,
    io,
    paths,
    root,
    relPathOf: (path) => toPosix(relative(root, path)),
    displayPathOf: (path) => toPosix(relative(cwd, path)) || '.',
  };
}

/** The files (and skips, and unreadable folders) of this shard. */
function discover(context: RunContext, hooks: RunHooks): { files: string[]; skipped: SkippedPath[]; unreadable: UnreadablePath[] } {
  const { options, io, paths, relPathOf } = context;
  let discovery;
  try {
    discovery = discoverFiles(paths, {
      ignorePatterns: IgnoreStack.fromPatterns(io.cwd, options.ignorePatterns),
      ...(hooks.readDirectory ? { readDirectory: hooks.readDirectory } : {}),
    });
  } catch (error) {
    if (error instanceof MissingPathError) throw new UsageError(error.message);
    throw error;
  }
  const ours = (entry: { path: string }): boolean => inShard(relPathOf(entry.path), options.shard);
  return {
    files: discovery.files.filter((path) => ours({ path })),
    skipped: discovery.skipped.filter(ours),
    unreadable: discovery.unreadable.filter(ours),
  };
}

/**
 * Throws DirtyTreeError when a git work tree holding any of the paths has uncommitted changes
 * (anywhere in it, as pinned: the migration must be one reviewable, revertible diff).
 */
async function refuseDirtyTree({ paths }: RunContext): Promise<void> {
  const gitRoots = new Set(paths.map((path) => findGitRoot(path)).filter((root) => root !== undefined));
  const dirty: string[] = [];
  for (const gitRoot of gitRoots) {
    try {
      dirty.push(...(await uncommittedChanges(gitRoot)));
    } catch (error) {
      throw new UsageError(
        `cannot tell whether ${gitRoot} has uncommitted changes (${(error as Error).message}); pass --force to rewrite anyway`,
      );
    }
  }
  if (dirty.length > 0) throw new DirtyTreeError(dirty);
}

/** A file skipped unread or unparsed that mentions the legacy API: a finding, never a silent pass. */
function mentionFinding(relPath: string, skip: SkippedPath, mention: LegacyMention): ReportedFinding {
  const remedy = skip.reason === 'too-large' ? 'raise --max-file-size to analyse it' : 'save it as UTF-8 to analyse it';
  const reason = skip.detail === undefined ? skipReasons[skip.reason] : `${skipReasons[skip.reason]}, ${skip.detail}`;
  const finding = {
    ruleId: 'legacy-import' as const,
    message: `Mentions '${mention.marker}' but was not analysed (${reason}): ${remedy}, or migrate it by hand.`,
    line: 1,
    column: mention.column,
  };
  // The fingerprint hashes the line's text, not its number: the mention's line alone gives the same one.
  const [fingerprinted] = fingerprintFindings(relPath, mention.lineText, [finding]);
  return { ...fingerprinted!, line: mention.line };
}

/**
 * Reads and prefilters in this thread (adding content-based skips to `skipped`), then processes
 * the files that may use the legacy API and, in rewrite mode, writes each as it is done, if it
 * is still the file that was read and not read-only. Stops early when the signal fires.
 */
async function readAndProcess(context: RunContext, files: string[], skipped: SkippedPath[], hooks: RunHooks): Promise<Processed[]> {
  const { options, io, relPathOf } = context;
  const { mode, signal } = options;
  const progress = new Progress(io.stderr, files.length, options.progress === 'auto' && io.stderr.isTTY === true);
  const processed: Processed[] = [];
  const tasks: FileTask[] = [];
  const readHashes = new Map<string, string>();
  // A generated `tf` import names the project's own tfjs package (nearest package.json, up to the git root).
  const tfPackages = new ProjectTfPackages(findGitRoot(context.root));
  for (let i = 0; i < files.length && !signal?.aborted; i++) {
    if (i % 512 === 511) await yieldToEventLoop(); // lets the progress bar draw and Ctrl-C land
    const path = files[i] as string;
    const relPath = relPathOf(path);
    const read = readSource(path, options.maxFileSize);
    if ('skip' in read) {
      skipped.push(read.skip);
      if (read.mention) {
        processed.push({ relPath, path, outcome: { findings: [mentionFinding(relPath, read.skip, read.mention)] }, skipped: true });
      }
      progress.tick();
    } else if ('error' in read) {
      processed.push({ relPath, path, outcome: { findings: [], error: read.error } });
      progress.tick();
    } else if (!mayUseLegacy(read.source)) {
      processed.push({ relPath, path, outcome: { findings: [] }, ...(mode === 'print' ? { source: read.source } : {}) });
      progress.tick();
    } else {
      const taskMode = mode === 'check' ? 'check' : 'migrate';
      const tfPackage = taskMode === 'migrate' ? tfPackages.of(path) : undefined;
      tasks.push({ path, relPath, source: read.source, mode: taskMode, insertTodos: options.insertTodos, ...(tfPackage ? { tfPackage } : {}) });
      // Valid UTF-8 encodes back to the very bytes read: their hash, for the check before the write.
      if (mode === 'rewrite') readHashes.set(path, contentHash(Buffer.from(read.source, 'utf8')));
    }
  }

  const keepSource = mode === 'dry' || mode === 'print';
  const done = async (task: FileTask, outcome: Processed['outcome']): Promise<void> => {
    progress.tick();
    const toWrite = mode === 'rewrite' && !outcome.error ? outcome.output : undefined;
    // Awaited only when the hook is asynchronous, so a write follows its file's processing at once.
    const hook = toWrite !== undefined ? hooks.beforeWrite?.(task.path) : undefined;
    if (hook) await hook;
    // Stopped: nothing is written from now on (a write is synchronous, so none is cut in half);
    // the run lists this file as not processed.
    if (signal?.aborted) return;
    let written = false;
    if (toWrite !== undefined) {
      try {
        writeFileInPlace(task.path, toWrite, { expectedHash: readHashes.get(task.path) as string });
        written = true;
      } catch (error) {
        const message = error instanceof NotWrittenError ? error.message : `cannot write: ${(error as Error).message}`;
        outcome.error = { message };
      }
    }
    processed.push({ relPath: task.relPath, path: task.path, outcome, written, ...(keepSource ? { source: task.source } : {}) });
  };
  try {
    await processAll(tasks, options.workers, done, { ...(signal ? { signal } : {}), ...(hooks.workerHeapMb ? { workerHeapMb: hooks.workerHeapMb } : {}) });
  } finally {
    progress.stop();
  }
  return processed;
}
