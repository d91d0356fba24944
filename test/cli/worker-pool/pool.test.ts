// The worker pool gives the same outcomes as this thread alone, and a file that fails costs only
// itself. (Through main() the pool starts only for hundreds of candidate files; here the
// threshold is lowered.)
import { describe, expect, it } from 'vitest';
import { processAll } from '../../../src/cli/worker-pool/pool.js';
import type { FileOutcome, FileTask } from '../../../src/cli/worker-pool/file-task.js';
import { legacySource } from '../helpers.js';

function tasks(count: number): FileTask[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `/repo/src/file${i}.ts`,
    relPath: `src/file${i}.ts`,
    source: i === 7 ? "import 'rnn-migrate/legacy';\n)(\n" : legacySource,
    mode: 'check' as const,
    insertTodos: false,
  }));
}

async function outcomes(workers: number, minFiles: number): Promise<Map<string, FileOutcome>> {
  const byFile = new Map<string, FileOutcome>();
  await processAll(tasks(40), workers, async (task, outcome) => void byFile.set(task.relPath, outcome), { minFiles });
  return byFile;
}

describe('processAll', () => {
  it('gives the same outcomes with worker threads as in this thread, each file once', async () => {
    const inThread = await outcomes(0, 1);
    const pooled = await outcomes(2, 1);
    expect(pooled.size).toBe(40);
    expect(pooled).toEqual(inThread);
    expect(pooled.get('src/file7.ts')?.error?.message).toMatch(/^syntax error/);
    expect(pooled.get('src/file8.ts')?.findings.length).toBeGreaterThan(0);
  });
});
