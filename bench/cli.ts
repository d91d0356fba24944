// npm run bench:cli — the CLI at repository scale against jscodeshift's own runner.
//
// Generates a git repository of 5,000 TypeScript files (5% of them using rnn-migrate/legacy) in
// the OS temp dir, builds the package, then times, as child processes from start to exit:
//   lint      rnn-migrate --check
//   rewrite   rnn-migrate (in place, clean git tree)
//   jscodeshift  jscodeshift's runner (bin/jscodeshift.js, its default cpus − 1 workers) applying
//                the same transform (legacyToBlocked from the codemods) to the same files, once
//                as the transform is and once behind the same text prefilter as ours
//   start-up  rnn-migrate --check on a repository of one plain file (what every run pays first)
// Each rewrite runs on a fresh copy of the repository; the median of the runs is reported (the
// jscodeshift rows, slow, run --jscodeshift-runs times).
// Options: --files N (default 5000), --legacy-share F (0.05; 0 for a tree with no legacy text at
// all), --runs N (3), --jscodeshift-runs N (1), --lint-only (the lint and start-up rows only),
// --no-build.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '5000' },
    'legacy-share': { type: 'string', default: '0.05' },
    runs: { type: 'string', default: '3' },
    'jscodeshift-runs': { type: 'string', default: '1' },
    'lint-only': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const fileCount = Number(values.files);
const legacyShare = Number(values['legacy-share']);
const runs = Number(values.runs);
const jscodeshiftRuns = Number(values['jscodeshift-runs']);
const lintOnly = values['lint-only'];

