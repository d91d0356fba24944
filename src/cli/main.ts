// Entry of the rnn-migrate command, a thin layer over run() (index.ts): parses the command line
// with yargs into RunOptions, wires Ctrl-C to the run's signal, prints usage errors. Returns the
// exit code instead of exiting, so tests call it in-process.
import yargs, { type Argv } from 'yargs';
import { cliOptionTable, kebabCase, type CliFlags } from './flag-table.js';
import { processIo, type CliIo } from './io.js';
import type { RunHooks } from './run.js';
import { defaultWorkers, type Mode, type RunOptions } from './run-options.js';
import { parseShard, ShardSyntaxError } from './discovery/shard.js';
import { UsageError } from './usage-error.js';
import { toolVersion } from './version.js';
import { removeTemporaryFiles } from './write.js';

const examples: [string, string][] = [
  ['$0 --dry src/', 'Show the migration as a diff; write nothing'],
  ['$0 src/', 'Migrate in place (the git tree must be clean, or --force)'],
  ['$0 --check .', 'Lint: list every legacy use, exit 1 when any is found'],
  ['$0 --check --format sarif -o rnn-migrate.sarif .', 'SARIF 2.1.0 for code scanning'],
  ['$0 --check --baseline rnn-migrate-baseline.json --update-baseline .', 'Record the legacy use there is today'],
  ['$0 --check --baseline rnn-migrate-baseline.json --shard 2/4 .', 'CI machine 2 of 4: fail only on new usage'],
];

const epilogue = [
  'Exit codes: 0 nothing to report; 1 findings, files needing manual migration or files not processed;',
  '2 usage or internal error (a refused dirty tree included). Without paths the help is printed and the exit code is 2.',
  "A site the codemod cannot prove safe is left as it was and reported with a reason; '// rnn-migrate-ignore' opts a site out.",
].join('\n');

function parser(io: CliIo): Argv {
  let argv = yargs()
    .scriptName('rnn-migrate')
    .usage('$0 [paths..]', 'Migrate TensorFlow.js code from the mutable Recur API (rnn-migrate/legacy) to blocked, stateless calls.')
    .positional('paths', { type: 'string', array: true, describe: 'Files and folders (folders are walked, honouring .gitignore)' })
    .conflicts('dry', 'print')
    .conflicts('dry', 'check')
    .conflicts('print', 'check')
    .strict()
    .exitProcess(false)
    .version(toolVersion())
    .help()
    .alias('help', 'h')
    .wrap(Math.min(120, io.stdout.columns ?? 120))
    .epilogue(epilogue);
  for (const [name, option] of Object.entries(cliOptionTable(io.env))) argv = argv.option(kebabCase(name), option);
  for (const [command, description] of examples) argv = argv.example(command, description);
  return argv;
}

function modeOf(flags: Pick<CliFlags, 'dry' | 'print' | 'check'>): Mode {
  if (flags.check) return 'check';
  if (flags.dry) return 'dry';
  if (flags.print) return 'print';
  return 'rewrite';
}

/** The flags as options; run() checks their values. */
export function toRunOptions(flags: CliFlags, paths: string[]): RunOptions {
  const { dry: _dry, print: _print, check: _check, shard, ignorePattern, progress, workers, ...shared } = flags;
  return {
    ...shared,
    paths,
    mode: modeOf(flags),
    workers: workers ?? defaultWorkers(),
    ignorePatterns: ignorePattern,
    progress: progress ? 'auto' : 'never',
    ...(shard === undefined ? {} : { shard: parseShard(shard) }),
  };
}

interface Parsed {
  error?: Error;
  flags: CliFlags & { paths?: string[]; _: (string | number)[] };
  output: string;
}

/**
 * Ctrl-C stops the run through its signal: no file is written from then on (each write is whole
 * or not at all), the run reports what it wrote and what it did not, and exits 130. A second
 * Ctrl-C exits at once, removing the temporary files of unfinished writes.
 */
async function interruptible<T>(io: CliIo, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) {
      removeTemporaryFiles();
      process.exit(130);
    }
    io.stderr.write('\nrnn-migrate: interrupted: stopping; no file is written from now on (Ctrl-C again to exit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** `hooks`: fault-injection seams for tests, passed through to the run. */
export async function main(argv: string[], io: CliIo = processIo(), hooks: RunHooks = {}): Promise<number> {
  const cli = parser(io);
  const parsed = await new Promise<Parsed>((resolve) => {
    void cli.parse(argv, {}, (error, flags, output) => {
      resolve({ error: error ?? undefined, flags: flags as unknown as Parsed['flags'], output });
    });
  });
  if (parsed.error) {
    io.stderr.write(`rnn-migrate: ${parsed.error.message}\nRun rnn-migrate --help for the options.\n`);
    return 2;
  }
  if (parsed.output !== '') {
    // --help or --version
    io.stdout.write(`${parsed.output}\n`);
    return 0;
  }
  const paths = [...(parsed.flags.paths ?? []), ...parsed.flags._.map(String)];
  if (paths.length === 0) {
    io.stderr.write(`${await cli.getHelp()}\n\nrnn-migrate: no paths given.\n`);
    return 2;
  }
  try {
    // Loaded only now: --help and --version need none of it. (run() of index.ts with the hooks.)
    const { runWithHooks } = await import('./run.js');
    const options = toRunOptions(parsed.flags, paths);
    const result = await interruptible(io, (signal) => runWithHooks({ ...options, signal }, io, hooks));
    return result.exitCode;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ShardSyntaxError) {
      io.stderr.write(`rnn-migrate: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`rnn-migrate: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}
