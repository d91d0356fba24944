// Ctrl-C through main(): SIGINT (emitted from the beforeWrite hook, so it lands at a known point)
// stops the run; what was written is named, nothing more is written, no half-written or
// temporary file remains, and the exit code is 130.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legacySource, makeRepo, removeTempDirs, runCli, temporaryFilesIn } from './helpers.js';

afterAll(removeTempDirs);

describe('Ctrl-C', () => {
  it('stops writing, says what was written and what was not, exits 130', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => `src/${name}.ts`);
    const dir = makeRepo(Object.fromEntries(names.map((name) => [name, legacySource])));
    let writes = 0;
    const listeners = process.listenerCount('SIGINT');
    const result = await runCli(dir, ['src'], {
      hooks: {
        beforeWrite() {
          if (++writes === 3) process.emit('SIGINT');
        },
      },
    });
    expect(result.code).toBe(130);
    const contents = names.map((name) => readFileSync(join(dir, name), 'utf8'));
    const written = names.filter((_, i) => contents[i] !== legacySource);
    expect(written).toEqual(['src/a.ts', 'src/b.ts']);
    for (const text of contents) expect([legacySource, contents[0]]).toContain(text);
    expect(result.stderr).toContain('rnn-migrate: interrupted: 2 files written:\n  src/a.ts\n  src/b.ts\n');
    expect(result.stderr).toContain('rnn-migrate: 4 files not processed (left as they were)');
    expect(temporaryFilesIn(dir)).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});
