// The programmatic options of a run. The yargs table in flag-table.ts is type-checked against
// these, so the command line and the API cannot drift apart.
import { availableParallelism } from 'node:os';

/** What a run does with the files it finds. */
export type Mode = 'rewrite' | 'dry' | 'print' | 'check';

/** Output formats of lint mode (`--check`), the keys of the reporter map. */
export const reportFormats = ['stylish', 'json', 'sarif', 'github'] as const;
export type ReportFormat = (typeof reportFormats)[number];

/** `--shard i/n`: this machine takes shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

export interface RunOptions {
  /** Files and folders to walk; relative ones resolve against `cwd`. */
  paths: string[];
  mode: Mode;
  /** Rewrite even when the git work tree has uncommitted changes under the paths. */
  force: boolean;
  /** Mark each site left for manual migration with one TODO comment. */
  insertTodos: boolean;
  format: ReportFormat;
  /** Write the lint report here instead of stdout. */
  outputFile?: string;
  /** Lint mode fails when more findings than this remain (-1: never on count alone). */
  maxWarnings: number;
  /** Baseline file (counts per file per rule) for gradual adoption. */
  baseline?: string;
  /** Write the current counts to the baseline file. */
  updateBaseline: boolean;
  /** Drop baseline entries (and lower counts) that are no longer needed. */
  pruneBaseline: boolean;
  shard?: Shard;
  /** Worker threads that parse and transform beside the main thread (which does too); 0: none. */
  workers: number;
  /** Extra ignore patterns (.gitignore syntax, relative to `cwd`). */
  ignorePatterns: string[];
  /** Files larger than this many bytes are skipped. */
  maxFileSize: number;
  /** List each skipped file with its reason. */
  verbose: boolean;
  /** Show a progress bar: 'auto' on a TTY for runs over a second. */
  progress: 'auto' | 'never';
  /**
   * Stops the run (the CLI wires Ctrl-C to it): no new file is read or written, files already
   * written stay written, the others are left as they were and listed as not processed.
   */
  signal?: AbortSignal;
}

/** What `run()` takes: the paths, and any options that differ from defaultRunOptions(). */
export type RunInput = Partial<RunOptions> & Pick<RunOptions, 'paths'>;

export const defaultMaxFileSize = 1024 * 1024;

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function defaultRunOptions(): RunOptions {
  return {
    paths: [],
    mode: 'rewrite',
    force: false,
    insertTodos: false,
    format: 'stylish',
    maxWarnings: 0,
    updateBaseline: false,
    pruneBaseline: false,
    workers: defaultWorkers(),
    ignorePatterns: [],
    maxFileSize: defaultMaxFileSize,
    verbose: false,
    progress: 'auto',
  };
}

/** The baseline file used by --update-baseline / --prune-baseline when --baseline is not given. */
export const defaultBaselineFile = 'rnn-migrate-baseline.json';
