// One run of rnn-migrate, given its programmatic options: discover and shard the files, refuse a
// dirty tree, read and prefilter, process (this thread and the worker pool), write atomically,
// apply the baseline, report, and return the exit code (0 nothing to report, 1 findings or files
// needing manual migration or not processed, 2 usage or internal error).
import { isUtf8 } from 'node:buffer';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { isBinaryFileSync } from 'isbinaryfile';
import { mayUseLegacy } from '../codemods/index.js';
import { judgeWithBaseline, type BaselineOutcome } from './baseline.js';
import { unifiedDiff } from './diff.js';
import { IgnoreStack, relativeBelow } from './discovery/gitignore.js';
import { inShard } from './discovery/shard.js';
import { looksMinified, type SkippedPath } from './discovery/skip.js';
import { discoverFiles, MissingPathError } from './discovery/walk.js';
import { findGitRoot, uncommittedChanges } from './git.js';
import { chalkFor, type CliIo } from './io.js';
import { defaultBaselineFile, type RunOptions } from './run-options.js';
import { processAll } from './worker-pool/pool.js';
import type { FileError, FileOutcome, FileTask, ReportedFinding } from './worker-pool/file-task.js';
import { Progress } from './progress.js';
import { GithubReporter, reporters, type FileReport, type LintReport } from './reporters/index.js';
import { summaryLine } from './summary.js';
import { UsageError } from './usage-error.js';
import { toolVersion } from './version.js';
import { writeFileInPlace } from './write.js';

const toPosix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));
const byKey = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** What every phase of a run needs to know. */
interface RunContext {
  options: RunOptions;
  io: CliIo;
  /** The given paths, absolute. */
  paths: string[];
  /** Where repository-relative paths start: the git root, else the working folder. */
  root: string;
  relPathOf(path: string): string;
  displayPathOf(path: string): string;
}

interface Processed {
  relPath: string;
  path: string;
  outcome: FileOutcome;
  /** The source as read; kept only for --dry and --print. */
  source?: string;
}

export async function run(options: RunOptions, io: CliIo): Promise<number> {
  const startedAt = performance.now();
  const context = contextOf(options, io);
  const { files, skipped } = discover(context);
  if (options.mode === 'rewrite' && !options.force && (await refuseDirtyTree(context))) return 2;
  const processed = await readAndProcess(context, files, skipped);
  const { reported, baseline } = await judge(context, processed);
  const report = reportOf(context, files.length, processed, reported, skipped, baseline);
  emit(context, processed, report, startedAt);
  return exitCode(options, report);
}

function contextOf(options: RunOptions, io: CliIo): RunContext {
  const { cwd } = io;
  const root = findGitRoot(cwd) ?? cwd;
  const paths = options.paths.map((path) => resolve(cwd, path));
  if (paths.length === 0) throw new UsageError('no paths given');
  const [first] = paths;
  if (options.mode === 'print' && (paths.length !== 1 || !first || !existsSync(first) || statSync(first).isDirectory())) {
    throw new UsageError('--print takes exactly one file');
  }
  const usesBaseline = options.baseline !== undefined || options.updateBaseline || options.pruneBaseline;
  if (usesBaseline && options.mode !== 'check') {
    throw new UsageError('--baseline, --update-baseline and --prune-baseline need --check');
  }
  return {
    options,
    io,
    paths,
    root,
    relPathOf: (path) => toPosix(relative(root, path)),
    displayPathOf: (path) => toPosix(relative(cwd, path)) || '.',
  };
}

/** The files (and skips) of this shard. */
function discover(context: RunContext): { files: string[]; skipped: SkippedPath[] } {
  const { options, io, paths, relPathOf } = context;
  let discovery;
  try {
    discovery = discoverFiles(paths, { ignorePatterns: IgnoreStack.fromPatterns(io.cwd, options.ignorePatterns) });
  } catch (error) {
    if (error instanceof MissingPathError) throw new UsageError(error.message);
    throw error;
  }
  const ours = (path: string): boolean => inShard(relPathOf(path), options.shard);
  return { files: discovery.files.filter(ours), skipped: discovery.skipped.filter((entry) => ours(entry.path)) };
}

/**
 * Prints why and returns true when a git work tree holding any of the paths has uncommitted
 * changes (anywhere in it, as pinned: the migration must be one reviewable, revertible diff).
 */
