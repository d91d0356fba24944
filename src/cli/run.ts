// One run of rnn-migrate, given its programmatic options: discover, shard, refuse a dirty tree,
// read and prefilter, process (in this thread or a worker pool), write atomically, apply the
// baseline, report, and return the exit code (0 nothing to report, 1 findings or files needing
// manual migration or not processed, 2 usage or internal error).
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { isBinaryFileSync } from 'isbinaryfile';
import { mayUseLegacy } from '../codemods/index.js';
import {
  applyBaseline,
  prunedBaseline,
  readBaseline,
  updatedBaseline,
  writeBaseline,
  type BaselineOutcome,
  type FindingsByFile,
} from './baseline.js';
import { unifiedDiff } from './diff.js';
import { relativeBelow, IgnoreStack } from './discovery/gitignore.js';
import { inShard } from './discovery/shard.js';
import { looksMinified, type SkippedPath } from './discovery/skip.js';
import { discoverFiles, MissingPathError } from './discovery/walk.js';
import { findGitRoot, uncommittedChanges } from './git.js';
import { chalkFor, type CliIo } from './io.js';
import { defaultBaselineFile, type RunOptions } from './options.js';
import { processAll } from './process/pool.js';
import type { FileError, FileOutcome, FileTask, ReportedFinding } from './process/process-file.js';
import { Progress } from './progress.js';
import { GithubReporter, reporters, type FileReport, type LintReport, type RunSummary } from './reporters/index.js';
import { summaryLine } from './summary.js';
import { UsageError } from './usage-error.js';
import { toolVersion } from './version.js';
import { writeFileInPlace } from './write.js';


const toPosix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));

type ReadResult = { source: string } | { skip: SkippedPath } | { error: FileError };

