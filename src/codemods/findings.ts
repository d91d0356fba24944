import type { ManualReason, RuleId } from './rules.js';

/**
 * One reported site. Positions are in the file as it is on disk after the command: the input in
 * lint mode (`analyzeSource`), the rewritten output in rewrite mode (`migrateSource`, where
 * rewritten loops and inserted TODO lines move the sites that were left alone).
 */
export interface Finding {
  ruleId: RuleId;
  message: string;
  /** For manual-migration: the stable reason id (see `manualReasons`). */
  reason?: ManualReason;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine?: number;
  endColumn?: number;
}

interface Located {
  loc?: { start: { line: number; column: number }; end: { line: number; column: number } } | null;
}

/** A finding positioned at a node (babel columns are 0-based; findings are 1-based). */
export function findingAt(node: Located, ruleId: RuleId, message: string, reason?: ManualReason): Finding {
  const loc = node.loc;
  const finding: Finding = {
    ruleId,
    message,
    line: loc?.start.line ?? 1,
    column: (loc?.start.column ?? 0) + 1,
  };
  if (reason) finding.reason = reason;
  if (loc) {
    finding.endLine = loc.end.line;
    finding.endColumn = loc.end.column + 1;
  }
  return finding;
}

export function byPosition(a: Finding, b: Finding): number {
  return a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId);
}
