// The work on one file, the same in this thread and in a worker: lint it or migrate it, make sure
// a rewritten file still parses, and give each finding a fingerprint
// that survives edits elsewhere in the file.
import { createHash } from 'node:crypto';
import type * as Codemods from '../../codemods/index.js';
import type { Finding } from '../../codemods/index.js';

export type CodemodsApi = Pick<typeof Codemods, 'analyzeSource' | 'migrateSource' | 'parserFor' | 'CodemodParseError'>;

export interface FileTask {
  /** Absolute path. */
  path: string;
  /** Repository-relative, '/'-separated: what reports and fingerprints name. */
  relPath: string;
  source: string;
  mode: 'check' | 'migrate';
  insertTodos: boolean;
  /** The project's tfjs package, for a generated `tf` import (migrate mode). */
  tfPackage?: string;
}

export interface ReportedFinding extends Finding {
  /** Stable across edits elsewhere in the file: rule, path, the site's line text, occurrence. */
  fingerprint: string;
}

export interface FileError {
  message: string;
  line?: number;
  column?: number;
}

export interface FileOutcome {
  /** Lint mode: every legacy use. Migrate mode: the sites left for manual migration, positioned in the output. */
  findings: ReportedFinding[];
  /** Migrate mode: the rewritten source, present only when it differs. */
  output?: string;
  error?: FileError;
}

export function fingerprintFindings(relPath: string, source: string, findings: Finding[]): ReportedFinding[] {
  if (findings.length === 0) return [];
  const lines = source.split(/\r?\n/);
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const lineText = (lines[finding.line - 1] ?? '').trim().replace(/\s+/g, ' ');
    const key = `${finding.ruleId}\0${lineText}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    const fingerprint = createHash('sha256')
      .update(`${relPath}\0${key}\0${occurrence}`)
      .digest('hex')
      .slice(0, 32);
    return { ...finding, fingerprint };
  });
}

function errorOf(error: unknown, codemods: CodemodsApi): FileError {
  if (error instanceof codemods.CodemodParseError) {
    const message = error.message.replace(/^.*?:\d+:\d+: /, '');
    return { message: `syntax error: ${message}`, line: error.line, column: error.column };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${message}` };
}

export function processSource(task: FileTask, codemods: CodemodsApi): FileOutcome {
  const { source, relPath } = task;
  try {
    if (task.mode === 'check') {
      return { findings: fingerprintFindings(relPath, source, codemods.analyzeSource(source, relPath)) };
    }
    const migrated = codemods.migrateSource(source, relPath, { insertTodos: task.insertTodos, tfPackage: task.tfPackage });
    // Rewrite-mode findings are positioned in the output: the file as it will be on disk.
    const findings = fingerprintFindings(relPath, migrated.output, migrated.findings);
    if (!migrated.changed) return { findings };
    const output = migrated.output;
    try {
      codemods.parserFor(relPath).parse(output);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        findings,
        error: { message: `the rewritten file would not parse (${reason}); left untouched` },
      };
    }
    return { findings, output };
  } catch (error) {
    return { findings: [], error: errorOf(error, codemods) };
  }
}
