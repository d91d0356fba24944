// Rewrite, --dry and --print through main(), in temporary git repositories. migrateSource is
// replaced by a small deterministic stand-in (the codemods have their own fixture tests), so these
// tests pin what the CLI does around it: refusing a dirty tree, atomic writes, the re-parse guard,
// line endings, diffs, exit codes.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { git, legacySource, makeRepo, plainSource, removeTempDirs, runCli, writeFiles } from './helpers.js';

vi.mock('../../src/codemods/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/codemods/index.js')>();
  return {
    ...actual,
    // Like the codemod, keeps each line's ending; '// manual' marks a site left for manual migration and
    // '// emit-broken' makes the stand-in emit code that does not parse.
    migrateSource(source: string, filePath: string, options: { insertTodos?: boolean } = {}) {
      if (!actual.mayUseLegacy(source)) return { output: source, changed: false, findings: [] };
      actual.analyzeSource(source, filePath); // throws CodemodParseError on a syntax error
      const findings: import('../../src/codemods/index.js').Finding[] = [];
      const lines = source.split(/\r?\n/).map((line, index) => {
        if (line.includes('// manual')) {
          findings.push({
            ruleId: 'manual-migration',
            message: 'Left for manual migration',
            reason: 'early-exit',
            line: index + 1,
            column: 1,
          });
          return options.insertTodos ? `// rnn-migrate(TODO:early-exit)\n${line}` : line;
        }
        if (line.includes('// emit-broken')) return `${line.replace(/\/\/.*/, "")} )( // emit-broken`;
        return line.replace("'rnn-migrate/legacy'", "'rnn-migrate'").replace('recur.step(x)', 'recur.apply(x)');
      });
      const endings = source.match(/\r?\n/g) ?? [];
      const output = lines.map((line, index) => line + (endings[index] ?? '')).join('');
      return { output, changed: output !== source, findings };
    },
  };
});

afterAll(removeTempDirs);

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

