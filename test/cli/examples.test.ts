// The README quick start on the real codemods: the bundled legacy example migrates fully (rewrite
// exits 0, then lint finds nothing), and a CRLF file stays CRLF.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRepo, removeTempDirs, runCli } from './helpers.js';

afterAll(removeTempDirs);

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const example = readFileSync(join(repoRoot, 'examples/legacy-char-model.ts'), 'utf8');

describe('the bundled legacy example', () => {
  it('--dry shows the migration; the rewrite migrates it fully; lint then finds nothing', async () => {
    const dir = makeRepo({ 'examples/legacy-char-model.ts': example });
    const dry = await runCli(dir, ['--dry', 'examples/legacy-char-model.ts']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("-import { LSTM } from 'rnn-migrate/legacy';");

    const rewrite = await runCli(dir, ['examples']);
    expect(rewrite.code).toBe(0);
    expect(rewrite.stderr).toMatch(/1 changed, 0 unchanged, 0 manual, 0 skipped, 0 errors/);
    const check = await runCli(dir, ['--check', 'examples']);
    expect(check.code).toBe(0);
  });

  it('keeps CRLF line endings through the real transform', async () => {
    const crlf = example.replace(/\r?\n/g, '\r\n');
    const dir = makeRepo({ 'model.ts': crlf });
    expect((await runCli(dir, ['.'])).code).toBe(0);
    const output = readFileSync(join(dir, 'model.ts'), 'utf8');
    expect(output).not.toBe(crlf);
    expect(output.split('\r\n').join('')).not.toContain('\n');
  });
});
