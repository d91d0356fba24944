// The end of a run: the baseline's verdict, the report the reporters render, what is printed
// where, and the result handed back to a program.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { judgeWithBaseline, type BaselineOutcome } from './baseline.js';
import { unifiedDiff } from './diff.js';
import { relativeBelow } from './discovery/gitignore.js';
import { inShard } from './discovery/shard.js';
import type { SkippedPath } from './discovery/skip.js';
import { chalkFor, type CliIo } from './io.js';
import { GithubReporter, reporters, type FileReport, type LintReport } from './reporters/index.js';
import { plural } from './reporters/messages.js';
import { defaultBaselineFile, type RunOptions } from './run-options.js';
import type { FileFinding, NotProcessedFile, RunExitCode, RunResult } from './run-result.js';
import { summaryLine } from './summary.js';
import { toolVersion } from './version.js';
import type { FileOutcome, ReportedFinding } from './worker-pool/file-task.js';

/** What every phase of a run needs to know. */
export interface RunContext {
  options: RunOptions;
  io: CliIo;
  /** The given paths, absolute. */
  paths: string[];
  /** Where repository-relative paths start: the git root of the paths, else their common folder. */
  root: string;
  relPathOf(path: string): string;
  displayPathOf(path: string): string;
}

export interface Processed {
  relPath: string;
  path: string;
  outcome: FileOutcome;
  /** Rewrite mode: the output is on disk. */
  written?: boolean;
  /** The source as read; kept only for --dry and --print. */
  source?: string;
  /** Skipped unparsed, here only for a finding about it (counted as skipped, not as unchanged). */
  skipped?: boolean;
}

export const interruptedMessage = 'not processed: the run was interrupted';

/** The findings that count, per file: all of them, or (lint with a baseline) those beyond it. */
export async function judge(
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

export function reportOf(
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
    else if (!file.skipped) unchanged++;
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

/** What an interrupted run says on stderr: what it wrote (so it can be reviewed) and what it did not. */
function interruptionNote(context: RunContext, processed: Processed[], notReached: string[]): string {
  const written = processed.filter((file) => file.written).map((file) => context.displayPathOf(file.path));
  const shown = written.slice(0, 20).map((path) => `  ${path}\n`);
  if (written.length > shown.length) shown.push(`  … and ${written.length - shown.length} more\n`);
  const verb = context.options.mode === 'rewrite' ? 'written' : 'processed';
  return (
    `rnn-migrate: interrupted: ${plural(written.length, 'file')} ${verb}${written.length > 0 ? ':' : ''}\n${shown.join('')}` +
    `rnn-migrate: ${plural(notReached.length, 'file')} not processed (left as they were); every write is whole, none is half done.\n`
  );
}

/**
 * Diffs (--dry) or the migrated file (--print) on stdout; the report on stdout in lint and rewrite
 * mode, on stderr beside a diff or a printed file, or in --output-file; the summary on stderr.
 */
export function emit(context: RunContext, processed: Processed[], report: LintReport, notReached: string[], startedAt: number): void {
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
  if (notReached.length > 0) io.stderr.write(interruptionNote(context, processed, notReached));
}

function exitCodeOf(options: RunOptions, { summary, baseline }: LintReport, interrupted: boolean): RunExitCode {
  if (interrupted) return 130;
  if (options.mode === 'check') {
    const tooMany = options.maxWarnings >= 0 && summary.findings > options.maxWarnings;
    return summary.errors > 0 || (baseline?.stale.length ?? 0) > 0 || tooMany ? 1 : 0;
  }
  return summary.errors > 0 || summary.manual > 0 ? 1 : 0;
}

export function resultOf(context: RunContext, processed: Processed[], report: LintReport, notReached: string[]): RunResult {
  const { options, root } = context;
  const findings: FileFinding[] = report.files.flatMap((file) => file.findings.map((finding) => ({ relPath: file.relPath, ...finding })));
  const changedFiles = processed
    .filter((file) => (options.mode === 'rewrite' ? file.written : file.outcome.output !== undefined && !file.outcome.error))
    .map((file) => file.relPath);
  const notProcessed: NotProcessedFile[] = [
    ...processed.flatMap(({ relPath, outcome: { error } }) => (error ? [{ relPath, ...error }] : [])),
    ...notReached.map((relPath) => ({ relPath, message: interruptedMessage })),
  ].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  return {
    exitCode: exitCodeOf(options, report, notReached.length > 0),
    root,
    findings,
    changedFiles,
    notProcessed,
    skipped: report.skipped,
    ...(report.baseline ? { baseline: report.baseline } : {}),
    summary: report.summary,
    interrupted: notReached.length > 0,
    report,
  };
}