describe('rewrite in place', () => {
  it('refuses a git work tree with uncommitted changes (exit 2, nothing written) unless --force', async () => {
    const dir = makeRepo({ 'src/model.ts': legacySource, 'src/other.ts': plainSource });
    writeFiles(dir, { 'src/other.ts': 'export const answer = 43;\n' });
    const refused = await runCli(dir, ['src']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('uncommitted changes');
    expect(refused.stderr).toContain('src/other.ts');
    expect(read(dir, 'src/model.ts')).toBe(legacySource);

    const forced = await runCli(dir, ['--force', 'src']);
    expect(forced.code).toBe(0);
    expect(read(dir, 'src/model.ts')).toContain("from 'rnn-migrate'");
    expect(forced.stderr).toMatch(/1 changed, 1 unchanged, 0 manual, 0 skipped, 0 errors/);
  });

  it('counts an untracked file or a change outside the paths as uncommitted, and checks nothing outside git', async () => {
    const dir = makeRepo({ 'src/model.ts': legacySource, 'notes.md': 'notes\n' });
    writeFiles(dir, { 'src/new.ts': legacySource });
    expect((await runCli(dir, ['src'])).code).toBe(2);
    const elsewhere = makeRepo({ 'src/model.ts': legacySource, 'notes.md': 'notes\n' });
    writeFiles(elsewhere, { 'notes.md': 'more notes\n' });
    const refused = await runCli(elsewhere, ['src']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('notes.md');
    expect(read(elsewhere, 'src/model.ts')).toBe(legacySource);

    const plain = makeRepo({ 'src/model.ts': legacySource, 'src/new.ts': legacySource }, { git: false });
    expect((await runCli(plain, ['src'])).code).toBe(0);
    expect(read(plain, 'src/new.ts')).toContain("from 'rnn-migrate'");
  });

  it('migrates the rest when one file has a syntax error, names it, leaves it untouched and exits 1', async () => {
    const broken = "import { LSTM } from 'rnn-migrate/legacy';\nconst = ;\n";
    const dir = makeRepo({ 'src/a.ts': legacySource, 'src/broken.ts': broken, 'src/c.ts': legacySource });
    const result = await runCli(dir, ['.']);
    expect(result.code).toBe(1);
    expect(read(dir, 'src/broken.ts')).toBe(broken);
    expect(read(dir, 'src/a.ts')).toContain("from 'rnn-migrate'");
    expect(read(dir, 'src/c.ts')).toContain("from 'rnn-migrate'");
    expect(result.stdout).toContain('src/broken.ts');
    expect(result.stdout).toMatch(/2:7\s+error\s+syntax error/);
    expect(result.stderr).toMatch(/2 changed, 0 unchanged, 0 manual, 0 skipped, 1 error/);
  });

  it('never writes an output that does not parse', async () => {
    const source = `${legacySource}const y = 1; // emit-broken\n`;
    const dir = makeRepo({ 'src/a.ts': source });
    const result = await runCli(dir, ['src']);
    expect(result.code).toBe(1);
    expect(read(dir, 'src/a.ts')).toBe(source);
    expect(result.stdout).toContain('would not parse');
  });

  it('keeps CRLF line endings and the file mode', async () => {
    const crlf = legacySource.replace(/\n/g, '\r\n');
    const dir = makeRepo({ 'src/a.ts': crlf });
    chmodSync(join(dir, 'src/a.ts'), 0o754);
    const result = await runCli(dir, ['--force', 'src']);
    expect(result.code).toBe(0);
    const output = read(dir, 'src/a.ts');
    expect(output).toContain("from 'rnn-migrate'");
    expect(output.match(/\r\n/g)?.length).toBe(crlf.match(/\r\n/g)?.length);
    expect(output.replace(/\r\n/g, '')).not.toContain('\n');
    expect(statSync(join(dir, 'src/a.ts')).mode & 0o777).toBe(0o754);
  });

  it('exits 1 and names the reason when a site needs manual migration; --insert-todos marks it', async () => {
    const source = `${legacySource}recur.reset(); // manual\n`;
    const dir = makeRepo({ 'src/a.ts': source });
    const result = await runCli(dir, ['src']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/7:1\s+warning\s+Left for manual migration.*\[early-exit\]\s+manual-migration/);
    expect(result.stderr).toMatch(/1 changed, 0 unchanged, 1 manual/);

    const todo = makeRepo({ 'src/a.ts': source });
    await runCli(todo, ['--insert-todos', 'src']);
    expect(read(todo, 'src/a.ts')).toContain('// rnn-migrate(TODO:early-exit)');
  });
});

describe('--dry and --print', () => {
  it('--dry prints a plain unified diff off a terminal and writes nothing, even in a dirty tree', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource });
    writeFileSync(join(dir, 'untracked.ts'), plainSource);
    const result = await runCli(dir, ['--dry', 'src']);
    expect(result.code).toBe(0);
    expect(read(dir, 'src/a.ts')).toBe(legacySource);
    expect(result.stdout).toContain('--- a/src/a.ts');
    expect(result.stdout).toContain('+++ b/src/a.ts');
    expect(result.stdout).toContain("-import { LSTM } from 'rnn-migrate/legacy';");
    expect(result.stdout).toContain("+import { LSTM } from 'rnn-migrate';");
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stderr).toMatch(/--dry: 1 to change/);

    // The diff is a patch git takes as it is: applied, it gives what the rewrite writes.
    writeFileSync(join(dir, 'migration.patch'), result.stdout);
    git(dir, 'apply', 'migration.patch');
    const applied = read(dir, 'src/a.ts');
    git(dir, 'checkout', '--', 'src/a.ts');
    await runCli(dir, ['--force', 'src']);
    expect(applied).toBe(read(dir, 'src/a.ts'));
  });

  it('--dry colours the diff on a terminal, but not with NO_COLOR', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource });
    const coloured = await runCli(dir, ['--dry', 'src'], { tty: true });
    expect(coloured.stdout).toContain('\u001b[32m+import');
    const plain = await runCli(dir, ['--dry', 'src'], { tty: true, env: { NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
  });

  it('--print writes the migrated file to stdout and nothing to disk', async () => {
    const dir = makeRepo({ 'src/a.ts': legacySource, 'src/b.ts': plainSource });
    const result = await runCli(dir, ['--print', 'src/a.ts']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("import { LSTM } from 'rnn-migrate';");
    expect(result.stdout).toContain('recur.apply(x)');
    expect(read(dir, 'src/a.ts')).toBe(legacySource);
    expect((await runCli(dir, ['--print', 'src'])).code).toBe(2);
    expect((await runCli(dir, ['--print', 'src/b.ts'])).stdout).toBe(plainSource);
  });
});

describe('command line', () => {
  it('prints the help with exit 2 when no path is given, and with exit 0 for --help', async () => {
    const dir = makeRepo({});
    const none = await runCli(dir, []);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('rnn-migrate [paths..]');
    expect(none.stderr).toContain('no paths given');
    const help = await runCli(dir, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--update-baseline');
    const version = await runCli(dir, ['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on usage errors', async () => {
    const dir = makeRepo({ 'a.ts': plainSource });
    expect((await runCli(dir, ['--check', '--dry', '.'])).code).toBe(2);
    expect((await runCli(dir, ['--check', '--format', 'xml', '.'])).code).toBe(2);
    expect((await runCli(dir, ['--check', '--shard', '3/2', '.'])).code).toBe(2);
    expect((await runCli(dir, ['--check', '--no-such-flag', '.'])).code).toBe(2);
    expect((await runCli(dir, ['--check', 'missing'])).code).toBe(2);
    expect((await runCli(dir, ['--baseline', 'b.json', '.'])).code).toBe(2);
  });
});
