// Reading a discovered file in this thread: skip what cannot or should not be parsed (too large,
// binary, not UTF-8, minified). A file skipped as too large or not UTF-8 that still mentions the legacy API is
// not let through in silence: the caller reports the mention as a finding.
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isBinaryFileSync } from 'isbinaryfile';
// The prefilter alone, not the codemods' index: importing that loads jscodeshift, recast and babel.
import { legacyMarkers } from '../codemods/prefilter.js';
import { looksMinified, type SkippedPath } from './discovery/skip.js';
import type { FileError } from './worker-pool/file-task.js';

/** Where a skipped file first mentions the legacy API. */
export interface LegacyMention {
  marker: string;
  /** 1-based. */
  line: number;
  /** 1-based, in characters of the line as decoded. */
  column: number;
  lineText: string;
}

export type ReadResult =
  | { source: string }
  | { skip: SkippedPath; mention?: LegacyMention }
  | { error: FileError };

const chunkBytes = 1 << 20;
/** Bytes of a long last line carried into the next chunk (its text and column come from them). */
const maxCarriedLine = 1 << 16;

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  return count;
}

/** The first legacy marker in `bytes` (ASCII: found alike in any ASCII-compatible encoding); `bytes` start on line `line`. */
function mentionIn(bytes: Buffer, line: number): LegacyMention | undefined {
  let index = -1;
  let marker = '';
  for (const candidate of legacyMarkers) {
    const at = bytes.indexOf(candidate, 0, 'latin1');
    if (at !== -1 && (index === -1 || at < index)) [index, marker] = [at, candidate];
  }
  if (index === -1) return undefined;
  const lineStart = bytes.lastIndexOf(10, index) + 1;
  const lineEnd = bytes.indexOf(10, index);
  return {
    marker,
    line: line + countNewlines(bytes.subarray(0, lineStart)),
    column: bytes.subarray(lineStart, index).toString('utf8').length + 1,
    lineText: bytes.subarray(lineStart, lineEnd === -1 ? bytes.length : lineEnd).toString('utf8').replace(/\r$/, ''),
  };
}

/** Streams a file too large to read whole, looking for a legacy marker, one split across two chunks included. */
export function findLegacyMention(path: string): LegacyMention | undefined {
  const overlap = Math.max(...legacyMarkers.map((marker) => marker.length)) - 1;
  const fd = openSync(path, 'r');
  try {
    let carried = Buffer.alloc(0);
    let line = 1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const read = readSync(fd, chunk, 0, chunkBytes, null);
      const bytes = Buffer.concat([carried, chunk.subarray(0, read)]);
      const mention = mentionIn(bytes, line);
      if (mention || read === 0) return mention;
      // Carry the last line (bounded), and always the bytes a split marker could start in.
      const keepFrom = Math.max(bytes.length - maxCarriedLine, Math.min(bytes.lastIndexOf(10) + 1, bytes.length - overlap), 0);
      line += countNewlines(bytes.subarray(0, keepFrom));
      carried = Buffer.from(bytes.subarray(keepFrom));
    }
  } finally {
    closeSync(fd);
  }
}

export function readSource(path: string, maxFileSize: number): ReadResult {
  try {
    const { size } = statSync(path);
    if (size > maxFileSize) {
      const detail = `${size.toLocaleString('en-US')} bytes > ${maxFileSize.toLocaleString('en-US')}`;
      const mention = findLegacyMention(path);
      return { skip: { path, reason: 'too-large', detail }, ...(mention ? { mention } : {}) };
    }
    const bytes = readFileSync(path);
    if (isBinaryFileSync(bytes, bytes.length)) return { skip: { path, reason: 'binary' } };
    if (!isUtf8(bytes)) {
      const mention = mentionIn(bytes, 1);
      return { skip: { path, reason: 'not-utf8' }, ...(mention ? { mention } : {}) };
    }
    const source = bytes.toString('utf8');
    if (looksMinified(source)) return { skip: { path, reason: 'minified', detail: 'long lines' } };
    return { source };
  } catch (error) {
    return { error: { message: `cannot read: ${(error as Error).message}` } };
  }
}
