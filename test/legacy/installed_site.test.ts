/**
 * The checker's site when rnn-migrate is installed under node_modules: the package's own frames
 * (node_modules/rnn-migrate/dist/...) are skipped and the user's plain-JS line is reported.
 * The installed copy is src/legacy and src/runtime transpiled file by file (what `npm run build`
 * emits, minus declarations), so the test needs no build step.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const installRoot = mkdtempSync(join(tmpdir(), 'rnn-migrate-installed-'));
afterAll(() => rmSync(installRoot, { recursive: true, force: true }));

function* typescriptFiles(directory: string): Generator<string> {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

function installPackageCopy(): void {
  const packageDir = join(installRoot, 'node_modules', 'rnn-migrate');
  for (const area of ['legacy', 'runtime']) {
    for (const source of typescriptFiles(join(repoRoot, 'src', area))) {
      const target = join(packageDir, 'dist', relative(join(repoRoot, 'src'), source)).replace(/\.ts$/, '.js');
      const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  writeFileSync(
    join(packageDir, 'package.json'),
    JSON.stringify({ name: 'rnn-migrate', type: 'module', exports: { './legacy': './dist/legacy/index.js' } }),
  );
  symlinkSync(join(repoRoot, 'node_modules', '@tensorflow'), join(installRoot, 'node_modules', '@tensorflow'), 'dir');
}

it('reports the user file:line:column, not a frame inside node_modules/rnn-migrate/dist', () => {
  installPackageCopy();
  const app = join(installRoot, 'app.mjs');
  writeFileSync(
    app,
    [
      "import * as tf from '@tensorflow/tfjs';",
      "import { LSTM, configureChecker } from 'rnn-migrate/legacy';",
      "configureChecker({ mode: 'warn', onWarning: (w) => console.log(JSON.stringify(w)) });",
      'const lstm = LSTM(2, 3);',
      'lstm.step(tf.ones([1, 2]));',
      'tf.grad((x) => lstm.step(x).sum())(tf.ones([1, 2]));', // line 6; V8 puts a method call's column at the method name: 'step' is column 21
    ].join('\n'),
  );
  const stdout = execFileSync(process.execPath, [app], { cwd: installRoot, encoding: 'utf8' });
  const warnings = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ code: 'stale-state', site: `${app}:6:21` });
});