function plainModule(i: number): string {
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

function legacyModule(i: number): string {
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

function commitAll(dir: string): void {
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-q', '-m', 'generated');
}

function generateRepository(dir: string): number {
  // A share of 0 gives no legacy file at all (and no legacy text anywhere in the tree).
  const legacyEvery = legacyShare > 0 ? Math.round(1 / legacyShare) : Number.POSITIVE_INFINITY;
  let legacy = 0;
  for (let i = 0; i < fileCount; i++) {
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

interface Timing {
  /** Wall clock, spawn to exit. */
  seconds: number;
  /** User + system CPU seconds of the process and its children (GNU time), when measurable. */
  cpuSeconds?: number;
  status: number | null;
  stderr: string;
}

// GNU time gives the CPU time of the whole process tree (worker threads and jscodeshift's child
// processes included), which a busy shared machine disturbs far less than the wall clock.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function timed(command: string, args: string[], cwd: string): Timing {
  const [file, fileArgs] = gnuTime ? [gnuTime, ['-f', '@cpu %U %S', command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawnSync(file, fileArgs, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, CI: 'true' } });
  const seconds = (performance.now() - started) / 1000;
  const cpu = /@cpu ([\d.]+) ([\d.]+)\s*$/.exec(child.stderr);
  return { seconds, status: child.status, stderr: child.stderr, ...(cpu ? { cpuSeconds: Number(cpu[1]) + Number(cpu[2]) } : {}) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function changedFiles(dir: string): number {
  const out = execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).length;
}

// 1. Build (the benchmark times the shipped JavaScript, as `npx rnn-migrate` runs it).
if (!values['no-build']) {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json')], {
      stdio: 'pipe',
    });
  } catch (error) {
    if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw error;
    console.warn('tsc reported type errors; timing the JavaScript it emitted anyway');
  }
}

const loadBefore = loadavg()[0]!.toFixed(1);

// 2. The repository, and a jscodeshift transform module that loads the same transform.
const work = mkdtempSync(join(tmpdir(), 'rnn-migrate-bench-'));
const base = join(work, 'base');
mkdirSync(base);
const legacyFiles = generateRepository(base);
const tiny = join(work, 'tiny');
mkdirSync(tiny);
writeFileSync(join(tiny, 'plain.ts'), plainModule(0));
commitAll(tiny);
const codemodsEntry = pathToFileURL(join(repoRoot, 'dist/codemods/index.js')).href;
// jscodeshift require()s its transform; ours is ESM, so a CommonJS shim imports it.
function transformShim(name: string, prefilter: boolean): string {
  const file = join(work, name);
  writeFileSync(
    file,
    `let codemods;\nmodule.exports = async function transform(file, api, options) {\n` +
      `  codemods ??= await import(${JSON.stringify(codemodsEntry)});\n` +
      (prefilter ? '  if (!codemods.mayUseLegacy(file.source)) return undefined;\n' : '') +
      `  return codemods.legacyToBlocked(file, api, options);\n};\n`,
  );
  return file;
}
const transformFile = transformShim('legacy-to-blocked.cjs', false);
const prefilteredTransformFile = transformShim('legacy-to-blocked-prefiltered.cjs', true);
const bin = join(repoRoot, 'bin/rnn-migrate.js');
const jscodeshiftBin = join(repoRoot, 'node_modules/jscodeshift/bin/jscodeshift.js');

function freshCopy(name: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(base, dir, { recursive: true });
  return dir;
}

interface Contender {
  name: string;
  /** Runs once; `attempt` names a fresh copy of the repository where it writes. */
  run(attempt: number): { timing: Timing; dir?: string };
  times: number;
  /** Files the run covers (the start-up row has one). */
  files?: number;
  wall: number[];
  cpu: number[];
  changed?: number;
}

const contenders: Contender[] = [
  {
    name: 'rnn-migrate --check (lint)',
    run: () => ({
      timing: timed(process.execPath, [bin, '--check', '--format', 'json', '-o', join(work, 'report.json'), '--no-progress', '.'], base),
    }),
  },
  {
    name: 'rnn-migrate --check, one file (start-up)',
    files: 1,
    run: () => ({ timing: timed(process.execPath, [bin, '--check', '--no-progress', '.'], tiny) }),
  },
  {
    name: 'rnn-migrate (rewrite)',
    run: (attempt: number) => {
      const dir = freshCopy(`ours-${attempt}`);
      return { timing: timed(process.execPath, [bin, '--no-progress', '.'], dir), dir };
    },
  },
  ...([
    ['jscodeshift runner (same transform)', transformFile, jscodeshiftRuns],
    ['jscodeshift runner (same transform, text prefilter)', prefilteredTransformFile, runs],
  ] as const).map(([name, transform, times]) => ({
    name,
    times,
    run: (attempt: number) => {
      const dir = freshCopy(`jscodeshift-${attempt}`);
      const args = [jscodeshiftBin, '-t', transform, '--extensions=ts', '--parser=ts', '--no-babel', '--silent', '.'];
      return { timing: timed(process.execPath, args, dir), dir };
    },
  })),
]
  .map((contender) => ({ times: runs, ...contender, wall: [], cpu: [] }))
  .filter((contender) => !lintOnly || contender.name.includes('--check'));

// Interleaved, so a change in the machine's load during the benchmark touches every contender.
for (let attempt = 0; attempt < Math.max(runs, jscodeshiftRuns); attempt++) {
  for (const contender of contenders) {
    if (attempt >= contender.times) continue;
    const { timing, dir } = contender.run(attempt);
    if (timing.status === null || timing.status > 1) throw new Error(`${contender.name} failed (${timing.status}):\n${timing.stderr}`);
    contender.wall.push(timing.seconds);
    if (timing.cpuSeconds !== undefined) contender.cpu.push(timing.cpuSeconds);
    if (dir !== undefined) {
      contender.changed = changedFiles(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const rows = contenders.map((contender) => ({
  name: contender.name,
  files: contender.files ?? fileCount,
  seconds: median(contender.wall),
  cpuSeconds: contender.cpu.length > 0 ? median(contender.cpu) : undefined,
  changed: contender.changed,
}));

const report = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8')) as { summary: { findings: number } };
const cpu = cpus();
console.log(
  `\nrnn-migrate CLI benchmark: ${fileCount.toLocaleString('en-US')} files, ${legacyFiles} using rnn-migrate/legacy ` +
    `(${report.summary.findings} lint findings); each run a process from spawn to exit, median of ${runs} runs ` +
    `(jscodeshift without the prefilter: ${jscodeshiftRuns}), interleaved`,
);
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
    `load average before/after ${loadBefore} / ${loadavg()[0]!.toFixed(1)}\n`,
);
console.log('| run | wall s | files/s | CPU s (user+sys) | files changed |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.seconds.toFixed(2)} | ${row.files === fileCount ? Math.round(fileCount / row.seconds).toLocaleString('en-US') : '–'} | ` +
      `${row.cpuSeconds?.toFixed(2) ?? '–'} | ${row.changed ?? '–'} |`,
  );
}
const [lint, startup, ours, theirs, theirsPrefiltered] = rows;
console.log(
  `\nlint ${Math.round(fileCount / lint!.seconds).toLocaleString('en-US')} files/s (target ≥ 2,000); ` +
    `start-up ${startup!.seconds.toFixed(2)} s`,
);
if (ours && theirs && theirsPrefiltered) {
  console.log(
    `rewrite ${(theirs.seconds / ours.seconds).toFixed(1)}× jscodeshift's runner, ` +
      `${(theirsPrefiltered.seconds / ours.seconds).toFixed(1)}× with the prefilter (target ≥ 1×)`,
  );
  for (const row of rows.slice(3)) {
    if (row.changed !== ours.changed) console.log(`note: rnn-migrate changed ${ours.changed} files, ${row.name} ${row.changed}`);
  }
}
rmSync(work, { recursive: true, force: true });
