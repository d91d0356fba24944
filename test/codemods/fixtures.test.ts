/**
 * Fixture-driven tests of the transforms (legacy-to-blocked, tfjs-cells-to-blocked), in the style of next-codemod: every
 * `<case>.input.<ext>` under fixtures/codemods/<transform>/ is discovered, rewritten and compared
 * with `<case>.output.<ext>`; `no-transform-*` cases must come out unchanged; `manual-*` cases too,
 * every site reported for manual migration with a reason; `todo-*` cases run
 * with insertTodos. Every output must re-parse and come out unchanged when fed back in.
 * UPDATE_FIXTURES=1 rewrites the expected outputs.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jscodeshift from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import { analyzeSource, legacyToBlocked, migrateSource, parserFor, tfjsCellsToBlocked } from 'rnn-migrate/codemods';

const fixturesRoot = join(import.meta.dirname, '../../fixtures/codemods');
const transforms = readdirSync(fixturesRoot);
/** Each fixture folder's jscodeshift transform (migrateSource runs them all). */
const transformOf: Record<string, typeof legacyToBlocked> = { 'legacy-to-blocked': legacyToBlocked, 'tfjs-cells-to-blocked': tfjsCellsToBlocked };

for (const transform of transforms) {
  const dir = join(fixturesRoot, transform);
  const inputs = readdirSync(dir).filter((name) => /\.input\.\w+$/.test(name));

  describe(transform, () => {
    it('has fixtures', () => expect(inputs.length).toBeGreaterThan(0));

    for (const inputName of inputs) {
      const caseName = inputName.replace(/\.input\.\w+$/, '');
      const extension = inputName.slice(inputName.lastIndexOf('.'));
      const outputPath = join(dir, `${caseName}.output${extension}`);
      const filePath = `${caseName}${extension}`;
      const insertTodos = caseName.startsWith('todo-');

      it(caseName, () => {
        const input = readFileSync(join(dir, inputName), 'utf8');
        const { output, changed } = migrateSource(input, filePath, { insertTodos });
        if (caseName.startsWith('no-transform-')) {
          expect(changed).toBe(false);
          expect(output).toBe(input);
          expect(analyzeSource(input, filePath).filter((finding) => finding.ruleId !== 'legacy-import')).toEqual([]);
          return;
        }
        if (caseName.startsWith('manual-')) {
          // Unsafe variants: left byte for byte, every site reported with a reason.
          expect(changed).toBe(false);
          expect(output).toBe(input);
          const findings = analyzeSource(input, filePath);
          expect(findings.length).toBeGreaterThan(0);
          expect(findings.every((finding) => finding.ruleId === 'manual-migration' && finding.reason)).toBe(true);
          return;
        }
        if (process.env['UPDATE_FIXTURES'] || !existsSync(outputPath)) writeFileSync(outputPath, output);
        expect(output).toBe(readFileSync(outputPath, 'utf8'));
        // The output parses, and a second run changes nothing.
        expect(() => analyzeSource(output, filePath)).not.toThrow();
        expect(migrateSource(output, filePath, { insertTodos }).output).toBe(output);
        if (input.includes('\r\n')) expect(output.replace(/\r\n/g, '')).not.toContain('\n');
      });

      it(`${caseName} (jscodeshift's transform form gives the same output)`, () => {
        const input = readFileSync(join(dir, inputName), 'utf8');
        const j = jscodeshift.withParser(parserFor(filePath));
        const api = { j, jscodeshift: j, stats: () => {}, report: () => {} };
        const result = transformOf[transform]!({ path: filePath, source: input }, api as never, { insertTodos });
        expect(result ?? input).toBe(migrateSource(input, filePath, { insertTodos }).output);
      });
    }
  });
}
