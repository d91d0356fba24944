/**
 * Offsets into a file as written, from the offsets in its tree. recast hands the parser the
 * source with its line endings made uniform and leading tabs expanded to spaces, so a node's
 * `start`/`end` are offsets into that text (and recast clears some nodes' `loc`); they are mapped
 * back here line by line, through each line's own leading whitespace.
 */

/** recast's line split (lines.ts: lineTerminatorSeqExp). */
const LINE_TERMINATOR = /\r\n|\r(?!\n)|\n|\u2028|\u2029/g;

/** Maps an offset in recast's normalized text to the same place in `source`. */
export type OffsetOf = (normalizedOffset: number) => number;

/** recast's default tab width, with which it expanded leading tabs before parsing. */
const RECAST_TAB_WIDTH = 4;

/** The offset map of a tree recast parsed from `source` (undefined for a tree without recast's lines). */
export function offsetsOfTree(source: string, file: any): OffsetOf | undefined {
  const lines = file?.loc?.lines;
  if (!lines) return undefined;
  // The text recast gave the parser (recast/lib/parser.js), which node offsets point into.
  const normalized: string = lines.toString({ tabWidth: RECAST_TAB_WIDTH, reuseWhitespace: false, useTabs: false });
  return offsetsIn(source, normalized, RECAST_TAB_WIDTH);
}

const lineStarts = (text: string): number[] => [0, ...[...text.matchAll(LINE_TERMINATOR)].map((match) => match.index + match[0].length)];

/**
 * `normalized` is the text recast parsed (`file.loc.lines.toString(…)` with its parse options);
 * both texts have the same lines, differing only in terminators and leading whitespace.
 */
function offsetsIn(source: string, normalized: string, tabWidth: number): OffsetOf {
  const sourceLines = lineStarts(source);
  const normalizedLines = lineStarts(normalized);
  if (sourceLines.length !== normalizedLines.length) throw new Error('recast changed the number of lines');
  return (offset) => {
    let low = 0;
    let high = normalizedLines.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (normalizedLines[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    const column = offset - normalizedLines[low]!;
    const lineStart = sourceLines[low]!;
    const leading = /^\s*/.exec(source.slice(lineStart, sourceLines[low + 1] ?? source.length))![0].replace(/[\r\n\u2028\u2029]+$/, '');
    // Walk the leading whitespace as recast counted it (lines.ts: countSpaces); the rest is as written.
    let width = 0;
    for (let index = 0; index < leading.length; index++) {
      const next = nextColumn(width, leading.charCodeAt(index), tabWidth);
      if (width >= column && next > width) return lineStart + index; // zero-width characters (a BOM) stay before
      width = next;
    }
    return lineStart + leading.length + Math.max(0, column - width);
  };
}

/** recast's countSpaces for one character: tabs to the next stop, \r \v \f and BOM zero-width. */
function nextColumn(width: number, code: number, tabWidth: number): number {
  if (code === 9) {
    const stop = Math.ceil(width / tabWidth) * tabWidth;
    return stop === width ? width + tabWidth : stop;
  }
  if (code === 11 || code === 12 || code === 13 || code === 0xfeff) return width;
  return width + 1;
}
