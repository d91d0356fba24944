/**
 * Prints the rewritten tree by splicing into the original source: every statement the rewrite
 * left alone keeps its exact bytes (recast's whole-file print adds parentheses it thinks
 * necessary, `(await q()) || 'x'`, `(2.).toFixed`, and reflows a `return` around them), and only
 * the statements that changed, or are new, are printed (by recast, reusing what it can of their
 * own source). Each printed line takes the indentation and line ending of the line it replaces
 * or follows.
 */
import type { JSCodeshift } from 'jscodeshift';
import type { PrintStyle } from './emit.js';
import { offsetsOfTree, type OffsetOf } from './source-positions.js';

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The tree holds something splicing cannot place exactly: print the whole file instead. */
class Unsplicable extends Error {}

/** Bookkeeping a comparison with the original must ignore. */
const IGNORED = new Set(['loc', 'start', 'end', 'range', 'tokens', 'original', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'extra', 'errors']);

/** Lists of statements (class members count as statements here), by node type. */
const STATEMENT_LISTS: Record<string, string> = {
  Program: 'body',
  BlockStatement: 'body',
  StaticBlock: 'body',
  TSModuleBlock: 'body',
  SwitchCase: 'consequent',
  ClassBody: 'body',
};

/** Single-statement positions (`if (c) stmt;`), by node type. */
const STATEMENT_SLOTS: Record<string, string[]> = {
  IfStatement: ['consequent', 'alternate'],
  ForStatement: ['body'],
  ForInStatement: ['body'],
  ForOfStatement: ['body'],
  WhileStatement: ['body'],
  DoWhileStatement: ['body'],
  LabeledStatement: ['body'],
  WithStatement: ['body'],
};

const isNode = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/**
 * The rewritten file: `source` with each changed statement replaced by its printed form; or
 * undefined when the tree cannot be spliced exactly (the caller then prints the whole file).
 */
export function spliceChanges(j: JSCodeshift, source: string, file: any, style: PrintStyle): string | undefined {
  const offsetOf = offsetsOfTree(source, file);
  if (!offsetOf) return undefined;
  const splicer = new Splicer(j, source, offsetOf, style);
  try {
    if (!splicer.patch(file)) return undefined;
  } catch (error) {
    if (error instanceof Unsplicable) return undefined;
    throw error;
  }
  return splicer.apply();
}

class Splicer {
  private readonly edits: Edit[] = [];

  constructor(
    private readonly j: JSCodeshift,
    private readonly source: string,
    private readonly offsetOf: OffsetOf,
    private readonly style: PrintStyle,
  ) {}

