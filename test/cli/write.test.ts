// A rewrite lands only on the file that was read, through main() on temporary git repositories
// with the real codemods: a file edited or deleted between the read and the write (injected with
// the beforeWrite hook) is left as it is now and reported, a read-only file is refused (even for
// root, who could write it), and no temporary file is left behind.
import { chmodSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotWrittenError, writeFileInPlace, contentHash } from '../../src/cli/write.js';
import { legacySource, makeRepo, makeTempDir, removeTempDirs, runCli, temporaryFilesIn } from './helpers.js';

afterAll(removeTempDirs);

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const migrated = (text: string) => text.includes("from 'rnn-migrate';") && !text.includes('rnn-migrate/legacy');

describe('a rewrite writes only the file it read', () => {
  it('leaves a file edited during the run as edited, does not bring back a deleted one, names both, exits 1', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource, 'src/b.ts': legacySource, 'src/c.ts': legacySource, 'src/d.ts': legacySource });
    const edit = `${legacySource}// the user's edit, made during the run\n`;
    const result = await runCli(dir, ['src'], {
      hooks: {
        beforeWrite(path) {
          if (path.endsWith('b.ts')) writeFileSync(path, edit);
          if (path.endsWith('c.ts')) unlinkSync(path);
        },
      },
    });
    expect(result.code).toBe(1);
    expect(migrated(read(dir, 'src/a.ts'))).toBe(true);
    expect(migrated(read(dir, 'src/d.ts'))).toBe(true);
    expect(read(dir, 'src/b.ts')).toBe(edit);
    expect(existsSync(join(dir, 'src/c.ts'))).toBe(false);
    expect(result.stdout).toMatch(/src\/b\.ts\n.*error\s+changed during the run/);
    expect(result.stdout).toMatch(/src\/c\.ts\n.*error\s+deleted during the run: not recreated/);
    expect(result.stderr).toMatch(/2 changed, 0 unchanged, 0 manual, 0 skipped, 2 errors/);
    expect(temporaryFilesIn(dir)).toEqual([]);
  });

  it('writes a file touched during the run but still holding the same bytes', async () => {
    const dir = makeRepo({ 'a.ts': legacySource });
    const result = await runCli(dir, ['.'], { hooks: { beforeWrite: (path) => writeFileSync(path, legacySource) } });
    expect(result.code).toBe(0);
    expect(migrated(read(dir, 'a.ts'))).toBe(true);
  });

  it('refuses a read-only file (mode without write bits), even as root, and keeps its mode', async () => {
    const dir = makeRepo({ 'src/locked.ts': legacySource, 'src/open.ts': legacySource });
    chmodSync(join(dir, 'src/locked.ts'), 0o444);
    const result = await runCli(dir, ['src']);
    expect(result.code).toBe(1);
    expect(read(dir, 'src/locked.ts')).toBe(legacySource);
    expect(statSync(join(dir, 'src/locked.ts')).mode & 0o777).toBe(0o444);
    expect(migrated(read(dir, 'src/open.ts'))).toBe(true);
    expect(result.stdout).toMatch(/src\/locked\.ts\n.*error\s+read-only file \(mode 444\): not rewritten/);
  });
});

describe('writeFileInPlace', () => {
  it('replaces the file whole with its mode, and refuses when the bytes differ from the expected hash', () => {
    const dir = makeTempDir();
    const file = join(dir, 'x.ts');
    writeFileSync(file, 'before\n');
    chmodSync(file, 0o640);
    writeFileInPlace(file, 'after\n', { expectedHash: contentHash(Buffer.from('before\n')) });
    expect(readFileSync(file, 'utf8')).toBe('after\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(() => writeFileInPlace(file, 'again\n', { expectedHash: contentHash(Buffer.from('before\n')) })).toThrow(NotWrittenError);
    expect(readFileSync(file, 'utf8')).toBe('after\n');
    expect(temporaryFilesIn(dir)).toEqual([]);
  });
});
