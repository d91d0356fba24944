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
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPackage, commitAll, generateRepository, median, plainModule, repoRoot, timed, type Timing } from './cli-harness.js';


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

function changedFiles(dir: string): number {
  const out = execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).length;
}

// 1. Build (the benchmark times the shipped JavaScript, as `npx rnn-migrate` runs it).
if (!values['no-build']) buildPackage();

const loadBefore = loadavg()[0]!.toFixed(1);

// 2. The repository, and a jscodeshift transform module that loads the same transform.
const work = mkdtempSync(join(tmpdir(), 'rnn-migrate-bench-'));
const base = join(work, 'base');
mkdirSync(base);
const legacyFiles = generateRepository(base, { files: fileCount, legacyShare });
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
