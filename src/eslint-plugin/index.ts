/**
 * rnn-migrate/eslint-plugin: what `rnn-migrate --check` reports, as ESLint 9 flat-config rules
 * (`rnn-migrate/<rule id>`), at the same lines and columns; `eslint --fix` leaves a file exactly as
 * `rnn-migrate` rewrites it. The codemods' own analysis re-parses the text, so ESLint's parser
 * (espree, @typescript-eslint/parser) only has to accept the file.
 *
 *   import rnnMigrate from 'rnn-migrate/eslint-plugin';
 *   export default [...rnnMigrate.configs.recommended];
 */
import { readFileSync } from 'node:fs';
import type { Linter, Rule } from 'eslint';
import type { RuleId } from '../codemods/index.js';
import { rules } from './rules.js';

export type { PluginSettings } from './file-analysis.js';

export interface RnnMigratePlugin {
  meta: { name: string; version: string };
  rules: Record<RuleId, Rule.RuleModule>;
  configs: {
    /** Every rule as an error, so that `eslint` exits 1 on legacy use (and bulk suppressions apply). */
    recommended: Linter.Config[];
  };
}

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const plugin: RnnMigratePlugin = {
  meta: { name: 'rnn-migrate/eslint-plugin', version: manifest.version },
  rules,
  configs: { recommended: [] },
};

plugin.configs.recommended.push({
  name: 'rnn-migrate/recommended',
  plugins: { 'rnn-migrate': plugin },
  rules: Object.fromEntries(Object.keys(rules).map((id) => [`rnn-migrate/${id}`, 'error' as const])),
});

export default plugin;
