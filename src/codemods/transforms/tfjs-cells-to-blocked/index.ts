/**
 * The rewrite of per-step RNN code written against tfjs itself: priming loops over a known input
 * stepping `tf.basicLSTMCell` / `tf.multiRNNCell` become one blocked call per layer (priming.ts);
 * loops stepping them among other work (sampling) move the step to `cell.step` (stepping.ts).
 * The code is edited as text (the rest of the file stays byte for byte); every other site the
 * analysis finds (single streaming steps, tf.layers cells, stateful layers, the
 * unsafe shapes) is left as it was and reported with its reason.
 */
import { analyzeTree, tfjsManualFindings, tfjsManualSites, type FileAnalysis } from '../../analysis/index.js';
import { collectNames, freshName } from '../../analysis/ast.js';
import type { Finding } from '../../findings.js';
import { dialectFor } from '../../parser.js';
import { DEFAULT_TF_PACKAGE } from '../legacy-to-blocked/imports.js';
import { offsetsOfTree, type OffsetOf } from '../legacy-to-blocked/source-positions.js';
import { insertTodoLines } from '../legacy-to-blocked/todos.js';
import { primingCall, type PrimingNames } from './priming.js';
import { steppingCode } from './stepping.js';
import { layersEdits, type Edit } from './layers-edits.js';
import { releaseInFinally, type LoopRelease } from './release.js';

export interface MigrateTfjsOptions {
  insertTodos?: boolean;
  /** The project's tfjs package, for a tf import in a file that binds no tfjs namespace. */
  tfPackage?: string;
}

const RUNTIME_ENTRY = 'rnn-migrate';

export function migrateTfjsCells(source: string, filePath: string, options: MigrateTfjsOptions = {}): { output: string; findings: Finding[] } {
  let analysis = analyzeTree(source, filePath);
  let output = source;
  const manual = tfjsManualSites(analysis.tfjs);
  if (options.insertTodos && manual.length > 0) {
    const offsetOf = offsetsOfTree(source, analysis.root.get().node);
    if (offsetOf) output = insertTodoLines(source, manual, offsetOf);
    if (output !== source) analysis = analyzeTree(output, filePath);
  }
  const rewritten = rewriteLoops(output, filePath, analysis, options.tfPackage);
  if (rewritten !== output) {
    output = rewritten;
    analysis = analyzeTree(output, filePath);
  }
  return { output, findings: tfjsManualFindings(analysis.tfjs) };
}



function rewriteLoops(source: string, filePath: string, analysis: FileAnalysis, tfPackage: string | undefined): string {
  const taken = collectNames(analysis.root.get().node);
  const layers = layersEdits(source, filePath, analysis, taken);
  const sites = analysis.tfjs.sites.filter((site) => !site.ignored && !site.manual && (site.priming || site.stepping));
  if (sites.length === 0 && !layers) return source;
  const offsetOf = offsetsOfTree(source, analysis.root.get().node);
  if (!offsetOf) return source;
  const namespace = analysis.tfjs.namespaces[0];
  // Each generated block is its own scope: one fresh name per base serves every block.
  const generated = new Map<string, string>();
  const names: PrimingNames = {
    tf: namespace ?? freshName('tf', taken),
    Recurrence: freshName('Recurrence', taken),
    cellFromBasicLSTMCell: freshName('cellFromBasicLSTMCell', taken),
    fresh: (base) => generated.get(base) ?? generated.set(base, freshName(base, taken)).get(base)!,
  };
  const typed = dialectFor(filePath) !== 'js';
  const text = (node: any): string => source.slice(offsetOf(node.start), offsetOf(node.end));
  const edits: Edit[] = layers ? layers.edits(offsetOf, layoutAt) : [];
  const releases: LoopRelease[] = [];
  for (const site of sites) {
    const loopNode = site.path.node;
    const layout = layoutAt(source, offsetOf, loopNode);
    if (site.priming) {
      edits.push({ start: layout.start, end: offsetOf(loopNode.end), text: layout.lines(primingCall(site.priming, text, names, typed)) });
      continue;
    }
    // A stepping loop: the cells before it (a name of its own: it shares the loop's scope), the step in place, the release after.
    const stepping = site.stepping!;
    const cellName = freshName(stepping.stacked ? 'lstmCells' : 'lstmCell', taken);
    const statementLayout = layoutAt(source, offsetOf, stepping.statement);
    const statementEnd = offsetOf((stepping.statement as any).end);
    // After a statement that did not end in `;`, a line starting with `(` would continue it.
    const continues = !['', ';', '{', '}'].includes(source.slice(0, statementLayout.start).trimEnd().slice(-1));
    const code = steppingCode(stepping, text, names, cellName, typed, continues);
    edits.push({ start: statementLayout.start, end: statementEnd, text: statementLayout.lines(code.step) });
    const templates = analysis.j(loopNode).find(analysis.j.TemplateLiteral).nodes().map((node: any): [number, number] => [offsetOf(node.start), offsetOf(node.end)]);
    releases.push({ start: layout.start, end: offsetOf(loopNode.end), before: code.before, release: code.after, indent: layout.indent, newline: layout.newline, unit: layout.lines(['  ']), templates });
  }
  // After every edit inside the loops is known: each stepping loop moves into its try block.
  edits.push(...releases.map((release) => releaseInFinally(source, release, edits)));
  let output = source;
  // From the last edit to the first, so earlier offsets stay valid.
  for (const edit of edits.sort((x, y) => y.start - x.start || y.end - x.end)) output = output.slice(0, edit.start) + edit.text + output.slice(edit.end);
  const runtimeNames = [
    ...(sites.some((site) => site.priming) ? [importName('Recurrence', names.Recurrence)] : []),
    ...(sites.length > 0 ? [importName('cellFromBasicLSTMCell', names.cellFromBasicLSTMCell)] : []),
    ...(layers?.runtimeNames ?? []),
  ];
  const tfPackageName = analysis.tf.packageName ?? tfPackage ?? DEFAULT_TF_PACKAGE;
  const imports = [
    importLine(analysis, `{ ${runtimeNames.join(', ')} }`, RUNTIME_ENTRY),
    ...(namespace || !sites.some((site) => site.priming) ? [] : [importLine(analysis, `* as ${names.tf}`, tfPackageName)]),
    ...(layers?.coreImport ? [importLine(analysis, `* as ${layers.coreImport}`, tfPackageName)] : []),
  ];
  return insertImports(output, offsetOf, analysis, imports);
}

