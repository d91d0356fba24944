// Files that are skipped unparsed are not let through in silence when they mention the legacy
// entry, and a file too large for memory costs only itself: through main() and the streaming
// scanner, on temporary repositories.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLegacyMention } from '../../src/cli/read-source.js';
import { jsonReport, legacySource, makeRepo, makeTempDir, plainSource, removeTempDirs, runCli } from './helpers.js';

afterAll(removeTempDirs);

const marker = 'rnn-migrate/legacy';

describe('findLegacyMention', () => {
  it('finds the first mention in a multi-megabyte file, across a chunk boundary, with its line and column', () => {
    const dir = makeTempDir();
    const filler = '// filler line of thirty bytes\n';
    for (const splitAt of [0, 5, marker.length - 1]) {
      // The marker starts `splitAt` bytes before the 1 MiB chunk boundary (a line of `const x = '…`).
      const lines = Math.floor((1 << 20) / filler.length) + 3;
      const head = filler.repeat(lines);
      const prefix = "import { LSTM } from '";
      const pad = (1 << 20) * 2 - head.length - prefix.length - splitAt;
      const padLine = `//${'p'.repeat(pad - 3)}\n`;
      const text = `${head}${padLine}${prefix}${marker}';\n${filler.repeat(40_000)}`;
      expect(text.indexOf(marker)).toBe((1 << 20) * 2 - splitAt);
      const file = join(dir, `big${splitAt}.ts`);
      writeFileSync(file, text);
      expect(findLegacyMention(file)).toEqual({ marker, line: lines + 2, column: prefix.length + 1, lineText: `${prefix}${marker}';` });
    }
    const clean = join(dir, 'clean.ts');
    writeFileSync(clean, filler.repeat(100_000));
    expect(findLegacyMention(clean)).toBeUndefined();
  });
});

describe('a file skipped as too large', () => {
  it('is a finding when it mentions the legacy entry (lint fails; a rewrite leaves it and exits 1), and passes when it does not', async () => {
    const dir = makeRepo({ 'src/big.ts': `${'// padding\n'.repeat(50)}${legacySource}`, 'src/big-plain.ts': plainSource.repeat(50) });
    const { code, report } = await jsonReport(dir, ['--max-file-size', '200', '.']);
    expect(code).toBe(1);
    expect(report.files).toEqual([
      expect.objectContaining({ path: 'src/big.ts', findings: [expect.objectContaining({ ruleId: 'legacy-import', line: 51, column: 23 })] }),
    ]);
    expect(report.skipped.map((skip) => [skip.path, skip.reason])).toEqual([
      ['src/big-plain.ts', 'too-large'],
      ['src/big.ts', 'too-large'],
    ]);
    const lint = await runCli(dir, ['--check', '--max-file-size', '200', '.']);
    expect(lint.stdout).toMatch(/51:23\s+warning\s+Mentions 'rnn-migrate\/legacy' but was not analysed \(over the size limit, \d+ bytes > 200\): raise --max-file-size/);
    const rewrite = await runCli(dir, ['--max-file-size', '200', '.']);
    expect(rewrite.code).toBe(1);
    expect(rewrite.stderr).toMatch(/0 changed, 0 unchanged, 1 manual, 2 skipped, 0 errors/);
  });
});

describe('running out of memory on a large file', () => {
  // A source of 300 KiB is parsed in a worker even with --workers 0; a 48 MiB heap is too small
  // for it there, 512 MiB is enough: the same file, so the failure is the file's, and contained.
  const big = `${legacySource}${Array.from({ length: 9000 }, (_, i) => `export const value${i} = [${i}, { a: ${i} }];\n`).join('')}`;

  it('costs that file only: reported as not processed (exit 1), the other files done, the run alive', async () => {
    expect(big.length).toBeGreaterThan(256 * 1024);
    const dir = makeRepo({ 'src/big.ts': big, 'src/small.ts': legacySource });
    const starved = await runCli(dir, ['--check', '--format', 'json', '--max-file-size', '10000000', '.'], { hooks: { workerHeapMb: 48 } });
    expect(starved.code).toBe(1);
    const report = JSON.parse(starved.stdout) as { files: { path: string; findings: unknown[]; error?: { message: string } }[] };
    expect(report.files.map((file) => [file.path, file.error?.message.slice(0, 13), file.findings.length > 0])).toEqual([
      ['src/big.ts', 'out of memory', false],
      ['src/small.ts', undefined, true],
    ]);
    const fed = await jsonReport(dir, ['--max-file-size', '10000000', '--workers', '0', '.']);
    expect(fed.report.files.map((file) => [file.path, file.error, file.findings.length > 0])).toEqual([
      ['src/big.ts', undefined, true],
      ['src/small.ts', undefined, true],
    ]);
  });
});
