/** A file the codemods cannot parse; carries the 1-based position of the syntax error. */
export class CodemodParseError extends Error {
  override readonly name = 'CodemodParseError';

  constructor(
    message: string,
    readonly filePath: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${filePath}:${line}:${column}: ${message}`);
  }
}
