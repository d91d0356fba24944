// The yargs option table of the command line. Its type is derived from RunOptions: a new programmatic option without
// a flag, a flag without an option, or a flag of the wrong type is a compile error.
import type { Options } from 'yargs';
import { defaultMaxFileSize, reportFormats, type ReportFormat, type RunOptions } from './run-options.js';

/** The flags as yargs hands them over (camelCase), one per RunOptions field or a spelling of it. */
export type CliFlags = Omit<RunOptions, 'paths' | 'mode' | 'shard' | 'ignorePatterns' | 'progress' | 'signal'> & {
  /** mode: 'dry' (no default, so yargs can tell the modes apart as conflicting). */
  dry?: boolean;
  /** mode: 'print' */
  print?: boolean;
  /** mode: 'check' */
  check?: boolean;
  /** `i/n`, parsed into RunOptions.shard. */
  shard?: string;
  /** Repeatable: RunOptions.ignorePatterns. */
  ignorePattern: string[];
  /** `--no-progress`: RunOptions.progress 'never'. */
  progress: boolean;
};

type CliOption<T> = Omit<Options, 'type' | 'array'> & { describe: string } & (NonNullable<T> extends boolean
    ? { type: 'boolean' }
    : NonNullable<T> extends number
      ? { type: 'number' }
      : NonNullable<T> extends readonly string[]
        ? { type: 'string'; array: true }
        : NonNullable<T> extends string
          ? { type: 'string' }
          : never);

export type CliOptionTable = { [K in keyof CliFlags]-?: CliOption<CliFlags[K]> };

const modes = 'Modes';
const lint = 'Lint mode (--check)';
const scale = 'Files and scale';

export function cliOptionTable(env: NodeJS.ProcessEnv): CliOptionTable {
  return {
    dry: { type: 'boolean', group: modes, describe: 'Print a unified diff of the migration; write nothing' },
    print: { type: 'boolean', group: modes, describe: 'Print the migrated file to stdout (one file); write nothing' },
    check: {
      type: 'boolean',
      group: modes,
      describe: 'Lint mode: write nothing, report every legacy use; exit 1 when any is found',
    },
    force: { type: 'boolean', default: false, group: modes, describe: 'Rewrite even when the git work tree has uncommitted changes' },
    insertTodos: {
      type: 'boolean',
      default: false,
      group: modes,
      describe: 'Mark each site left for manual migration once with a TODO comment',
    },
    format: {
      type: 'string',
      choices: reportFormats,
      default: (env.GITHUB_ACTIONS === 'true' ? 'github' : 'stylish') satisfies ReportFormat,
      group: lint,
      describe: 'Report format (github is the default when GITHUB_ACTIONS=true)',
    },
    outputFile: { type: 'string', alias: 'o', group: lint, describe: 'Write the report to this file instead of stdout' },
    maxWarnings: {
      type: 'number',
      default: 0,
      group: lint,
      describe: 'Findings tolerated before the exit code is 1 (-1: no limit)',
    },
    baseline: { type: 'string', group: lint, describe: 'Baseline file: only usage beyond its counts per file and rule fails' },
    updateBaseline: { type: 'boolean', default: false, group: lint, describe: 'Write the current counts to the baseline file' },
    pruneBaseline: {
      type: 'boolean',
      default: false,
      group: lint,
      describe: 'Lower the baseline to what remains (stale entries fail the run until pruned)',
    },
    shard: { type: 'string', group: scale, describe: "This CI machine's share of the files, i/n (no overlap, no gap)" },
    workers: { type: 'number', group: scale, describe: 'Worker threads beside the main thread, which parses too (default: cores - 1, at least 1; 0: none)' },
    ignorePattern: {
      type: 'string',
      array: true,
      default: [],
      group: scale,
      describe: 'Also ignore these paths (.gitignore syntax, relative to the working folder; repeatable)',
    },
    maxFileSize: {
      type: 'number',
      default: defaultMaxFileSize,
      group: scale,
      describe: 'Skip files larger than this many bytes',
    },
    verbose: { type: 'boolean', default: false, group: scale, describe: 'List each skipped file with its reason' },
    progress: { type: 'boolean', default: true, group: scale, describe: 'Progress bar on a terminal for runs over a second (--no-progress)' },
  };
}

export const kebabCase = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
