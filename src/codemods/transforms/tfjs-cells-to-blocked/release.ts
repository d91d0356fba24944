/**
 * A stepping loop's imported cells are released in a `finally`: any step of the loop (the cell
 * step, the sampling around it, a `return` or `throw` in it) may leave it early, and the cells'
 * weights must not outlive it. The loop, with the edits already made inside it, moves into the
 * `try` block one indentation level deeper (the text of multi-line template literals unchanged).
 */
import type { Edit } from './layers-edits.js';

export interface LoopRelease {
  /** The loop's range in the source. */
  start: number;
  end: number;
  /** The statements before the loop (the cells' import), and the release. */
  before: string;
  release: string;
  indent: string;
  newline: string;
  /** One level of indentation as the file writes it. */
  unit: string;
  /** Ranges of the template literals in the loop: a line starting inside one is text, not indentation. */
  templates: Array<[number, number]>;
}

/** Takes the edits inside the loop out of `edits` and returns the one edit that replaces the loop. */
export function releaseInFinally(source: string, loop: LoopRelease, edits: Edit[]): Edit {
  const inside = edits.filter((edit) => edit.start >= loop.start && edit.end <= loop.end);
  for (const edit of inside) edits.splice(edits.indexOf(edit), 1);
  const { indent, newline, unit } = loop;
  // Indent the loop's lines, except those that start inside a template literal (their text), from
  // the last line to the first so that offsets stay valid; then the edits inside, also from the last.
  const marks: Edit[] = [];
  for (let at = source.indexOf('\n', loop.start); at >= 0 && at < loop.end; at = source.indexOf('\n', at + 1)) {
    const lineStart = at + 1;
    const insideText = loop.templates.some(([start, end]) => start < lineStart && lineStart < end);
    // A line an edit replaces gets its indentation from the edit's text (deeperEdit), not a mark.
    const replaced = inside.some((edit) => edit.start < lineStart && lineStart < edit.end);
    if (!insideText && !replaced) marks.push({ start: lineStart, end: lineStart, text: unit });
  }
  let body = source.slice(loop.start, loop.end);
  // An edit and an indentation at the same offset: the indentation goes first (before the edit's text).
  // Generated lines inside an edit go one level deeper too.
  const deeperEdit = (edit: Edit): Edit => ({ ...edit, text: edit.text.split(newline).join(`${newline}${unit}`) });
  const all = [...inside.map((edit) => ({ ...deeperEdit(edit), order: 1 })), ...marks.map((mark) => ({ ...mark, order: 0 }))];
  for (const edit of all.sort((x, y) => y.start - x.start || y.order - x.order)) {
    body = body.slice(0, edit.start - loop.start) + edit.text + body.slice(edit.end - loop.start);
  }
  return {
    start: loop.start,
    end: loop.end,
    text: [loop.before, 'try {', `${unit}${body}`, '} finally {', `${unit}${loop.release}`, '}'].join(`${newline}${indent}`),
  };
}
