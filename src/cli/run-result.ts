// What a run gives back to a program: the report the CLI prints, and the lists a tool wants
// without parsing it.
import type { BaselineOutcome } from './baseline.js';
import type { LintReport, RunSummary, SkippedReport } from './reporters/types.js';
import type { ReportedFinding } from './worker-pool/file-task.js';

/** 0 nothing to report; 1 findings, files needing manual migration or files not processed; 130 interrupted. */
export type RunExitCode = 0 | 1 | 130;

export interface FileFinding extends ReportedFinding {
  /** Repository-relative, '/'-separated. */
  relPath: string;
}

/** A file (or folder) the run did not process, and why. */
export interface NotProcessedFile {
  /** Repository-relative, '/'-separated. */
  relPath: string;
  /** What went wrong: a syntax error, unreadable, changed or deleted during the run, read-only, out of memory, interrupted… */
  message: string;
  /** Of a syntax error, 1-based. */
  line?: number;
  column?: number;
}

export interface RunResult {
  exitCode: RunExitCode;
  /** Where repository-relative paths start: the git root of the paths, else their common folder. */
  root: string;
  /**
   * Lint mode: the findings that count (beyond the baseline). Rewrite, --dry and --print: the
   * sites left for manual migration, positioned in the rewritten file.
   */
  findings: FileFinding[];
  /** Rewrite mode: the files written. --dry and --print: the files a rewrite would change. Sorted. */
  changedFiles: string[];
  /** Files and folders not processed, sorted by path; the run never wrote to them. */
  notProcessed: NotProcessedFile[];
  /** Files left out on purpose (ignored, binary, too large…), with the reason. */
  skipped: SkippedReport[];
  baseline?: BaselineOutcome;
  summary: RunSummary;
  /** The signal stopped the run before every file was processed. */
  interrupted: boolean;
  /** Everything the reporters render. */
  report: LintReport;
}
