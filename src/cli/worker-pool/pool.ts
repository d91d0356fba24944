// Where files are parsed and transformed. Discovery, reading and the text prefilter stay in this
// thread, so only files that may use the legacy API are processed here. This thread takes files
// from the shared queue itself, and `workers` worker threads (piscina) join it when there are
// enough files to repay their start-up (each loads jscodeshift): with the default of cores − 1
// workers every core parses, and the first files are done before any worker is ready.
// A large file is always parsed in a worker, whatever `workers` says: running out of memory there
// costs that file (reported as not processed), where in this thread it would kill the run.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
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

/** Sources at least this long (characters) are parsed only in a worker thread. */
export const isolateAboveChars = 256 * 1024;

export interface ProcessAllOptions {
  /** Below this many tasks no worker starts (except for large files). */
  minFiles?: number;
  /** Stops handing out tasks, and cancels those in workers; a cancelled task's outcome is an error. */
  signal?: AbortSignal;
  /** Sources this long or longer go to a worker (default isolateAboveChars). */
  isolateAbove?: number;
  /** The workers' heap limit (MiB); by default this thread's. */
  workerHeapMb?: number;
}

/**
 * An explicit heap limit: a worker that reaches it is terminated (ERR_WORKER_OUT_OF_MEMORY), as
 * Node documents for resourceLimits, and the task fails instead of the process.
 */
function createPool(threads: number, heapMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20)): Piscina<FileTask, FileOutcome> {
  // Under tsx (tests, the benchmark from source) the worker is TypeScript and needs the loader.
  const fromSource = import.meta.url.endsWith('.ts');
  return new Piscina({
    filename: new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    execArgv: fromSource ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
}

/** The outcome of a task whose worker failed: out of memory, crashed, or cancelled. */
function workerFailure(error: unknown): FileOutcome {
  const text = String(error);
  const message = /ERR_WORKER_OUT_OF_MEMORY|out of memory/i.test(text)
    ? 'out of memory while parsing it (in a worker thread): not processed; give Node more memory ' +
      '(NODE_OPTIONS=--max-old-space-size=…), or migrate it by hand'
    : `internal error: ${text}`;
  return { findings: [], error: { message } };
}

/**
 * Processes every task, calling `done` as each finishes (in no particular order). `workers` is
 * the number of worker threads beside this one; 0 keeps everything in this thread but the large
 * files, which get one worker.
 */
export async function processAll(
  tasks: readonly FileTask[],
  workers: number,
  done: (task: FileTask, outcome: FileOutcome) => Promise<void>,
  options: ProcessAllOptions = {},
): Promise<void> {
  const { minFiles = minFilesForPool, signal, isolateAbove = isolateAboveChars } = options;
  // Writes (from `done`) overlap with parsing; they are all awaited at the end.
  const pending: Promise<void>[] = [];
  const large = tasks.filter((task) => task.source.length >= isolateAbove);
  const shared = tasks.filter((task) => task.source.length < isolateAbove);
  const queue = (list: readonly FileTask[]) => {
    let next = 0;
    return (): FileTask | undefined => (next < list.length && !signal?.aborted ? list[next++] : undefined);
  };
  const take = queue(shared);
  const takeLarge = queue(large);
  const wanted = shared.length >= minFiles ? Math.min(workers, Math.max(1, Math.floor((2 * shared.length) / minFiles))) : 0;
  const threads = Math.max(wanted, large.length > 0 ? 1 : 0);
  const pool = threads > 0 ? createPool(threads, options.workerHeapMb) : undefined;

  const inThisThread = async (): Promise<void> => {
    if (shared.length === 0) return;
    const codemods = await import('../../codemods/index.js');
    for (let task = take(), count = 1; task !== undefined; task = take(), count++) {
      pending.push(done(task, processSource(task, codemods)));
      // Let the workers' loops hand out their next files, and writes and the progress bar go on.
      if (pool || count % 8 === 0) await yieldToEventLoop();
    }
  };
  const inWorker = async (): Promise<void> => {
    for (let task = takeLarge() ?? take(); task !== undefined; task = takeLarge() ?? take()) {
      // A worker that dies (out of memory, say) costs its file, never the run.
      const outcome = await pool!.run(task, signal ? { signal } : {}).catch(workerFailure);
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