  apply(): string {
    let output = this.source;
    let bound = Infinity;
    for (const edit of [...this.edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
      if (edit.end > bound) throw new Unsplicable('overlapping edits');
      output = output.slice(0, edit.start) + edit.text + output.slice(edit.end);
      bound = edit.start;
    }
    return output;
  }

  /** Records the edits that turn `node.original`'s text into `node`'s; false when `node` must be printed whole. */
  patch(node: any): boolean {
    const original = node.original;
    if (!isNode(original) || typeof original.start !== 'number' || original.type !== node.type) return false;
    if (!sameComments(node, original)) return false;
    const mark = this.edits.length;
    if (this.patchFields(node, original)) return true;
    this.edits.length = mark;
    return false;
  }

  private patchFields(node: any, original: any): boolean {
    const listKey = STATEMENT_LISTS[node.type];
    const slots = STATEMENT_SLOTS[node.type] ?? [];
    for (const key of new Set([...Object.keys(node), ...Object.keys(original)])) {
      if (IGNORED.has(key)) continue;
      const value = node[key];
      const before = original[key];
      // A field the parser left out, which ast-types filled in with its default (`importKind`, a RegExp's `value`).
      if (before === undefined && !isNode(value) && !Array.isArray(value)) continue;
      if (key === listKey && Array.isArray(value) && Array.isArray(before)) {
        if (!this.patchList(value, before)) return false;
      } else if (isNode(value) || isNode(before)) {
        if (!isNode(value) || !isNode(before) || value.original !== before) return false;
        if (slots.includes(key)) this.patchStatement(value);
        else if (!this.patch(value)) return false;
      } else if ((Array.isArray(value) || Array.isArray(before)) && !(isAbsent(value) && isAbsent(before))) {
        if (!Array.isArray(value) || !Array.isArray(before) || value.length !== before.length) return false;
        for (let index = 0; index < value.length; index++) {
          const element = value[index];
          if (!isNode(element) && !isNode(before[index])) {
            if (!sameValue(element, before[index])) return false;
          } else if (!isNode(element) || element.original !== before[index] || !this.patch(element)) {
            return false;
          }
        }
      } else if (key === 'name' && /^(JSX)?Identifier$/.test(node.type) && typeof value === 'string' && value !== before) {
        // A renamed identifier (`Recur` → `Recurrence`) is its own exact text.
        const start = this.offsetOf(original.start);
        this.edits.push({ start, end: start + String(before).length, text: value });
      } else if (!sameValue(value, before)) {
        return false;
      }
    }
    return true;
  }

  /** A statement the rewrite kept in place: patched inside, or printed whole over its old text. */
  private patchStatement(node: any): void {
    if (this.patch(node)) return;
    const { start, end } = this.extent(node.original);
    this.edits.push({ start, end, text: this.print(node, start) });
  }

  /** A statement list: kept statements patched, removed ones deleted, new ones printed in place. */
  private patchList(list: any[], before: any[]): boolean {
    const keptAt = list.map((node) => (isNode(node) && node.original ? before.indexOf(node.original) : -1));
    const kept = keptAt.filter((index) => index >= 0);
    if (kept.some((index, position) => position > 0 && index <= kept[position - 1]!)) return false; // reordered
    const placed = new Set<any>();
    let previous = -1;
    for (let position = 0; position < list.length; ) {
      if (keptAt[position]! >= 0) {
        previous = keptAt[position]!;
        this.patchStatement(list[position]);
        position++;
        continue;
      }
      const run: any[] = [];
      while (position < list.length && keptAt[position]! < 0) run.push(list[position++]);
      const next = position < list.length ? keptAt[position]! : before.length;
      const removed = before.slice(previous + 1, next);
      if (removed.length > 0) {
        // New statements take the place of the first one they replace.
        const { start, end } = this.extent(removed[0]);
        this.edits.push({ start, end, text: this.printRun(run, start) });
        placed.add(removed[0]);
      } else if (previous >= 0) {
        const { end } = this.extent(before[previous]);
        const anchor = this.extent(before[previous]).start;
        this.edits.push({ start: end, end, text: this.printRun(run, anchor, 'after') });
      } else if (next < before.length) {
        const { start } = this.extent(before[next]);
        this.edits.push({ start, end: start, text: this.printRun(run, start, 'before') });
      } else {
        return false; // an empty list given statements: no line to take a layout from
      }
    }
    const keptOriginals = new Set(kept.map((index) => before[index]));
    for (const node of before) if (!keptOriginals.has(node) && !placed.has(node)) this.deleteStatement(node);
    return true;
  }

  /** Removes a statement, with its line when it had the line to itself. */
  private deleteStatement(node: any): void {
    const { source } = this;
    let { start, end } = this.extent(node);
    const lineStart = source.lastIndexOf('\n', start - 1) + 1;
    const newline = source.indexOf('\n', end);
    const lineEnd = newline < 0 ? source.length : newline + 1;
    if (/^[ \t]*$/.test(source.slice(lineStart, start)) && /^[ \t]*\r?$/.test(source.slice(end, lineEnd).replace(/\n$/, ''))) {
      start = lineStart;
      end = lineEnd;
    }
    this.edits.push({ start, end, text: '' });
  }

  /** Statements printed one per line at the layout of the statement at `anchor`. */
  private printRun(run: any[], anchor: number, where?: 'after' | 'before'): string {
    const { indent, eol } = this.layoutAt(anchor);
    const printed = run.map((node) => this.print(node, anchor));
    if (where === 'after') return printed.map((text) => eol + indent + text).join('');
    if (where === 'before') return printed.map((text) => text + eol + indent).join('');
    return printed.join(eol + indent);
  }

  /** recast's print of one statement, its later lines indented as the line at `anchor` is. */
  private print(node: any, anchor: number): string {
    if (hasMultilineTemplate(node)) throw new Unsplicable('re-indenting would change a template literal');
    const { indent, eol } = this.layoutAt(anchor);
    // recast's reuse of a file's first line brings its byte-order mark along; the file keeps its own.
    const text = this.j(node).toSource({ ...this.style, lineTerminator: eol, useTabs: indent.startsWith('\t') }).replace(/^\uFEFF/, '');
    return text
      .split(eol)
      .map((line, index) => (index > 0 && line !== '' ? indent + line : line))
      .join(eol);
  }

  /** A statement's text in the file as written, its attached comments included. */
  private extent(node: any): { start: number; end: number } {
    let start = this.offsetOf(node.start);
    let end = this.offsetOf(node.end);
    for (const comment of node.comments ?? []) {
      if (typeof comment.start !== 'number') continue;
      start = Math.min(start, this.offsetOf(comment.start));
      end = Math.max(end, this.offsetOf(comment.end));
    }
    return { start, end };
  }

  /** The indentation of the line holding `offset`, and the line ending that closes it. */
  private layoutAt(offset: number): { indent: string; eol: string } {
    const { source } = this;
    const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
    const indent = /^[ \t]*/.exec(source.slice(lineStart, offset))![0];
    const newline = source.indexOf('\n', offset);
    const eol = newline > 0 && source[newline - 1] === '\r' ? '\r\n' : newline >= 0 ? '\n' : this.style.lineTerminator;
    return { indent, eol };
  }
}


const commentKey = (comment: any): string => `${comment.start}:${comment.end}:${Boolean(comment.leading)}:${Boolean(comment.trailing)}`;

function sameComments(node: any, original: any): boolean {
  const now: any[] = node.comments ?? [];
  const then: any[] = original.comments ?? [];
  return now.length === then.length && now.every((comment, index) => typeof comment.start === 'number' && commentKey(comment) === commentKey(then[index]));
}

/** recast's copy fills in defaults the parser left out (`optional: false`, `decorators: []`). */
const isAbsent = (value: unknown): boolean => value == null || value === false || (Array.isArray(value) && value.length === 0);

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (isAbsent(a) && isAbsent(b))) return true;
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((key) => !IGNORED.has(key)));
  return [...keys].every((key) => sameValue((a as any)[key], (b as any)[key]));
}

/** Whether a template literal with a line break sits in the subtree (its lines must not be re-indented). */
function hasMultilineTemplate(node: any): boolean {
  if (Array.isArray(node)) return node.some(hasMultilineTemplate);
  if (!isNode(node)) return false;
  if (node.type === 'TemplateElement') return /[\r\n]/.test(node.value?.raw ?? '');
  return Object.keys(node).some((key) => !IGNORED.has(key) && typeof node[key] === 'object' && hasMultilineTemplate(node[key]));
}