/** Where a statement starts, its line's indentation and ending, and generated lines laid out to match. */
function layoutAt(source: string, offsetOf: OffsetOf, node: any): { start: number; indent: string; newline: string; lines(code: string[]): string } {
  const start = offsetOf(node.start);
  const lineStart = source.lastIndexOf('\n', start - 1) + 1;
  const indent = /^[ \t]*/.exec(source.slice(lineStart, start))![0];
  const newline = lineEndingAt(source, start);
  const body = node.body?.type === 'BlockStatement' ? node.body.body[0] : node.body;
  const unit = body ? indentUnit(source, offsetOf(body.start), indent) : indent.includes('\t') ? '\t' : '  ';
  const lines = (code: string[]): string => code.map((line) => line.replace(/^(?: {2})+/, (spaces) => unit.repeat(spaces.length / 2))).join(`${newline}${indent}`);
  return { start, indent, newline, lines };
}

const importName = (exported: string, local: string): string => (exported === local ? exported : `${exported} as ${local}`);

/** An import in the file's own module style (a require for a CommonJS file without imports) and quotes. */
function importLine(analysis: FileAnalysis, what: string, from: string): string {
  const usesImports = analysis.root.get().node.program.body.some((node: any) => node.type === 'ImportDeclaration');
  if (usesImports || !/require\(/.test(analysis.root.toSource())) return `import ${what} from '${from}';`;
  const binding = what.startsWith('* as ') ? what.slice(5) : what.replace(/ as /g, ': ');
  return `const ${binding} = require('${from}');`;
}

/** One level of indentation as the file writes it: the loop body's step in, else a tab or two spaces. */
function indentUnit(source: string, bodyStart: number, indent: string): string {
  const bodyIndent = /^[ \t]*/.exec(source.slice(source.lastIndexOf('\n', bodyStart - 1) + 1, bodyStart))![0];
  if (bodyIndent.startsWith(indent) && bodyIndent.length > indent.length) return bodyIndent.slice(indent.length);
  return indent.includes('\t') ? '\t' : '  ';
}

/** After the last import (or at the top), each line ending as the file's lines there do. */
function insertImports(source: string, offsetOf: OffsetOf, analysis: FileAnalysis, lines: string[]): string {
  const body = analysis.root.get().node.program.body;
  const lastImport = [...body].reverse().find((node: any) => node.type === 'ImportDeclaration' || isRequireDeclaration(node));
  const at = lastImport ? offsetOf(lastImport.end) : 0;
  const newline = lineEndingAt(source, at);
  const quote = /(?:from|require\()\s*"/.test(source) && !/(?:from|require\()\s*'/.test(source) ? '"' : "'";
  const text = lines.map((line) => line.replace(/'/g, quote)).join(newline);
  return lastImport ? `${source.slice(0, at)}${newline}${text}${source.slice(at)}` : `${text}${newline}${source}`;
}

const isRequireDeclaration = (node: any): boolean =>
  node.type === 'VariableDeclaration' && node.declarations.some((declarator: any) => declarator.init?.type === 'CallExpression' && declarator.init.callee.name === 'require');

function lineEndingAt(source: string, offset: number): string {
  const newline = source.indexOf('\n', offset);
  return newline > 0 && source[newline - 1] === '\r' ? '\r\n' : '\n';
}
