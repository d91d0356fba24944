import type { API, FileInfo, Options } from 'jscodeshift';
import { migrateTfjsCells } from './tfjs-cells-to-blocked/index.js';

/**
 * jscodeshift transform: rewrites per-step RNN code written against tfjs itself (priming loops
 * over `tf.basicLSTMCell` / `tf.multiRNNCell`) into blocked calls with explicit carries.
 * Options: `insertTodos` (boolean), `tfPackage` (the project's tfjs package, for files that bind
 * no tfjs namespace). Returns undefined when nothing changed.
 */
export default function tfjsCellsToBlocked(file: FileInfo, _api: API, options: Options): string | undefined {
  const tfPackage = typeof options['tfPackage'] === 'string' ? options['tfPackage'] : undefined;
  const { output } = migrateTfjsCells(file.source, file.path, { insertTodos: Boolean(options['insertTodos']), tfPackage });
  return output === file.source ? undefined : output;
}
