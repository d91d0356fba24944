/**
 * The package as a user gets it: `npm pack` (prepare builds dist with tsc), the tarball installed
 * into a fresh project beside @tensorflow/tfjs from the npm registry, and a plain Node ESM file
 * (no tsx, no bundler) that imports { LSTM } from 'rnn-migrate' and trains it with tf.train.adam.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { rules } from 'rnn-migrate/codemods';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'rnn-migrate-pack-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** npm without the npm_* variables of an enclosing `npm test`, which would steer the nested runs. */
function npm(args: string[], cwd: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  try {
    return execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // Show what npm (and the build it ran) printed, not only its exit code.
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
  }
}

const TRAIN = `
import * as tf from '@tensorflow/tfjs';
import { LSTM } from 'rnn-migrate';

const lstm = new LSTM(3, 8, { seed: 1, returnSequences: false });
const x = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 2);
const y = tf.randomNormal([4, 8], 0, 0.5, 'float32', 3);
const optimizer = tf.train.adam(0.05);
const loss = () => tf.mean(tf.square(tf.sub(lstm.apply(x).output, y)));
const losses = [];
for (let i = 0; i < 10; i++) {
  const value = optimizer.minimize(loss, true, lstm.trainableVariables());
  losses.push(value.dataSync()[0]);
  value.dispose();
}
console.log('RESULT ' + JSON.stringify({ losses, backend: tf.getBackend() }));
`;

// rnn-migrate/layers as a tf.layers user reaches it: a drop-in LSTM in tf.sequential, model.fit.
const FIT = `
import * as tf from '@tensorflow/tfjs';
import * as rnnLayers from 'rnn-migrate/layers';

const model = tf.sequential({ layers: [rnnLayers.lstm({ units: 8, inputShape: [5, 3] }), tf.layers.dense({ units: 1 })] });
model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
const x = tf.randomNormal([8, 5, 3], 0, 1, 'float32', 2);
const y = tf.randomNormal([8, 1], 0, 0.5, 'float32', 3);
const history = await model.fit(x, y, { epochs: 5, verbose: 0 });
console.log('RESULT ' + JSON.stringify({ losses: history.history.loss }));
`;

function runResult(projectDir: string, file: string, source: string): { losses: number[] } {
  writeFileSync(join(projectDir, file), source);
  const stdout = execFileSync(process.execPath, [file], { cwd: projectDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, `${file} printed:\n${stdout}`).toBeDefined();
  return JSON.parse(line!.slice('RESULT '.length)) as { losses: number[] };
}

it('npm pack → install beside @tensorflow/tfjs → plain Node ESM files train an LSTM and fit a rnn-migrate/layers model', () => {
  const packDir = join(workDir, 'pack');
  const projectDir = join(workDir, 'project');
  mkdirSync(packDir);
  mkdirSync(projectDir);
  npm(['pack', '--pack-destination', packDir, '--loglevel=error'], repoRoot);
  const tarballs = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
  expect(tarballs).toHaveLength(1);

  writeFileSync(join(projectDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The tfjs version the repository is developed against, from the registry (the cache when it can).
  const tfjsVersion = JSON.parse(readFileSync(join(repoRoot, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
  npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(packDir, tarballs[0]), `@tensorflow/tfjs@${tfjsVersion}`],
    projectDir,
  );

  const { losses } = runResult(projectDir, 'train.mjs', TRAIN);
  expect(losses).toHaveLength(10);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0]);

  // The ESLint plugin's export loads from the tarball without eslint installed (it imports only types from it).
  const plugin = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', "import p from 'rnn-migrate/eslint-plugin'; console.log(Object.keys(p.rules).join(' '))"],
    { cwd: projectDir, encoding: 'utf8' },
  );
  expect(plugin.trim()).toBe(Object.keys(rules).join(' '));

  const fitted = runResult(projectDir, 'fit.mjs', FIT).losses;
  expect(fitted).toHaveLength(5);
  expect(fitted[fitted.length - 1]).toBeLessThan(fitted[0]);
}, 600_000);
