/**
 * The plugin's shape as ESLint and its users see it: a rule per rule id of the codemods' table,
 * docs links to headings that exist in MIGRATION.md, the recommended flat config, the
 * `// rnn-migrate-ignore` opt-out, and an import graph that reaches the codemods and never tfjs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { rules as ruleTable } from 'rnn-migrate/codemods';
import plugin from 'rnn-migrate/eslint-plugin';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(heading!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  }
  return anchors;
}

describe('rnn-migrate/eslint-plugin', () => {
  it('has one rule per rule id of the codemods, each with a docs link to an existing MIGRATION.md heading', () => {
    expect(Object.keys(plugin.rules).sort()).toEqual(Object.keys(ruleTable).sort());
    for (const [id, rule] of Object.entries(plugin.rules)) {
      const url = new URL(rule.meta!.docs!.url!);
      expect(url.protocol).toBe('file:');
      const file = fileURLToPath(url);
      expect(file).toBe(join(repoRoot, 'MIGRATION.md'));
      expect(existsSync(file)).toBe(true);
      expect(headingAnchors(readFileSync(file, 'utf8')), `${id} → ${url.hash}`).toContain(url.hash.slice(1));
      expect(rule.meta!.docs!.description).toBe(ruleTable[id as keyof typeof ruleTable].description);
    }
  });

  it('fixes every kind but the manual sites', () => {
    const fixable = Object.entries(plugin.rules).filter(([, rule]) => rule.meta?.fixable === 'code').map(([id]) => id);
    expect(fixable.sort()).toEqual(Object.keys(ruleTable).filter((id) => id !== 'manual-migration').sort());
  });

  it('recommends every rule as an error, in a flat config array that registers the plugin', () => {
    expect(Array.isArray(plugin.configs.recommended)).toBe(true);
    const [config] = plugin.configs.recommended;
    expect(config?.plugins?.['rnn-migrate']).toBe(plugin);
    expect(config?.rules).toEqual(Object.fromEntries(Object.keys(ruleTable).map((id) => [`rnn-migrate/${id}`, 'error'])));
    expect(plugin.meta.version).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  it('respects // rnn-migrate-ignore', async () => {
    const eslint = new ESLint({
      cwd: repoRoot,
      overrideConfigFile: true,
      overrideConfig: [...plugin.configs.recommended, { files: ['**/*.ts'], languageOptions: { parser: tsParser } }],
    });
    const source = readFileSync(join(repoRoot, 'fixtures/codemods/legacy-to-blocked/ignore-comment.input.ts'), 'utf8');
    const loopLine = source.split('\n').findIndex((line) => line.includes('gru.step(')) + 1;
    const stepLoops = async (text: string) =>
      (await eslint.lintText(text, { filePath: join(repoRoot, 'model.ts') }))[0]!.messages.filter(
        (message) => message.ruleId === 'rnn-migrate/legacy-step-loop',
      );

    expect(await stepLoops(source)).toEqual([]);
    const withoutComment = source.replace(/^\s*\/\/ rnn-migrate-ignore\n/m, '');
    expect((await stepLoops(withoutComment)).map((message) => message.line)).toEqual([loopLine - 1]);
  });

  it('imports the codemods and nothing of tfjs (nor of the runtime, the legacy API or the CLI)', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (!specifier!.startsWith('.')) {
          bare.add(specifier!);
          continue;
        }
        const target = resolve(dirname(file), specifier!.replace(/\.js$/, '.ts'));
        visit(existsSync(target) ? target : `${target}.ts`);
      }
    };
    visit(join(repoRoot, 'src/eslint-plugin/index.ts'));
    const folders = new Set([...seen].map((file) => file.slice(join(repoRoot, 'src').length + 1).split('/')[0]));
    expect([...folders].sort()).toEqual(['codemods', 'eslint-plugin']);
    expect([...bare].filter((specifier) => specifier.startsWith('@tensorflow/'))).toEqual([]);
  });
});
