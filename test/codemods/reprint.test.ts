/**
 * Code outside the rewritten statements keeps its bytes: constructs recast's whole-file print
 * would change (`await q() || 'x'` → `(await q()) || 'x'`, `!await x`, `...await x`,
 * `2..toFixed` → `(2.).toFixed`, a reflowed multi-line return) sit next to a rewritten loop, and
 * every line the diff removes must be one of the legacy statements. Each line keeps its own ending.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { migrateSource } from 'rnn-migrate/codemods';

const fixture = join(import.meta.dirname, '../../fixtures/codemods/legacy-to-blocked/untouched-code-kept.input.ts');
const input = readFileSync(fixture, 'utf8');

/** The statements the rewrite replaces: the legacy import and construction, the reset, the step loop. */
const rewritten = [
  "import { LSTM } from 'rnn-migrate/legacy';",
  'const lstm = LSTM(4, 8);',
  'lstm.reset();',
  'for (const x of xs) {',
  'h = lstm.step(x);',
  '}',
];

function removedLines(before: string, after: string): string[] {
  return diffLines(before, after)
    .filter((part) => part.removed)
    .flatMap((part) => part.value.split(/\r?\n/).filter((line) => line !== ''))
    .map((line) => line.trim());
}

describe('reprinting only what changed', () => {
  it('keeps each construct recast would reformat, byte for byte', () => {
    const { output, changed } = migrateSource(input, 'untouched-code-kept.ts');
    expect(changed).toBe(true);
    for (const construct of ["await label() || 'x'", '!await ready', '[...await sizes]', '2..toFixed(1)', "    : {\n      name: await label() || name, all,\n      scale, h: h! };"]) {
      expect(input).toContain(construct);
      expect(output).toContain(construct);
    }
    expect(removedLines(input, output).every((line) => rewritten.includes(line))).toBe(true);
    expect(removedLines(input, output)).toEqual(rewritten);
  });

  it('keeps every line ending as it was when a file mixes CRLF and LF', () => {
    // Every third line ends in CRLF; the rest in LF.
    const mixed = input.split('\n').map((line, index, lines) => (index === lines.length - 1 ? line : `${line}${index % 3 === 0 ? '\r\n' : '\n'}`)).join('');
    const { output } = migrateSource(mixed, 'untouched-code-kept.ts');
    const endings = (text: string) => new Map(text.split(/(?<=\n)/).map((line) => [line.replace(/\r?\n$/, ''), line.endsWith('\r\n') ? 'crlf' : line.endsWith('\n') ? 'lf' : 'none']));
    const before = endings(mixed);
    const after = endings(output);
    let compared = 0;
    for (const [line, ending] of after) {
      if (!before.has(line) || line.trim() === '' || line.trim() === '}') continue;
      expect([line, ending]).toEqual([line, before.get(line)]);
      compared++;
    }
    expect(compared).toBeGreaterThan(12);
    expect(output).toMatch(/\r\n/);
    expect(output.replace(/\r\n/g, '')).toMatch(/\n/);
  });

  it('keeps a byte-order mark and tab indentation, the generated line indented with a tab', () => {
    const tabbed = `\uFEFF${input.replace(/^((?:  )+)/gm, (spaces) => '\t'.repeat(spaces.length / 2))}`;
    const { output } = migrateSource(tabbed, 'untouched-code-kept.ts');
    expect(output.startsWith('\uFEFFimport * as tf from')).toBe(true);
    expect(output).toContain('\n\th = tf.tidy(() => lstm.apply(tf.stack(xs, 1)).carry.h);\n');
    expect(removedLines(tabbed, output)).toEqual(rewritten);
  });

  it('keeps one byte-order mark when the first statement is rewritten', () => {
    const [tfImport, legacyImport, ...rest] = input.split('\n');
    const source = `\uFEFF${[legacyImport, tfImport, ...rest].join('\n')}`;
    const { output } = migrateSource(source, 'untouched-code-kept.ts');
    expect(output.startsWith(`\uFEFFimport { LSTM } from 'rnn-migrate';\n${tfImport}\n`)).toBe(true);
    expect(output.match(/\uFEFF/g)).toHaveLength(1);
  });
});
