/**
 * The test that matters most: every runnable program of the corpus (fixtures/corpus/*.ts|js,
 * each exporting `run(): Promise<number[]>`) runs as written against 'rnn-migrate/legacy', then
 * migrated by the codemod, with the same fixed weights and data; both must print the same
 * numbers (outputs, losses after optimizer steps, gradients) to 1e-5. A migrated program is run
 * from a temporary file beside the original so its imports resolve the same way.
 *
 * Each program runs twice (the second run continues from whatever state the first left: a
 * module-level Recur's state, a module-level carry), and neither run of the migrated program may
 * leave more tensors behind (tf.memory().numTensors) than the same run of the legacy one: a
 * migration must not make a program leak, e.g. by never disposing a replaced carry.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureChecker } from 'rnn-migrate/legacy';
// The legacy Recur releases a state replaced under a gradient tape once the tape is over, at its
// next step: flushed around each run, so no run is credited or charged with another's releases.
import { flushPendingReleases } from '../../src/legacy/state_lifetime.js';
import { analyzeSource, migrateSource } from 'rnn-migrate/codemods';

const corpusDir = join(import.meta.dirname, '../../fixtures/corpus');
const programs = readdirSync(corpusDir).filter((name) => /^[a-z0-9].*\.(ts|js|mjs)$/.test(name)).sort();
const temporaryFiles: string[] = [];
const tally = { migrated: 0, manual: 0, programs: 0, fullyMigrated: 0 };
const growths: string[] = [];

type Program = { run(): Promise<number[]> };

interface Run {
  numbers: number[];
  /** Tensors left behind by the run. */
  growth: number;
}

/** Runs a program twice in a row. */
async function runProgram(path: string): Promise<[Run, Run]> {
  const program = (await import(/* @vite-ignore */ pathToFileURL(path).href)) as Program;
  const once = async (): Promise<Run> => {
    flushPendingReleases();
    const before = tf.memory().numTensors;
    const numbers = await program.run();
    expect(numbers.length).toBeGreaterThan(0);
    flushPendingReleases();
    return { numbers, growth: tf.memory().numTensors - before };
  };
  const first = await once();
  return [first, await once()];
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, index) => {
    const tolerance = 1e-5 * Math.max(1, Math.abs(expected[index]!));
    if (!(Math.abs(value - expected[index]!) <= tolerance)) {
      throw new Error(`number ${index}: migrated ${value}, legacy ${expected[index]} (tolerance ${tolerance})`);
    }
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  configureChecker({ mode: 'off' }); // some programs are stale-state examples on purpose (TBPTT)
});

afterAll(() => {
  for (const file of temporaryFiles) rmSync(file, { force: true });
  const share = tally.migrated / Math.max(1, tally.migrated + tally.manual);
  console.log(
    `corpus: ${tally.programs} programs, ${tally.fullyMigrated} fully migrated; ` +
      `legacy sites migrated automatically: ${tally.migrated}/${tally.migrated + tally.manual} (${(100 * share).toFixed(1)}%)`,
  );
  console.log(`tensors left behind per run (first/second):\n  ${growths.join('\n  ')}`);
});

describe('executed equivalence over the corpus', () => {
  it('has at least 25 runnable legacy programs', () => expect(programs.length).toBeGreaterThanOrEqual(25));

  for (const name of programs) {
    it(name, async () => {
      const path = join(corpusDir, name);
      const source = readFileSync(path, 'utf8');
      const findings = analyzeSource(source, name);
      const sites = findings.filter((finding) => finding.ruleId === 'legacy-step-loop').length;
      const { output, changed, findings: manual } = migrateSource(source, name);
      expect(changed).toBe(true);
      tally.programs++;
      tally.migrated += sites;
      tally.manual += manual.length;
      if (!output.includes('rnn-migrate/legacy')) tally.fullyMigrated++;
      // Manual sites are declared by the program itself (`// expect-manual: <reason>` lines).
      const expectedManual = [...source.matchAll(/expect-manual: ([\w-]+)/g)].map((match) => match[1]);
      expect(manual.map((finding) => finding.reason)).toEqual(expectedManual);
      if (expectedManual.length === 0) expect(output).not.toContain('rnn-migrate/legacy');

      const migratedPath = join(corpusDir, `.migrated-${name}`);
      writeFileSync(migratedPath, output);
      temporaryFiles.push(migratedPath);
      const legacyRuns = await runProgram(path);
      const migratedRuns = await runProgram(migratedPath);
      legacyRuns.forEach((legacyRun, index) => {
        expectClose(migratedRuns[index]!.numbers, legacyRun.numbers);
        if (migratedRuns[index]!.growth > legacyRun.growth) {
          throw new Error(`run ${index + 1} leaves ${migratedRuns[index]!.growth} tensors migrated, ${legacyRun.growth} legacy`);
        }
      });
      growths.push(`${name}: ${legacyRuns.map((run) => run.growth).join('/')} legacy, ${migratedRuns.map((run) => run.growth).join('/')} migrated`);
      // And a second run changes nothing.
      expect(migrateSource(output, name).output).toBe(output);
    });
  }
});
