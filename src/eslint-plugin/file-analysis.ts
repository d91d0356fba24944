// One analysis per linted file, shared by every rule of the plugin: ESLint runs each rule with the
// same SourceCode object, so the codemods parse the text once and rewrite it at most once.
import type { Rule, SourceCode } from 'eslint';
import { analyzeSource, CodemodParseError, migrateSource, parserFor, type Finding } from '../codemods/index.js';

/** The plugin's shared settings: `settings: { 'rnn-migrate': { insertTodos: true } }`. */
export interface PluginSettings {
  /** `eslint --fix` inserts the TODO comments of `rnn-migrate --insert-todos`. */
  insertTodos?: boolean;
}

export interface FileAnalysis {
  /** What `rnn-migrate --check` reports for the file, in position order. */
  findings: Finding[];
  /** Why the codemods could not process the file (its legacy use is then unchecked). */
  failure?: { message: string; line: number; column: number };
  /** The whole file as `rnn-migrate` rewrites it; undefined when the rewrite changes nothing. */
  rewritten(): string | undefined;
}

const analyses = new WeakMap<SourceCode, FileAnalysis>();

export function analysisOf(context: Rule.RuleContext): FileAnalysis {
  const { sourceCode } = context;
  let analysis = analyses.get(sourceCode);
  if (!analysis) {
    analysis = analyze(sourceCode.text, context.filename, settingsOf(context));
    analyses.set(sourceCode, analysis);
  }
  return analysis;
}

function settingsOf(context: Rule.RuleContext): PluginSettings {
  const settings = context.settings['rnn-migrate'];
  return typeof settings === 'object' && settings !== null ? (settings as PluginSettings) : {};
}

function analyze(text: string, filePath: string, settings: PluginSettings): FileAnalysis {
  let findings: Finding[];
  try {
    findings = analyzeSource(text, filePath);
  } catch (error) {
    return { findings: [], failure: failureOf(error), rewritten: () => undefined };
  }
  let rewritten: string | undefined | null = null;
  return {
    findings,
    rewritten() {
      rewritten ??= findings.length === 0 ? undefined : rewrite(text, filePath, settings);
      return rewritten;
    },
  };
}

/** What the CLI writes for the file: its rewrite (each line keeps its own ending), if it still parses. */
function rewrite(text: string, filePath: string, settings: PluginSettings): string | undefined {
  try {
    const { output, changed } = migrateSource(text, filePath, { insertTodos: settings.insertTodos === true });
    if (!changed) return undefined;
    parserFor(filePath).parse(output);
    return output;
  } catch {
    // The CLI leaves such a file untouched and says why; here the findings still report it.
    return undefined;
  }
}

function failureOf(error: unknown): NonNullable<FileAnalysis['failure']> {
  if (error instanceof CodemodParseError) {
    return { message: `syntax error: ${error.message.replace(/^.*?:\d+:\d+: /, '')}`, line: error.line, column: error.column };
  }
  return { message: `internal error: ${error instanceof Error ? error.message : String(error)}`, line: 1, column: 1 };
}
