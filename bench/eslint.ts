// npm run bench:eslint — ESLint with rnn-migrate/eslint-plugin beside `rnn-migrate --check`, on the
// repository bench:cli generates (5,000 TypeScript files, 5% of them using rnn-migrate/legacy).
// Each row is a child process from spawn to exit, over the same tree, median of --runs, interleaved:
//   rnn-migrate --check            the CLI's lint mode (its worker pool: cores − 1 threads)
//   eslint + plugin                node_modules/.bin/eslint, @typescript-eslint/parser, the plugin's
//                                  recommended config, one thread (ESLint's default)
//   eslint + plugin, --concurrency auto   the same on ESLint's worker threads
//   eslint, parser only            the same config without rules: what ESLint costs before any rule
// The plugin and the CLI run from dist/ (built first unless --no-build), as a user's install runs them.
// Options: --files N (default 5000), --legacy-share F (0.05), --runs N (3), --no-build.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPackage, generateRepository, median, repoRoot, timed } from './cli-harness.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '5000' },
    'legacy-share': { type: 'string', default: '0.05' },
    runs: { type: 'string', default: '3' },
    'no-build': { type: 'boolean', default: false },
  },
});
const fileCount = Number(values.files);
const runs = Number(values.runs);

if (!values['no-build']) buildPackage();
const loadBefore = loadavg()[0]!.toFixed(1);

const work = mkdtempSync(join(tmpdir(), 'rnn-migrate-bench-eslint-'));
const tree = join(work, 'repo');
mkdirSync(tree);
const legacyFiles = generateRepository(tree, { files: fileCount, legacyShare: Number(values['legacy-share']) });

const require = createRequire(import.meta.url);
const fileUrl = (path: string): string => JSON.stringify(pathToFileURL(path).href);
function flatConfig(withPlugin: boolean): string {
  return `import tsParser from ${fileUrl(require.resolve('@typescript-eslint/parser'))};
${withPlugin ? `import rnnMigrate from ${fileUrl(join(repoRoot, 'dist/eslint-plugin/index.js'))};\n` : ''}
export default [
  { ignores: ['*.config.mjs'] },
  ${withPlugin ? '...rnnMigrate.configs.recommended,' : ''}
  { files: ['**/*.ts'], languageOptions: { parser: tsParser } },
];
`;
}
// Outside the tree, so that neither the CLI nor ESLint walks them.
const pluginConfig = join(work, 'plugin.config.mjs');
const parserOnlyConfig = join(work, 'parser-only.config.mjs');
writeFileSync(pluginConfig, flatConfig(true));
writeFileSync(parserOnlyConfig, flatConfig(false));

const bin = join(repoRoot, 'bin/rnn-migrate.js');
const eslintBin = join(repoRoot, 'node_modules/eslint/bin/eslint.js');
const eslintArgs = (config: string, ...extra: string[]) => [eslintBin, '--config', config, '--format', 'json', ...extra, '.'];

interface Contender {
  name: string;
  args: string[];
  /** Reads the run's output: how many problems it reported. */
  count(stdout: string): number;
  wall: number[];
  cpu: number[];
  problems?: number;
}

const eslintProblems = (stdout: string): number =>
  (JSON.parse(stdout) as { messages: unknown[] }[]).reduce((sum, result) => sum + result.messages.length, 0);
const contenders: Contender[] = (
  [
    {
      name: 'rnn-migrate --check',
      args: [bin, '--check', '--format', 'json', '--no-progress', '.'],
      count: (stdout: string) => (JSON.parse(stdout) as { summary: { findings: number } }).summary.findings,
    },
    { name: 'eslint + rnn-migrate/eslint-plugin', args: eslintArgs(pluginConfig), count: eslintProblems },
    {
      name: 'eslint + rnn-migrate/eslint-plugin, --concurrency auto',
      args: eslintArgs(pluginConfig, '--concurrency', 'auto'),
      count: eslintProblems,
    },
    { name: 'eslint, parser only (no rules)', args: eslintArgs(parserOnlyConfig), count: eslintProblems },
  ] satisfies Omit<Contender, 'wall' | 'cpu'>[]
).map((contender) => ({ ...contender, wall: [], cpu: [] }));

// Interleaved, so a change in the machine's load during the benchmark touches every contender.
for (let attempt = 0; attempt < runs; attempt++) {
  for (const contender of contenders) {
    const timing = timed(process.execPath, contender.args, tree);
    if (timing.status === null || timing.status > 1) throw new Error(`${contender.name} failed (${timing.status}):\n${timing.stderr}`);
    contender.wall.push(timing.seconds);
    if (timing.cpuSeconds !== undefined) contender.cpu.push(timing.cpuSeconds);
    contender.problems = contender.count(timing.stdout);
  }
}

const cpu = cpus();
console.log(
  `\nrnn-migrate/eslint-plugin benchmark: ${fileCount.toLocaleString('en-US')} files, ${legacyFiles} using rnn-migrate/legacy; ` +
    `each run a process from spawn to exit, median of ${runs} runs, interleaved`,
);
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
    `ESLint ${JSON.parse(readFileSync(join(repoRoot, 'node_modules/eslint/package.json'), 'utf8')).version}, ` +
    `load average before/after ${loadBefore} / ${loadavg()[0]!.toFixed(1)}\n`,
);
console.log('| run | wall s | files/s | CPU s (user+sys) | problems reported |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const contender of contenders) {
  const seconds = median(contender.wall);
  const cpuSeconds = contender.cpu.length > 0 ? median(contender.cpu).toFixed(2) : '–';
  console.log(
    `| ${contender.name} | ${seconds.toFixed(2)} | ${Math.round(fileCount / seconds).toLocaleString('en-US')} | ${cpuSeconds} | ${contender.problems} |`,
  );
}
const [check, plugin] = contenders;
if (check!.problems !== plugin!.problems) {
  console.log(`\nnote: rnn-migrate --check reported ${check!.problems} findings, the plugin ${plugin!.problems} problems`);
}
rmSync(work, { recursive: true, force: true });
