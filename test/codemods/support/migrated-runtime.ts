/**
 * Migrated tfjs programs import 'rnn-migrate'; the tests point that import at the runtime's source
 * (cellFromBasicLSTMCell included). The path is relative to a folder two levels under the
 * repository root (fixtures/corpus/<folder>), where the tests write migrated programs.
 */
const RUNTIME_FOR_MIGRATED = '../../../src/index.js';

export function withTestRuntime(migrated: string): string {
  return migrated.replace(/from 'rnn-migrate'/g, `from '${RUNTIME_FOR_MIGRATED}'`);
}
