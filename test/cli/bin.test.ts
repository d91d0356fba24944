// The shipped launcher, once, as a child process: the CLI (and the codemods it imports) compiled
// with the build settings into a temporary package laid out as npm installs it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySource, makeRepo, removeTempDirs, temporaryFilesIn } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let packageDir: string;

beforeAll(() => {
  packageDir = mkdtempSync(join(tmpdir(), 'rnn-migrate-package-'));
  // Only the CLI's side of the tree: it imports nothing but the codemods' public index.
  writeFileSync(
    join(packageDir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(repoRoot, 'tsconfig.build.json'),
      compilerOptions: { rootDir: join(repoRoot, 'src'), outDir: join(packageDir, 'dist'), declaration: false, sourceMap: false },
      include: [join(repoRoot, 'src/cli'), join(repoRoot, 'src/codemods')],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.json')], { stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on a type error elsewhere (the typecheck step reports those); only a
    // missing entry point is this test's failure.
    if (!existsSync(join(packageDir, 'dist/cli/main.js'))) throw error;
  }
  mkdirSync(join(packageDir, 'bin'));
  copyFileSync(join(repoRoot, 'bin/rnn-migrate.js'), join(packageDir, 'bin/rnn-migrate.js'));
  copyFileSync(join(repoRoot, 'package.json'), join(packageDir, 'package.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(packageDir, 'node_modules'), 'dir');
});

afterAll(() => {
  removeTempDirs();
  rmSync(packageDir, { recursive: true, force: true });
});

describe('bin/rnn-migrate.js', () => {
  it('runs --check, --version, no paths and --dry as a child process with the pinned exit codes', () => {
    const dir = makeRepo({ 'src/model.ts': legacySource, 'src/plain.ts': 'export {};\n' });
    const bin = join(packageDir, 'bin/rnn-migrate.js');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });

    const check = run('--check', '--format', 'json', '.');
    expect(check.status).toBe(1);
    expect(JSON.parse(check.stdout).files[0].path).toBe('src/model.ts');

    const version = run('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);

    expect(run().status).toBe(2);
    const dry = run('--dry', 'src');
    expect(dry.status).toBeLessThanOrEqual(1);
    expect(readFileSync(join(dir, 'src/model.ts'), 'utf8')).toBe(legacySource);
  });

  it('on SIGINT mid-rewrite exits 130, says what it wrote, and leaves every file whole', async () => {
    const files = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`src/m${String(i).padStart(4, '0')}.ts`, legacySource]));
    const dir = makeRepo(files);
    const child = spawn(process.execPath, [join(packageDir, 'bin/rnn-migrate.js'), '--no-progress', 'src'], { cwd: dir, env: { PATH: process.env.PATH } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const changed = () => Object.keys(files).filter((name) => readFileSync(join(dir, name), 'utf8') !== legacySource);
    // Interrupt as soon as the first file is rewritten.
    const poll = setInterval(() => {
      if (changed().length > 0) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 5);
    const code = await exited;
    clearInterval(poll);
    expect(code).toBe(130);
    const written = changed();
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(1500);
    const migrated = new Set(written.map((name) => readFileSync(join(dir, name), 'utf8')));
    expect(migrated.size).toBe(1);
    expect(stderr).toContain(`rnn-migrate: interrupted: ${written.length.toLocaleString('en-US')} files written:`);
    expect(stderr).toContain(`${(1500 - written.length).toLocaleString('en-US')} files not processed (left as they were)`);
    expect(temporaryFilesIn(dir)).toEqual([]);
    expect(readdirSync(join(dir, '.git')).filter((name) => name.includes('rnn-migrate'))).toEqual([]);
  });

  it("exports the programmatic API as 'rnn-migrate/cli'", () => {
    const dir = makeRepo({ 'src/model.ts': legacySource });
    // A module inside the package imports it by its public name (Node resolves a package's own exports).
    const script = join(packageDir, 'api-check.mjs');
    writeFileSync(
      script,
      "import { run } from 'rnn-migrate/cli';\n" +
        "const result = await run({ paths: ['.'], mode: 'check' }, { cwd: process.argv[2] });\n" +
        'console.log(JSON.stringify([result.exitCode, result.findings[0].relPath, result.findings[0].ruleId]));\n',
    );
    const output = execFileSync(process.execPath, [script, dir], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual([1, 'src/model.ts', 'legacy-import']);
  });
});
