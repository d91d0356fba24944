// Child processes for the end-to-end tests: the eslint binary and the rnn-migrate CLI, both loading
// the repository's TypeScript sources through tsx (so they run the code under test, not dist/).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
const eslintBin = join(repoRoot, 'node_modules/.bin/eslint');
const cliMain = pathToFileURL(join(repoRoot, 'src/cli/main.ts')).href;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function spawn(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const childEnv = { PATH: process.env['PATH'], NODE_OPTIONS: `--import=${tsxLoader}`, ...env };
  const child = spawnSync(command, args, { cwd, env: childEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** node_modules/.bin/eslint in `cwd` (which holds the flat config). */
export const eslint = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run => spawn(eslintBin, args, cwd, env);

/** The rnn-migrate CLI's main() in `cwd`, in this thread only (no worker pool). */
export function rnnMigrate(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const script = `const { main } = await import(${JSON.stringify(cliMain)}); process.exitCode = await main(process.argv.slice(1));`;
  return spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--workers', '0', '--no-progress', ...args], cwd, env);
}

/** An absolute import specifier for a package the repository has installed. */
export const resolvedUrl = (specifier: string): string => pathToFileURL(require.resolve(specifier)).href;
