/**
 * The test that matters most: every runnable program of the corpus (fixtures/corpus/*.ts|js,
 * each exporting `run(): Promise<number[]>`) runs as written against 'rnn-migrate/legacy', then
 * migrated by the codemod, with the same fixed weights and data; both must print the same
 * numbers (outputs, losses after optimizer steps, gradients) to 1e-5. A migrated program is run
 * from a temporary file beside the original so its imports resolve the same way.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureChecker } from 'rnn-migrate/legacy';
import { analyzeSource, migrateSource } from 'rnn-migrate/codemods';

const corpusDir = join(import.meta.dirname, '../../fixtures/corpus');
const programs = readdirSync(corpusDir).filter((name) => /^[a-z0-9].*\.(ts|js|mjs)$/.test(name)).sort();
const temporaryFiles: string[] = [];
const tally = { migrated: 0, manual: 0, programs: 0, fullyMigrated: 0 };

type Program = { run(): Promise<number[]> };

async function runProgram(path: string): Promise<number[]> {
  const program = (await import(/* @vite-ignore */ pathToFileURL(path).href)) as Program;
  const before = tf.memory().numTensors;
  const result = await program.run();
  expect(result.length).toBeGreaterThan(0);
  expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before); // ran to completion
  return result;
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
      const legacyNumbers = await runProgram(path);
      const migratedNumbers = await runProgram(migratedPath);
      expectClose(migratedNumbers, legacyNumbers);
      // And a second run changes nothing.
      expect(migrateSource(output, name).output).toBe(output);
    });
  }
});
