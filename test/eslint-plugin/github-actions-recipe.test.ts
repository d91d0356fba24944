/**
 * examples/github-actions/rnn-migrate.yml, taken at its word: its commands (the one-time baseline,
 * the CI step, the prune after migrating) and its ESLint config and commands run, as written, in a
 * project that uses the legacy API, with the environment GitHub Actions gives a step.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eslint, repoRoot, rnnMigrate, type Run } from './helpers.js';

const workflow = readFileSync(join(repoRoot, 'examples/github-actions/rnn-migrate.yml'), 'utf8');

function commandIn(pattern: RegExp): string[] {
  const match = pattern.exec(workflow);
  if (!match) throw new Error(`the workflow has no line matching ${pattern}`);
  return match[1]!.trim().split(/\s+/);
}

const recordBaseline = commandIn(/^#\s+(npx rnn-migrate --check .*--update-baseline.*)$/m);
const pruneBaseline = commandIn(/^#\s+(npx rnn-migrate --check .*--prune-baseline.*)$/m);
const ciCheck = commandIn(/^\s+- run: (npx rnn-migrate --check .*)$/m);
const ciEslint = commandIn(/^\s+- run: (npx eslint .*)$/m);
const suppressAll = commandIn(/`(npx eslint --suppress-all [^`]*)`/);
const eslintConfig = /^\s*#\s{3}(import tsParser[\s\S]*?^\s*#\s{3}\];)$/m
  .exec(workflow)?.[1]
  ?.split('\n')
  .map((line) => line.replace(/^\s*#\s{3}/, ''))
  .join('\n');

/** `npx <tool> args…` run as the workflow would, in `dir`. */
function npx(dir: string, [, tool, ...args]: string[], env: NodeJS.ProcessEnv = {}): Run {
  if (tool === 'rnn-migrate') return rnnMigrate(dir, args, env);
  if (tool === 'eslint') return eslint(dir, args, env);
  throw new Error(`unexpected tool ${tool}`);
}

const corpus = (name: string): string => readFileSync(join(repoRoot, 'fixtures/corpus', name), 'utf8');
// Each test spawns eslint or the CLI several times; a loaded machine makes that slow.
const E2E_TIMEOUT = 600_000;
let work: string;
let project: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'rnn-migrate-recipe-'));
  project = join(work, 'project');
  mkdirSync(project);
  // A user's project: ESM, rnn-migrate and @typescript-eslint/parser installed (rnn-migrate's
  // eslint-plugin export pointing at the sources under test), node_modules ignored by git.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  writeFileSync(join(project, '.gitignore'), 'node_modules/\n');
  const installed = join(project, 'node_modules/rnn-migrate');
  mkdirSync(installed, { recursive: true });
  writeFileSync(
    join(installed, 'package.json'),
    JSON.stringify({ name: 'rnn-migrate', type: 'module', exports: { './eslint-plugin': './src/eslint-plugin/index.ts' } }),
  );
  symlinkSync(join(repoRoot, 'src'), join(installed, 'src'), 'dir');
  symlinkSync(join(repoRoot, 'node_modules/@typescript-eslint'), join(project, 'node_modules/@typescript-eslint'), 'dir');
  writeFileSync(join(project, 'eslint.config.js'), eslintConfig ?? '');
  mkdirSync(join(project, 'src'));
  for (const name of ['_support.ts', 'limited-horizon.ts', 'tidy-forward.ts']) copyFileSync(join(repoRoot, 'fixtures/corpus', name), join(project, 'src', name));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: project, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.email=test@example.com', '-c', 'user.name=test', 'commit', '-q', '-m', 'legacy project');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the GitHub Actions recipe', () => {
  it('has the commands and the ESLint config it documents', () => {
    expect(ciCheck.join(' ')).toBe('npx rnn-migrate --check --format github --baseline rnn-migrate-baseline.json .');
    expect(eslintConfig).toContain("import rnnMigrate from 'rnn-migrate/eslint-plugin';");
  });

  it('rnn-migrate job: passes on the recorded baseline, annotates new legacy use, prunes after a migration', () => {
    expect(npx(project, recordBaseline).status).toBe(0);
    expect(existsSync(join(project, 'rnn-migrate-baseline.json'))).toBe(true);

    const summary = join(work, 'step-summary.md');
    const actionsEnv = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const clean = npx(project, ciCheck, actionsEnv);
    expect(clean.status, clean.stderr).toBe(0);

    writeFileSync(join(project, 'src/new-model.ts'), corpus('per-step-loss.ts'));
    const failing = npx(project, ciCheck, actionsEnv);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/^::warning file=src\/new-model\.ts,line=\d+,col=\d+/m);
    expect(failing.stdout).not.toContain('limited-horizon.ts');
    expect(readFileSync(summary, 'utf8')).toContain('### rnn-migrate --check');
    rmSync(join(project, 'src/new-model.ts'));

    // Migrating a file leaves its baseline counts stale: the CI step fails until they are pruned.
    expect(rnnMigrate(project, ['--force', 'src/limited-horizon.ts']).status).toBe(0);
    expect(npx(project, ciCheck, actionsEnv).status).toBe(1);
    expect(npx(project, pruneBaseline).status).toBe(0);
    expect(npx(project, ciCheck, actionsEnv).status).toBe(0);
    execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: project });
  }, E2E_TIMEOUT);

  it('eslint job: the documented config reports legacy use; bulk suppressions let the old use pass', () => {
    const before = npx(project, ciEslint);
    expect(before.status).toBe(1);
    expect(before.stdout).toContain('rnn-migrate/legacy-step-loop');
    expect(before.stdout).toContain(join(project, 'src/tidy-forward.ts'));

    expect(npx(project, suppressAll).status).toBe(0);
    expect(npx(project, ciEslint).status).toBe(0);
    writeFileSync(join(project, 'src/new-model.ts'), corpus('per-step-loss.ts'));
    const after = npx(project, ciEslint);
    expect(after.status).toBe(1);
    expect(after.stdout).toContain(join(project, 'src/new-model.ts'));
    expect(after.stdout).not.toContain('tidy-forward.ts');
  }, E2E_TIMEOUT);
});
