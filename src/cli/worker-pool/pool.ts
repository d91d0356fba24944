// Where files are parsed and transformed. Discovery, reading and the text prefilter stay in this
// thread, so only files that may use the legacy API are processed here. This thread takes files
// from the shared queue itself, and `workers` worker threads (piscina) join it when there are
// enough files to repay their start-up (each loads jscodeshift): with the default of cores − 1
// workers every core parses, and the first files are done before any worker is ready.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { processSource, type FileOutcome, type FileTask } from './file-task.js';

/**
 * Below this many files the worker threads cost more than they save: each loads jscodeshift and
 * warms up its JIT on its first files (about a second of CPU), while a warm thread migrates a file
 * in a few milliseconds. Measured with bench/cli.ts: 250 files are faster in this thread alone.
 */
export const minFilesForPool = 400;

/** Tasks handed to each worker at a time, so it never waits for this thread between two files. */
const tasksInFlightPerWorker = 2;

function createPool(threads: number): Piscina<FileTask, FileOutcome> {
  // Under tsx (tests, the benchmark from source) the worker is TypeScript and needs the loader.
  const fromSource = import.meta.url.endsWith('.ts');
  return new Piscina({
    filename: new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    execArgv: fromSource ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
  });
}

/**
 * Processes every task, calling `done` as each finishes (in no particular order). `workers` is
 * the number of worker threads beside this one; 0 keeps everything in this thread.
 */
export async function processAll(
  tasks: readonly FileTask[],
  workers: number,
  done: (task: FileTask, outcome: FileOutcome) => Promise<void>,
  minFiles = minFilesForPool,
): Promise<void> {
  // Writes (from `done`) overlap with parsing; they are all awaited at the end.
  const pending: Promise<void>[] = [];
  let next = 0;
  const take = (): FileTask | undefined => (next < tasks.length ? tasks[next++] : undefined);
  const threads = tasks.length >= minFiles ? Math.min(workers, Math.max(1, Math.floor((2 * tasks.length) / minFiles))) : 0;
  const pool = threads > 0 ? createPool(threads) : undefined;

  const inThisThread = async (): Promise<void> => {
    const codemods = await import('../../codemods/index.js');
    for (let task = take(), count = 1; task !== undefined; task = take(), count++) {
      pending.push(done(task, processSource(task, codemods)));
      // Let the workers' loops hand out their next files, and writes and the progress bar go on.
      if (pool || count % 8 === 0) await yieldToEventLoop();
    }
  };
  const inWorker = async (): Promise<void> => {
    for (let task = take(); task !== undefined; task = take()) {
      // A worker that dies (out of memory, say) costs its file, never the run.
      const outcome = await pool!.run(task).catch(
        (error: unknown): FileOutcome => ({ findings: [], error: { message: `internal error: ${String(error)}` } }),
      );
      pending.push(done(task, outcome));
    }
  };
  try {
    const workerLoops = pool ? Array.from({ length: threads * tasksInFlightPerWorker }, inWorker) : [];
    await Promise.all([inThisThread(), ...workerLoops]);
    await Promise.all(pending);
  } finally {
    await pool?.destroy();
  }
}
