/**
 * Migrated tfjs programs import 'rnn-migrate'; the tests point that import at
 * runtime-with-importers.ts (the runtime plus a stand-in for cellFromBasicLSTMCell while the
 * runtime lacks it). The path is relative to a folder two levels under the repository root
 * (fixtures/corpus/<folder>), where the tests write migrated programs.
 */
const RUNTIME_FOR_MIGRATED = '../../../test/codemods/support/runtime-with-importers.js';

export function withTestRuntime(migrated: string): string {
  return migrated.replace(/from 'rnn-migrate'/g, `from '${RUNTIME_FOR_MIGRATED}'`);
}