async function refuseDirtyTree({ paths, io }: RunContext): Promise<boolean> {
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
  if (dirty.length === 0) return false;
  const shown = dirty.slice(0, 20).map((path) => `  ${path}`);
  if (dirty.length > shown.length) shown.push(`  … and ${dirty.length - shown.length} more`);
  io.stderr.write(
    `rnn-migrate: refusing to rewrite: the git work tree has uncommitted changes:\n${shown.join('\n')}\n` +
      'Commit or stash them first, so the migration can be reviewed and undone with git, or pass --force.\n',
  );
  return true;
}

type ReadResult = { source: string } | { skip: SkippedPath } | { error: FileError };

function readSource(path: string, maxFileSize: number): ReadResult {
  try {
    const { size } = statSync(path);
    if (size > maxFileSize) {
      const detail = `${size.toLocaleString('en-US')} bytes > ${maxFileSize.toLocaleString('en-US')}`;
      return { skip: { path, reason: 'too-large', detail } };
    }
    const bytes = readFileSync(path);
    if (isBinaryFileSync(bytes, bytes.length)) return { skip: { path, reason: 'binary' } };
    if (!isUtf8(bytes)) return { skip: { path, reason: 'not-utf8' } };
    const source = bytes.toString('utf8');
    if (looksMinified(source)) return { skip: { path, reason: 'minified', detail: 'long lines' } };
    return { source };
  } catch (error) {
    return { error: { message: `cannot read: ${(error as Error).message}` } };
  }
}

/**
 * Reads and prefilters in this thread (adding content-based skips to `skipped`), then processes
 * the files that may use the legacy API and, in rewrite mode, writes each as it is done.
 */
async function readAndProcess(context: RunContext, files: string[], skipped: SkippedPath[]): Promise<Processed[]> {
  const { options, io, relPathOf } = context;
  const { mode } = options;
  const progress = new Progress(io.stderr, files.length, options.progress === 'auto' && io.stderr.isTTY === true);
  const processed: Processed[] = [];
  const tasks: FileTask[] = [];
  for (let i = 0; i < files.length; i++) {
    if (i % 512 === 511) await yieldToEventLoop(); // lets the progress bar draw
    const path = files[i] as string;
    const relPath = relPathOf(path);
    const read = readSource(path, options.maxFileSize);
    if ('skip' in read) {
      skipped.push(read.skip);
      progress.tick();
    } else if ('error' in read) {
      processed.push({ relPath, path, outcome: { findings: [], error: read.error } });
      progress.tick();
    } else if (!mayUseLegacy(read.source)) {
      processed.push({ relPath, path, outcome: { findings: [] }, ...(mode === 'print' ? { source: read.source } : {}) });
      progress.tick();
    } else {
      const taskMode = mode === 'check' ? 'check' : 'migrate';
      tasks.push({ path, relPath, source: read.source, mode: taskMode, insertTodos: options.insertTodos });
    }
  }

  const keepSource = mode === 'dry' || mode === 'print';
  try {
    await processAll(tasks, options.workers, async (task, outcome) => {
      progress.tick();
      if (mode === 'rewrite' && outcome.output !== undefined && !outcome.error) {
        try {
          await writeFileInPlace(task.path, outcome.output);
        } catch (error) {
          outcome.error = { message: `cannot write: ${(error as Error).message}` };
        }
      }
      processed.push({ relPath: task.relPath, path: task.path, outcome, ...(keepSource ? { source: task.source } : {}) });
    });
  } finally {
    progress.stop();
  }
  skipped.sort(byKey((entry) => entry.path));
  return processed.sort(byKey((entry) => entry.relPath));
}

/** The findings that count, per file: all of them, or (lint with a baseline) those beyond it. */
async function judge(
  context: RunContext,
  processed: Processed[],
): Promise<{ reported: ReadonlyMap<string, ReportedFinding[]>; baseline?: BaselineOutcome }> {
  const { options, io, paths, root, relPathOf, displayPathOf } = context;
  const findings = new Map(
    processed.filter((file) => file.outcome.findings.length > 0).map((file) => [file.relPath, file.outcome.findings]),
  );
  if (options.baseline === undefined && !options.updateBaseline && !options.pruneBaseline) return { reported: findings };

  // Baseline entries this run may call stale: files it processed, and files gone from disk under
  // the scanned paths in this shard. Files skipped, not processed or of other shards keep theirs.
  const judgedFiles = new Set(processed.filter((file) => !file.outcome.error).map((file) => file.relPath));
  const scanned = paths.map(relPathOf);
  const judged = (relPath: string): boolean =>
    judgedFiles.has(relPath) ||
    (inShard(relPath, options.shard) &&
      scanned.some((scan) => scan === '' || scan === relPath || relativeBelow(resolve(root, scan), resolve(root, relPath)) !== undefined) &&
      !existsSync(resolve(root, relPath)));
  const file = resolve(io.cwd, options.baseline ?? defaultBaselineFile);
  const write = options.updateBaseline ? 'update' : options.pruneBaseline ? 'prune' : undefined;
  const { reported, outcome } = await judgeWithBaseline(file, findings, judged, write);
  return { reported, baseline: { ...outcome, file: displayPathOf(file) } };
}