function readSource(path: string, maxFileSize: number): ReadResult {
  try {
    const { size } = statSync(path);
    if (size > maxFileSize) {
      return { skip: { path, reason: 'too-large', detail: `${size.toLocaleString('en-US')} bytes > ${maxFileSize.toLocaleString('en-US')}` } };
    }
    const bytes = readFileSync(path);
    if (isBinaryFileSync(bytes, bytes.length)) return { skip: { path, reason: 'binary' } };
    const source = bytes.toString('utf8');
    if (looksMinified(source)) return { skip: { path, reason: 'minified', detail: 'long lines' } };
    return { source };
  } catch (error) {
    return { error: { message: `cannot read: ${(error as Error).message}` } };
  }
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
  const { cwd } = io;
  const root = findGitRoot(cwd) ?? cwd;
  const relPathOf = (path: string): string => toPosix(relative(root, path));
  const displayPathOf = (path: string): string => toPosix(relative(cwd, path)) || '.';
  const paths = options.paths.map((path) => resolve(cwd, path));
  const { mode } = options;
  const usesBaseline = options.baseline !== undefined || options.updateBaseline || options.pruneBaseline;

  if (paths.length === 0) throw new UsageError('no paths given');
  if (mode === 'print' && (paths.length !== 1 || !existsSync(paths[0] as string) || statSync(paths[0] as string).isDirectory())) {
    throw new UsageError('--print takes exactly one file');
  }
  if (usesBaseline && mode !== 'check') throw new UsageError('--baseline, --update-baseline and --prune-baseline need --check');

  let discovery;
  try {
    discovery = discoverFiles(paths, { ignorePatterns: IgnoreStack.fromPatterns(cwd, options.ignorePatterns) });
  } catch (error) {
    if (error instanceof MissingPathError) throw new UsageError(error.message);
    throw error;
  }
  const ours = (path: string): boolean => inShard(relPathOf(path), options.shard);
  const files = discovery.files.filter(ours);
  const skipped = discovery.skipped.filter((entry) => ours(entry.path));

  if (mode === 'rewrite' && !options.force) {
    const dirty = await dirtyFiles(paths);
    if (dirty.length > 0) {
      const shown = dirty.slice(0, 20).map((path) => `  ${path}`);
      if (dirty.length > shown.length) shown.push(`  … and ${dirty.length - shown.length} more`);
      io.stderr.write(
        `rnn-migrate: refusing to rewrite: the git work tree has uncommitted changes:\n${shown.join('\n')}\n` +
          'Commit or stash them first, so the migration can be reviewed and undone with git, or pass --force.\n',
      );
      return 2;
    }
  }

  // Read, filter and prefilter in this thread; only files that may use the legacy API go on.
  const progress = new Progress(io.stderr, files.length, options.progress === 'auto' && io.stderr.isTTY === true);
  const processed: Processed[] = [];
  const tasks: FileTask[] = [];
  const keepSource = mode === 'dry' || mode === 'print';
  for (let i = 0; i < files.length; i++) {
    if (i % 512 === 511) await yieldToEventLoop();
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
      processed.push({ relPath, path, outcome: { findings: [] }, ...(keepSource ? { source: read.source } : {}) });
      progress.tick();
    } else {
      tasks.push({
        path,
        relPath,
        source: read.source,
        mode: mode === 'check' ? 'check' : 'migrate',
        insertTodos: options.insertTodos,
      });
    }
  }

  try {
    await processAll(tasks, options.workers, async (task, outcome) => {
      if (mode === 'rewrite' && outcome.output !== undefined && !outcome.error) {
        try {
          await writeFileInPlace(task.path, outcome.output);
        } catch (error) {
          outcome.error = { message: `cannot write: ${(error as Error).message}` };
        }
      }
      processed.push({ relPath: task.relPath, path: task.path, outcome, ...(keepSource ? { source: task.source } : {}) });
      progress.tick();
    });
  } finally {
    progress.stop();
  }
  processed.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // Lint mode: the baseline decides which findings count.
  let baseline: BaselineOutcome | undefined;
  let reportedFindings = new Map<string, ReportedFinding[]>(
    processed.filter((file) => file.outcome.findings.length > 0).map((file) => [file.relPath, file.outcome.findings]),
  );
  if (usesBaseline) {
    const file = resolve(cwd, options.baseline ?? defaultBaselineFile);
    const judgedFiles = new Set(processed.filter((entry) => !entry.outcome.error).map((entry) => entry.relPath));
    const scanned = paths.map((path) => relPathOf(path));
    const judged = (relPath: string): boolean =>
      judgedFiles.has(relPath) ||
      (inShard(relPath, options.shard) &&
        scanned.some((scan) => scan === '' || scan === relPath || relativeBelow(scan, relPath) !== undefined) &&
        !existsSync(resolve(root, relPath)));
    const findings: FindingsByFile = reportedFindings;
    let counts = readBaseline(file, options.updateBaseline);
    let written: BaselineOutcome['written'];
    if (options.updateBaseline || options.pruneBaseline) {
      counts = options.updateBaseline ? updatedBaseline(counts, findings, judged) : prunedBaseline(counts, findings, judged);
      await writeBaseline(file, counts);
      written = options.updateBaseline ? 'updated' : 'pruned';
    }
    const applied = applyBaseline(counts, findings, judged);
    reportedFindings = applied.reported;
    baseline = {
      file: displayPathOf(file),
      suppressed: applied.suppressed,
      stale: applied.stale,
      ...(written ? { written } : {}),
    };
  }

  const fileReports: FileReport[] = [];
  let changed = 0;
  let unchanged = 0;
  let manual = 0;
  let errors = 0;
  for (const file of processed) {
    const findings = reportedFindings.get(file.relPath) ?? [];
    const { error, output } = file.outcome;
    if (error) errors++;
    else if (output !== undefined) changed++;
    else unchanged++;
    if (mode !== 'check' && file.outcome.findings.length > 0) manual++;
    if (findings.length > 0 || error) {
      fileReports.push({
        relPath: file.relPath,
        displayPath: displayPathOf(file.path),
        findings,
        ...(error ? { error } : {}),
      });
    }
  }
  const summary: RunSummary = {
    mode,
    files: files.length,
    changed,
    unchanged,
    manual,
    findings: [...reportedFindings.values()].reduce((total, findings) => total + findings.length, 0),
    suppressed: baseline?.suppressed ?? 0,
    skipped: skipped.length,
    errors,
    durationMs: performance.now() - startedAt,
  };
  const report: LintReport = {
    toolVersion: toolVersion(),
    root,
    ...(options.shard ? { shard: options.shard } : {}),
    files: fileReports,
    skipped: skipped.map((entry) => ({
      relPath: relPathOf(entry.path),
      displayPath: displayPathOf(entry.path),
      reason: entry.reason,
      ...(entry.detail === undefined ? {} : { detail: entry.detail }),
    })),
    ...(baseline ? { baseline } : {}),
    summary,
  };

  // Output: diffs or the printed file on stdout, the report on stdout in check and rewrite mode
  // (on stderr beside a diff or a printed file), the summary line on stderr.
  const reportStream = mode === 'check' || mode === 'rewrite' ? io.stdout : io.stderr;
  if (mode === 'dry') {
    const chalk = chalkFor(io.stdout, io.env);
    for (const file of processed) {
      if (file.outcome.output !== undefined && file.source !== undefined && !file.outcome.error) {
        io.stdout.write(unifiedDiff(file.relPath, file.source, file.outcome.output, chalk));
      }
    }
  } else if (mode === 'print') {
    const [file] = processed;
    if (file && !file.outcome.error) io.stdout.write(file.outcome.output ?? file.source ?? '');
  }
  const reporter = new reporters[options.format]({ chalk: chalkFor(reportStream, io.env), verbose: options.verbose });
  const rendered = reporter.render(report);
  if (options.outputFile !== undefined) writeFileSync(resolve(cwd, options.outputFile), rendered);
  else reportStream.write(rendered);
  if (reporter instanceof GithubReporter && io.env.GITHUB_STEP_SUMMARY) {
    appendFileSync(io.env.GITHUB_STEP_SUMMARY, reporter.summaryMarkdown(report));
  }
  summary.durationMs = performance.now() - startedAt;
  io.stderr.write(summaryLine(summary, chalkFor(io.stderr, io.env)));

  if (mode === 'check') {
    const tooMany = options.maxWarnings >= 0 && summary.findings > options.maxWarnings;
    return errors > 0 || (baseline?.stale.length ?? 0) > 0 || tooMany ? 1 : 0;
  }
  return errors > 0 || manual > 0 ? 1 : 0;
}

/** Uncommitted changes under `paths`, in each git work tree they belong to (none outside git). */
async function dirtyFiles(paths: string[]): Promise<string[]> {
  const byRoot = new Map<string, string[]>();
  for (const path of paths) {
    const gitRoot = findGitRoot(path);
    if (gitRoot !== undefined) byRoot.set(gitRoot, [...(byRoot.get(gitRoot) ?? []), path]);
  }
  const dirty: string[] = [];
  for (const [gitRoot, rootPaths] of byRoot) {
    try {
      dirty.push(...(await uncommittedChanges(gitRoot, rootPaths)));
    } catch (error) {
      throw new UsageError(`cannot tell whether ${gitRoot} has uncommitted changes (${(error as Error).message}); pass --force to rewrite anyway`);
    }
  }
  return dirty;
}
