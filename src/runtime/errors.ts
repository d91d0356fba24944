/**
 * The one error type of the runtime for inputs of the wrong shape. It carries what was expected
 * and what came as separate fields, so callers (the legacy shim, the codemod's checker, tests) can
 * match on them without parsing the message.
 */
export class RnnShapeError extends Error {
  override readonly name = 'RnnShapeError';
  /** What the callee expected, e.g. `[batch, time, features] (rank 3)`. */
  readonly expected: string;
  /** What it got, e.g. `shape [4, 3] (rank 2)`. */
  readonly got: string;

  constructor(context: string, expected: string, got: string, hint?: string) {
    super(`${context}: expected ${expected}, got ${got}.${hint ? ` ${hint}` : ''}`);
    this.expected = expected;
    this.got = got;
  }
}

/** `[2, 3, 4]` — shapes formatted the same way in every message. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
