// Sentences shared by the reporters, so a finding, a stale baseline entry or a skip reads the
// same in every format.
import type { Finding } from '../../codemods/findings.js';
import { manualReasons } from '../../codemods/rules.js';
import type { StaleEntry } from '../baseline.js';
import { skipReasons } from '../discovery/skip.js';
import type { SkippedReport } from './types.js';

/** The finding's message and, for a manual site, its stable reason id and what it means. */
export function findingText(finding: Finding): string {
  if (finding.reason === undefined) return finding.message;
  const explanation = manualReasons[finding.reason];
  const message = finding.message.includes(explanation) ? finding.message : `${finding.message}: ${explanation}`;
  return `${message} [${finding.reason}]`;
}

export function staleText(entry: StaleEntry): string {
  return (
    `baseline allows ${entry.baseline} ${entry.ruleId} in this file but ${entry.actual} remain: ` +
    'run with --prune-baseline to lower it'
  );
}

export function skippedText(skipped: SkippedReport): string {
  const reason = skipReasons[skipped.reason];
  return skipped.detail === undefined ? reason : `${reason} (${skipped.detail})`;
}

export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
