// The one-line summary every run ends with, on stderr so stdout stays a clean report or diff.
import type { ChalkInstance } from 'chalk';
import { plural } from './reporters/messages.js';
import type { RunSummary } from './reporters/types.js';

function seconds(durationMs: number): string {
  return `${(durationMs / 1000).toFixed(durationMs < 10_000 ? 2 : 1)} s`;
}

export function summaryLine(summary: RunSummary, chalk: ChalkInstance): string {
  const errors = summary.errors > 0 ? chalk.red(plural(summary.errors, 'error')) : plural(summary.errors, 'error');
  const files = `${plural(summary.files, 'file')} in ${seconds(summary.durationMs)}`;
  if (summary.mode === 'check') {
    const findings = summary.findings > 0 ? chalk.yellow(plural(summary.findings, 'finding')) : chalk.green('no findings');
    const baseline = summary.suppressed > 0 ? ` (${summary.suppressed.toLocaleString('en-US')} covered by the baseline)` : '';
    return `rnn-migrate --check: ${findings}${baseline}, ${summary.skipped.toLocaleString('en-US')} skipped, ${errors} (${files})\n`;
  }
  const verb = summary.mode === 'rewrite' ? 'changed' : 'to change';
  const changed = summary.changed > 0 ? chalk.green(`${summary.changed.toLocaleString('en-US')} ${verb}`) : `0 ${verb}`;
  const manual =
    summary.manual > 0 ? chalk.yellow(`${summary.manual.toLocaleString('en-US')} manual`) : `${summary.manual} manual`;
  return (
    `rnn-migrate${summary.mode === 'rewrite' ? '' : ` --${summary.mode}`}: ${changed}, ` +
    `${summary.unchanged.toLocaleString('en-US')} unchanged, ${manual}, ` +
    `${summary.skipped.toLocaleString('en-US')} skipped, ${errors} (${files})\n`
  );
}
