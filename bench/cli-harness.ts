// What the repository-scale benchmarks (bench:cli, bench:eslint) share: the build they time, the
// generated git repository of TypeScript modules (a share of them stepping an rnn-migrate/legacy
// LSTM over time), and the timing of one command over it as a child process.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** Builds dist/ (the benchmarks time the shipped JavaScript, as `npx rnn-migrate` runs it). */
export function buildPackage(): void {
  try {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.build.json')], { stdio: 'pipe' });
  } catch (error) {
    if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw error;
    console.warn('tsc reported type errors; timing the JavaScript it emitted anyway');
  }
}

export function plainModule(i: number): string {
  return `import * as tf from '@tensorflow/tfjs';

/** Module ${i}: a dense block with its own weights. */
export class Block${i} {
  private readonly kernel: tf.Variable;
  private readonly bias: tf.Variable;

  constructor(inputSize: number, outputSize: number) {
    this.kernel = tf.variable(tf.randomNormal([inputSize, outputSize], 0, 0.1));
    this.bias = tf.variable(tf.zeros([outputSize]));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => x.matMul(this.kernel).add(this.bias).relu() as tf.Tensor2D);
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}

export function scale${i}(values: number[], factor = ${(i % 7) + 1}): number[] {
  const out: number[] = [];
  for (let k = 0; k < values.length; k++) out.push(values[k]! * factor);
  return out;
}

export const config${i} = { name: 'block-${i}', layers: ${(i % 5) + 1}, dropout: 0.${i % 10} } as const;
`;
}

export function legacyModule(i: number): string {
  return `import * as tf from '@tensorflow/tfjs';
import { LSTM } from 'rnn-migrate/legacy';

/** Module ${i}: a stateful LSTM stepped over time. */
const lstm = LSTM(8, 16);
const readout = tf.variable(tf.randomNormal([16, 4], 0, 0.1));

export function sequenceLoss${i}(inputs: tf.Tensor2D[], targets: tf.Tensor2D[]): tf.Scalar {
  lstm.reset();
  const losses: tf.Scalar[] = [];
  for (let t = 0; t < inputs.length; t++) {
    const h = lstm.step(inputs[t]!);
    losses.push(tf.losses.meanSquaredError(targets[t]!, h.matMul(readout)) as tf.Scalar);
  }
  return tf.addN(losses).div(inputs.length) as tf.Scalar;
}

export function scale${i}(values: number[]): number[] {
  return values.map((value) => value * ${(i % 7) + 1});
}
`;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

export function commitAll(dir: string): void {
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-q', '-m', 'generated');
}

/** Writes `files` modules under dir/packages/pkgN/src, commits them, and returns how many use the legacy API. */
export function generateRepository(dir: string, { files, legacyShare }: { files: number; legacyShare: number }): number {
  // A share of 0 gives no legacy file at all (and no legacy text anywhere in the tree).
  const legacyEvery = legacyShare > 0 ? Math.round(1 / legacyShare) : Number.POSITIVE_INFINITY;
  let legacy = 0;
  for (let i = 0; i < files; i++) {
    const folder = join(dir, 'packages', `pkg${Math.floor(i / 100)}`, 'src');
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    const isLegacy = i % legacyEvery === legacyEvery - 1;
    if (isLegacy) legacy++;
    writeFileSync(join(folder, `module${i}.ts`), isLegacy ? legacyModule(i) : plainModule(i));
  }
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\ndist/\n');
  commitAll(dir);
  return legacy;
}

export interface Timing {
  /** Wall clock, spawn to exit. */
  seconds: number;
  /** User + system CPU seconds of the process and its children (GNU time), when measurable. */
  cpuSeconds?: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

// GNU time gives the CPU time of the whole process tree (worker threads and child processes
// included), which a busy shared machine disturbs far less than the wall clock.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Timing {
  const [file, fileArgs] = gnuTime ? [gnuTime, ['-f', '@cpu %U %S', command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawnSync(file, fileArgs, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, CI: 'true', ...env },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = /@cpu ([\d.]+) ([\d.]+)\s*$/.exec(child.stderr);
  return {
    seconds,
    status: child.status,
    stdout: child.stdout,
    stderr: child.stderr,
    ...(cpu ? { cpuSeconds: Number(cpu[1]) + Number(cpu[2]) } : {}),
  };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
