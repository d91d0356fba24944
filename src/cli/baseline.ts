// Gradual adoption, in the style of ESLint's bulk suppressions: the baseline file holds, per
// repository-relative file and per rule, how many findings are tolerated. A file/rule with more
// findings than its count reports all of them (which ones are new cannot be told apart); one with
// fewer leaves a stale entry that fails the run until --prune-baseline lowers it, so the counts
// only ever go down.
import { readFileSync } from 'node:fs';
import type { RuleId } from '../codemods/index.js';
import type { ReportedFinding } from './worker-pool/file-task.js';
import { writeFileInPlace } from './write.js';

export type BaselineCounts = Record<string, Partial<Record<RuleId, { count: number }>>>;

export class BaselineError extends Error {}

export interface StaleEntry {
  relPath: string;
  ruleId: RuleId;
  /** The count in the baseline. */
  baseline: number;
  /** What this run found. */
  actual: number;
}

export interface BaselineOutcome {
  /** The baseline file, as given. */
  file: string;
  /** Findings hidden by the baseline. */
  suppressed: number;
  stale: StaleEntry[];
  /** Set when the run wrote the file (--update-baseline or --prune-baseline). */
  written?: 'updated' | 'pruned';
}

/** Findings of the files this run judged, keyed by repository-relative path. */
export type FindingsByFile = ReadonlyMap<string, readonly ReportedFinding[]>;

function isCounts(value: unknown): value is BaselineCounts {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (byRule) =>
      typeof byRule === 'object' &&
      byRule !== null &&
      Object.values(byRule).every(
        (entry) => typeof entry === 'object' && entry !== null && Number.isInteger((entry as { count?: unknown }).count),
      ),
  );
}

/** Reads the baseline; a missing file is an empty baseline only when the run is about to write it. */
export function readBaseline(file: string, missingIsEmpty: boolean): BaselineCounts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (missingIsEmpty) return {};
    throw new BaselineError(`baseline file not found: ${file} (create it with --update-baseline)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BaselineError(`baseline file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (!isCounts(parsed)) {
    throw new BaselineError(`baseline file ${file} is not of the form {"file": {"rule-id": {"count": n}}}`);
  }
  return parsed;
}

function countByRule(findings: readonly ReportedFinding[]): Map<RuleId, number> {
  const counts = new Map<RuleId, number>();
  for (const finding of findings) counts.set(finding.ruleId, (counts.get(finding.ruleId) ?? 0) + 1);
  return counts;
}

/**
 * Splits the findings into those the baseline does not cover (returned per file) and those it
 * does, and lists the stale entries among the files this run judged (`judged`).
 */
export function applyBaseline(
  baseline: BaselineCounts,
  findings: FindingsByFile,
  judged: (relPath: string) => boolean,
): { reported: Map<string, ReportedFinding[]>; suppressed: number; stale: StaleEntry[] } {
  const reported = new Map<string, ReportedFinding[]>();
  const stale: StaleEntry[] = [];
  let suppressed = 0;
  for (const [relPath, fileFindings] of findings) {
    const counts = countByRule(fileFindings);
    const kept = fileFindings.filter((finding) => {
      const allowed = baseline[relPath]?.[finding.ruleId]?.count ?? 0;
      return (counts.get(finding.ruleId) ?? 0) > allowed;
    });
    suppressed += fileFindings.length - kept.length;
    if (kept.length > 0) reported.set(relPath, kept);
  }
  for (const [relPath, byRule] of Object.entries(baseline)) {
    if (!judged(relPath)) continue;
    const counts = countByRule(findings.get(relPath) ?? []);
    for (const [ruleId, entry] of Object.entries(byRule) as [RuleId, { count: number }][]) {
      const actual = counts.get(ruleId) ?? 0;
      if (actual < entry.count) stale.push({ relPath, ruleId, baseline: entry.count, actual });
    }
  }
  return { reported, suppressed, stale };
}

/** The baseline after --update-baseline: the judged files' entries become this run's counts. */
export function updatedBaseline(
  baseline: BaselineCounts,
  findings: FindingsByFile,
  judged: (relPath: string) => boolean,
): BaselineCounts {
  const next: BaselineCounts = {};
  for (const [relPath, byRule] of Object.entries(baseline)) if (!judged(relPath)) next[relPath] = byRule;
  for (const [relPath, fileFindings] of findings) {
    const counts = countByRule(fileFindings);
    if (counts.size === 0) continue;
    next[relPath] = Object.fromEntries([...counts].map(([ruleId, count]) => [ruleId, { count }]));
  }
  return next;
}

/** The baseline after --prune-baseline: counts only go down, entries at zero disappear. */
export function prunedBaseline(
  baseline: BaselineCounts,
  findings: FindingsByFile,
  judged: (relPath: string) => boolean,
): BaselineCounts {
  const next: BaselineCounts = {};
  for (const [relPath, byRule] of Object.entries(baseline)) {
    if (!judged(relPath)) {
      next[relPath] = byRule;
      continue;
    }
    const counts = countByRule(findings.get(relPath) ?? []);
    const kept: Partial<Record<RuleId, { count: number }>> = {};
    for (const [ruleId, entry] of Object.entries(byRule) as [RuleId, { count: number }][]) {
      const count = Math.min(entry.count, counts.get(ruleId) ?? 0);
      if (count > 0) kept[ruleId] = { count };
    }
    if (Object.keys(kept).length > 0) next[relPath] = kept;
  }
  return next;
}

/** Sorted keys, so the file diffs well in review. */
export function serializeBaseline(baseline: BaselineCounts): string {
  const sorted: BaselineCounts = {};
  for (const relPath of Object.keys(baseline).sort()) {
    const byRule = baseline[relPath] ?? {};
    sorted[relPath] = Object.fromEntries(
      (Object.keys(byRule) as RuleId[]).sort().map((ruleId) => [ruleId, { count: byRule[ruleId]?.count ?? 0 }]),
    );
  }
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

export async function writeBaseline(file: string, baseline: BaselineCounts): Promise<void> {
  writeFileInPlace(file, serializeBaseline(baseline));
}

/**
 * Lint mode with a baseline: reads it (a missing file is an error unless this run writes it),
 * updates or prunes it when asked, and returns the findings it does not cover.
 */
export async function judgeWithBaseline(
  file: string,
  findings: FindingsByFile,
  judged: (relPath: string) => boolean,
  write: 'update' | 'prune' | undefined,
): Promise<{ reported: Map<string, ReportedFinding[]>; outcome: BaselineOutcome }> {
  let counts = readBaseline(file, write === 'update');
  if (write !== undefined) {
    counts = write === 'update' ? updatedBaseline(counts, findings, judged) : prunedBaseline(counts, findings, judged);
    await writeBaseline(file, counts);
  }
  const { reported, suppressed, stale } = applyBaseline(counts, findings, judged);
  const written = write === 'update' ? 'updated' : write === 'prune' ? 'pruned' : undefined;
  return { reported, outcome: { file, suppressed, stale, ...(written ? { written } : {}) } };
}
