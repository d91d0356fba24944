// Where files are parsed and transformed: in this thread, or in a pool of worker threads (piscina)
// when there are several workers and enough files to repay starting them. Discovery, reading and
// the text prefilter stay in this thread, so only files that may use the legacy API travel.
import { Piscina } from 'piscina';
import { processSource, type FileOutcome, type FileTask } from './process-file.js';

export interface Processor {
  process(task: FileTask): Promise<FileOutcome>;
  close(): Promise<void>;
}

/** Below this many candidate files a worker's start-up (loading jscodeshift) costs more than it saves. */
export const minFilesForPool = 64;

class InThreadProcessor implements Processor {
  private codemods?: Promise<typeof import('../../codemods/index.js')>;

  async process(task: FileTask): Promise<FileOutcome> {
    this.codemods ??= import('../../codemods/index.js');
    return processSource(task, await this.codemods);
  }

  async close(): Promise<void> {}
}

class PoolProcessor implements Processor {
  private readonly pool: Piscina<FileTask, FileOutcome>;

  constructor(threads: number) {
    // Under tsx (tests, the benchmark from source) the worker is TypeScript and needs the loader.
    const fromSource = import.meta.url.endsWith('.ts');
    const filename = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href;
    this.pool = new Piscina({
      filename,
      minThreads: threads,
      maxThreads: threads,
      execArgv: fromSource ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    });
  }

  process(task: FileTask): Promise<FileOutcome> {
    return this.pool.run(task);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

export function createProcessor(workers: number, candidateFiles: number): Processor {
  if (workers <= 1 || candidateFiles < minFilesForPool) return new InThreadProcessor();
  return new PoolProcessor(Math.min(workers, Math.ceil(candidateFiles / (minFilesForPool / 2))));
}
