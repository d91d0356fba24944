// What every reporter is given: the files with something to say, what was skipped and why, the
// baseline's verdict and the run's counts.
import type { ChalkInstance } from 'chalk';
import type { BaselineOutcome } from '../baseline.js';
import type { SkipReason } from '../discovery/skip.js';
import type { Mode, Shard } from '../run-options.js';
import type { FileError, ReportedFinding } from '../worker-pool/file-task.js';

export interface FileReport {
  /** Repository-relative, '/'-separated. */
  relPath: string;
  /** As a person at the terminal would type it (relative to the working folder). */
  displayPath: string;
  findings: ReportedFinding[];
  error?: FileError;
}

export interface SkippedReport {
  relPath: string;
  displayPath: string;
  reason: SkipReason;
  detail?: string;
}

export interface RunSummary {
  mode: Mode;
  /** Files this run (this shard) considered. */
  files: number;
  changed: number;
  unchanged: number;
  /** Files with sites left for manual migration. */
  manual: number;
  /** Findings reported (after the baseline). */
  findings: number;
  /** Findings hidden by the baseline. */
  suppressed: number;
  skipped: number;
  errors: number;
  durationMs: number;
}

export interface LintReport {
  toolVersion: string;
  /** The folder relative paths start from (the git root, else the working folder). */
  root: string;
  shard?: Shard;
  /** Files with findings or errors, sorted by path. */
  files: FileReport[];
  skipped: SkippedReport[];
  baseline?: BaselineOutcome;
  summary: RunSummary;
}

export interface ReporterContext {
  chalk: ChalkInstance;
  /** List skipped files one by one. */
  verbose: boolean;
}

export interface Reporter {
  render(report: LintReport): string;
}

export type ReporterClass = new (context: ReporterContext) => Reporter;
