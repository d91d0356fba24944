/**
 * The tfjs corpus (fixtures/corpus/tfjs: per-step RNN code written against tfjs itself, in the
 * shapes of Magenta's and ml5's models and tf.layers streaming code), each program exporting
 * `run(): Promise<number[]>`, runs as written and migrated, twice in a row each: the numbers must
 * agree to 1e-5 and the migrated program may leave no more tensors behind than the original.
 * The sites each program expects to stay manual are declared in it (`// expect-manual: <reason>`,
 * in order); every other per-step site must have been rewritten, and a second rewrite changes
 * nothing. Migrated programs import 'rnn-migrate' through test support, which adds a stand-in
 * for the pinned importer cellFromBasicLSTMCell while the runtime lacks it.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeSource, migrateSource, type Finding } from 'rnn-migrate/codemods';
import { withTestRuntime } from './support/migrated-runtime.js';

const corpusDir = join(import.meta.dirname, '../../fixtures/corpus/tfjs');
const programs = readdirSync(corpusDir).filter((name) => /^[a-z0-9].*\.(ts|js)$/.test(name)).sort();
const temporaryFiles: string[] = [];
const tally = { sites: 0, rewritten: 0, programs: 0 };

/** The findings of sites the codemod rewrites (blocked calls, loops moved to cell.step, tf.layers state and cells). */
const REWRITTEN_RULES = new Set(['tfjs-cell-loop', 'tfjs-cell-step-loop', 'tfjs-stateful-layer', 'tfjs-layers-cell-step']);
const isRewritable = (finding: Finding): boolean => REWRITTEN_RULES.has(finding.ruleId);

interface Run {
  numbers: number[];
  growth: number;
}

async function runTwice(path: string): Promise<[Run, Run]> {
  const program = (await import(/* @vite-ignore */ pathToFileURL(path).href)) as { run(): Promise<number[]> };
  const once = async (): Promise<Run> => {
    const before = tf.memory().numTensors;
    const numbers = await program.run();
    expect(numbers.length).toBeGreaterThan(0);
    return { numbers, growth: tf.memory().numTensors - before };
  };
  const first = await once();
  return [first, await once()];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  for (const file of temporaryFiles) rmSync(file, { force: true });
  console.log(`tfjs corpus: ${tally.programs} programs; per-step sites rewritten automatically: ${tally.rewritten}/${tally.sites} (${((100 * tally.rewritten) / Math.max(1, tally.sites)).toFixed(1)}%)`);
});

describe('executed equivalence over the tfjs corpus', () => {
  it('has at least 20 runnable programs', () => expect(programs.length).toBeGreaterThanOrEqual(20));

  for (const name of programs) {
    it(name, async () => {
      const path = join(corpusDir, name);
      const source = readFileSync(path, 'utf8');
      const findings = analyzeSource(source, name);
      const rewritable = findings.filter(isRewritable).length;
      const { output, changed, findings: manual } = migrateSource(source, name);
      const expectedManual = [...source.matchAll(/expect-manual: ([\w-]+)/g)].map((match) => match[1]);
      expect(manual.map((finding) => finding.reason)).toEqual(expectedManual);
      expect(rewritable + manual.length).toBeGreaterThan(0); // every program has a per-step site
      expect(changed).toBe(rewritable > 0);
      expect(analyzeSource(output, name).filter(isRewritable)).toEqual([]);
      expect(migrateSource(output, name).output).toBe(output);
      tally.programs++;
      tally.sites += rewritable + manual.length;
      tally.rewritten += rewritable;

      const migratedPath = join(corpusDir, `.migrated-${name}`);
      writeFileSync(migratedPath, withTestRuntime(output));
      temporaryFiles.push(migratedPath);
      const original = await runTwice(path);
      const migrated = await runTwice(migratedPath);
      original.forEach((run, index) => {
        const other = migrated[index]!;
        expect(other.numbers.length).toBe(run.numbers.length);
        run.numbers.forEach((value, i) => {
          const tolerance = 1e-5 * Math.max(1, Math.abs(value));
          if (!(Math.abs(other.numbers[i]! - value) <= tolerance)) throw new Error(`run ${index + 1}, number ${i}: migrated ${other.numbers[i]}, original ${value}`);
        });
        if (other.growth > run.growth) throw new Error(`run ${index + 1} leaves ${other.growth} tensors migrated, ${run.growth} as written`);
      });
    });
  }
});
