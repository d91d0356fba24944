// rnn-migrate/cli: the programmatic API. The command line (main.ts) is a thin layer over run():
// it parses the flags into RunOptions, wires Ctrl-C to the signal and exits with the exit code.
import type { RunIo } from './io.js';
import { runWithHooks } from './run.js';
import type { RunInput } from './run-options.js';
import type { RunResult } from './run-result.js';

/**
 * Runs rnn-migrate: rewrite (the default mode), --dry, --print or --check, as the CLI does.
 * Prints only to the streams given in `io` (nothing by default) and returns the result.
 * Throws UsageError (DirtyTreeError, LockHeldError) for what the CLI exits 2 on.
 */
export function run(options: RunInput, io: RunIo = {}): Promise<RunResult> {
  return runWithHooks(options, io);
}

export type { CliIo, OutputStream, RunIo } from './io.js';
export { LockHeldError } from './lock.js';
export type { BaselineOutcome, StaleEntry } from './baseline.js';
export type { FileReport, LintReport, RunSummary, SkippedReport } from './reporters/types.js';
export { DirtyTreeError } from './run.js';
export { defaultRunOptions, reportFormats, type Mode, type ReportFormat, type RunInput, type RunOptions, type Shard } from './run-options.js';
export type { FileFinding, NotProcessedFile, RunExitCode, RunResult } from './run-result.js';
export { UsageError } from './usage-error.js';
export type { FileError, ReportedFinding } from './worker-pool/file-task.js';
export type { SkipReason } from './discovery/skip.js';
