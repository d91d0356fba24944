import type { API, FileInfo, Options } from 'jscodeshift';
import { migrateFile } from './legacy-to-blocked/index.js';

/**
 * jscodeshift transform: rewrites loop-over-timesteps code written against 'rnn-migrate/legacy'
 * into blocked calls with explicit carries. Options: `insertTodos` (boolean), `tfPackage` (the
 * project's tfjs package, for files that import none).
 * Returns undefined when nothing changed (jscodeshift then reports the file as unmodified).
 */
export default function legacyToBlocked(file: FileInfo, _api: API, options: Options): string | undefined {
  const tfPackage = typeof options['tfPackage'] === 'string' ? options['tfPackage'] : undefined;
  const { output } = migrateFile(file.source, file.path, { insertTodos: Boolean(options['insertTodos']), tfPackage });
  return output === file.source ? undefined : output;
}
