// Temporary git repositories and an in-process CLI runner for the CLI tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo, OutputStream } from '../../src/cli/io.js';
import type { RunHooks } from '../../src/cli/run.js';

export const legacySource = [
  "import { LSTM } from 'rnn-migrate/legacy';",
  '',
  'const recur = LSTM(3, 4);',
  'export function run(xs: number[][]) {',
  '  for (const x of xs) recur.step(x);',
  '}',
  '',
].join('\n');

export const plainSource = "export const answer = 42;\n";

const tempDirs: string[] = [];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** A folder in the OS temp dir with `files` (path → contents); a committed git repo unless `git: false`. */
export function makeRepo(files: Record<string, string>, options: { git?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-migrate-cli-'));
  tempDirs.push(dir);
  writeFiles(dir, files);
  if (options.git !== false) {
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.email=test@example.com', '-c', 'user.name=test', 'commit', '-q', '-m', 'init', '--allow-empty');
  }
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
}

/** A temporary folder (removed by removeTempDirs) holding nothing. */
export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-migrate-cli-'));
  tempDirs.push(dir);
  return dir;
}

/** Files the atomic writes left behind (there must be none). */
export function temporaryFilesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('.rnn-migrate-'));
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

class Capture implements OutputStream {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs main() in-process in `cwd`, without worker threads unless the args ask for them; `hooks` inject faults. */
export async function runCli(
  cwd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; tty?: boolean; hooks?: RunHooks } = {},
): Promise<CliRun> {
  const stdout = new Capture(options.tty);
  const stderr = new Capture(options.tty);
  const io: CliIo = { stdout, stderr, env: options.env ?? {}, cwd };
  const withWorkers = args.some((arg) => arg.startsWith('--workers')) ? args : ['--workers', '0', ...args];
  const code = await main(withWorkers, io, options.hooks);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export interface JsonReport {
  files: { path: string; findings: { ruleId: string; line: number; column: number; fingerprint: string }[]; error?: unknown }[];
  skipped: { path: string; reason: string }[];
  summary: { files: number; findings: number; errors: number; skipped: number };
}

/** `--check --format json` through main(), parsed. */
export async function jsonReport(dir: string, args: string[]): Promise<{ code: number; report: JsonReport }> {
  const result = await runCli(dir, ['--check', '--format', 'json', ...args]);
  return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
}