function reportOf(
  context: RunContext,
  fileCount: number,
  processed: Processed[],
  reported: ReadonlyMap<string, ReportedFinding[]>,
  skipped: SkippedPath[],
  baseline: BaselineOutcome | undefined,
): LintReport {
  const { options, root, relPathOf, displayPathOf } = context;
  const files: FileReport[] = [];
  let changed = 0;
  let unchanged = 0;
  let manual = 0;
  let errors = 0;
  let findingCount = 0;
  for (const file of processed) {
    const findings = reported.get(file.relPath) ?? [];
    const { error, output } = file.outcome;
    if (error) errors++;
    else if (output !== undefined) changed++;
    else unchanged++;
    if (options.mode !== 'check' && file.outcome.findings.length > 0) manual++;
    findingCount += findings.length;
    if (findings.length > 0 || error) {
      files.push({ relPath: file.relPath, displayPath: displayPathOf(file.path), findings, ...(error ? { error } : {}) });
    }
  }
  return {
    toolVersion: toolVersion(),
    root,
    ...(options.shard ? { shard: options.shard } : {}),
    files,
    skipped: skipped.map((entry) => ({
      relPath: relPathOf(entry.path),
      displayPath: displayPathOf(entry.path),
      reason: entry.reason,
      ...(entry.detail === undefined ? {} : { detail: entry.detail }),
    })),
    ...(baseline ? { baseline } : {}),
    summary: {
      mode: options.mode,
      files: fileCount,
      changed,
      unchanged,
      manual,
      findings: findingCount,
      suppressed: baseline?.suppressed ?? 0,
      skipped: skipped.length,
      errors,
      durationMs: 0,
    },
  };
}

/**
 * Diffs (--dry) or the migrated file (--print) on stdout; the report on stdout in lint and rewrite
 * mode, on stderr beside a diff or a printed file, or in --output-file; the summary on stderr.
 */
function emit(context: RunContext, processed: Processed[], report: LintReport, startedAt: number): void {
  const { options, io } = context;
  const { mode } = options;
  report.summary.durationMs = performance.now() - startedAt;
  if (mode === 'dry') {
    const chalk = chalkFor(io.stdout, io.env);
    for (const file of processed) {
      const { output, error } = file.outcome;
      if (output !== undefined && file.source !== undefined && !error) io.stdout.write(unifiedDiff(file.relPath, file.source, output, chalk));
    }
  } else if (mode === 'print') {
    const [file] = processed;
    if (file && !file.outcome.error) io.stdout.write(file.outcome.output ?? file.source ?? '');
  }
  const reportStream = mode === 'check' || mode === 'rewrite' ? io.stdout : io.stderr;
  const reporter = new reporters[options.format]({ chalk: chalkFor(reportStream, io.env), verbose: options.verbose });
  const rendered = reporter.render(report);
  if (options.outputFile !== undefined) writeFileSync(resolve(io.cwd, options.outputFile), rendered);
  else reportStream.write(rendered);
  if (reporter instanceof GithubReporter && io.env.GITHUB_STEP_SUMMARY) {
    appendFileSync(io.env.GITHUB_STEP_SUMMARY, reporter.summaryMarkdown(report));
  }
  report.summary.durationMs = performance.now() - startedAt;
  io.stderr.write(summaryLine(report.summary, chalkFor(io.stderr, io.env)));
}

function exitCode(options: RunOptions, { summary, baseline }: LintReport): number {
  if (options.mode === 'check') {
    const tooMany = options.maxWarnings >= 0 && summary.findings > options.maxWarnings;
    return summary.errors > 0 || (baseline?.stale.length ?? 0) > 0 || tooMany ? 1 : 0;
  }
  return summary.errors > 0 || summary.manual > 0 ? 1 : 0;
}
