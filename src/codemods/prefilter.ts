// The cheap text test every file passes before the codemods are loaded. A file without any of
// these texts certainly has no legacy use, so the CLI never loads jscodeshift, recast or babel for
// a tree without them. This module imports nothing, so that importing it costs nothing.

/** The legacy entry point. */
export const LEGACY_ENTRY = 'rnn-migrate/legacy';

/** Texts that mark per-step RNN code written against tfjs itself (tfjs-cells analysis). */
export const tfjsCellMarkers: readonly string[] = ['basicLSTMCell', 'multiRNNCell', 'lstmCell', 'gruCell', 'simpleRNNCell', 'stateful', '.predict(', '.apply([', '.execute('];

/** Texts of which every file the analysis can report on contains at least one (ASCII only). */
export const legacyMarkers: readonly string[] = [LEGACY_ENTRY, ...tfjsCellMarkers];

/** False means the file certainly has no tfjs per-step RNN code. */
export function mayUseTfjsCells(source: string): boolean {
  return tfjsCellMarkers.some((marker) => source.includes(marker));
}

/** False means the file certainly has no legacy use. */
export function mayUseLegacy(source: string): boolean {
  return legacyMarkers.some((marker) => source.includes(marker));
}
