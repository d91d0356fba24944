/**
 * The bundled examples run as README's quick start runs them (`node --import tsx`, with tsconfig
 * paths resolving the public names to src): the legacy loop and the blocked call agree, the
 * checker's warning names the example's own line, and the char model's loss falls.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { lineOf } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function runExample(relativePath: string): { stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', relativePath], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, RNN_MIGRATE_CHECK: 'warn' },
  });
  if (result.status !== 0) throw new Error(`${relativePath} exited with ${result.status}:\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

it('examples/legacy-vs-blocked.ts: legacy loop == blocked call; the stale step is reported at its line', () => {
  const file = 'examples/legacy-vs-blocked.ts';
  const { stdout, stderr } = runExample(file);
  const differences = [...stdout.matchAll(/max \|legacy - blocked\| over [^:]+:\s+(\S+)/g)].map((m) => Number(m[1]));
  expect(differences).toHaveLength(2);
  for (const difference of differences) expect(difference).toBeLessThanOrEqual(1e-6);
  const staleLine = lineOf(`${repoRoot}${file}`, 'tf.variableGrads(');
  expect(stderr).toContain('rnn-migrate stale-state:');
  expect(stderr).toMatch(new RegExp(`at ${repoRoot}${file}:${staleLine}:\\d+`));
  expect(stderr.match(/stale-state:/g)).toHaveLength(1);
});

it('examples/legacy-char-model.ts trains: the loss falls and the checker stays silent', () => {
  const { stdout, stderr } = runExample('examples/legacy-char-model.ts');
  const losses = [...stdout.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
  expect(losses.length).toBeGreaterThanOrEqual(2);
  expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
  expect(stderr).not.toContain('rnn-migrate');
});
