// GitHub Actions workflow commands: each finding becomes an annotation on the pull request's
// diff, and summaryMarkdown() gives the table appended to $GITHUB_STEP_SUMMARY.
import { findingText, plural, staleText } from './messages.js';
import type { LintReport, Reporter } from './types.js';

/** Escaping of workflow command data (the message). */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping of workflow command properties (file, title). */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

interface Annotation {
  level: 'warning' | 'error';
  file: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  title: string;
  message: string;
}

function command(annotation: Annotation): string {
  const properties = [`file=${escapeProperty(annotation.file)}`];
  if (annotation.line !== undefined) properties.push(`line=${annotation.line}`);
  if (annotation.column !== undefined) properties.push(`col=${annotation.column}`);
  if (annotation.endLine !== undefined) properties.push(`endLine=${annotation.endLine}`);
  if (annotation.endColumn !== undefined) properties.push(`endColumn=${annotation.endColumn}`);
  properties.push(`title=${escapeProperty(annotation.title)}`);
  return `::${annotation.level} ${properties.join(',')}::${escapeData(annotation.message)}`;
}

export class GithubReporter implements Reporter {
  render(report: LintReport): string {
    const lines: string[] = [];
    for (const file of report.files) {
      if (file.error) {
        lines.push(
          command({
            level: 'error',
            file: file.relPath,
            line: file.error.line,
            column: file.error.column,
            title: 'rnn-migrate: file not processed',
            message: file.error.message,
          }),
        );
      }
      for (const finding of file.findings) {
        lines.push(
          command({
            level: 'warning',
            file: file.relPath,
            line: finding.line,
            column: finding.column,
            endLine: finding.endLine,
            endColumn: finding.endColumn,
            title: `rnn-migrate (${finding.ruleId})`,
            message: findingText(finding),
          }),
        );
      }
    }
    for (const entry of report.baseline?.stale ?? []) {
      lines.push(command({ level: 'error', file: entry.relPath, title: 'rnn-migrate: stale baseline entry', message: staleText(entry) }));
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  /** Markdown for the job summary page. */
  summaryMarkdown(report: LintReport): string {
    const { summary } = report;
    const byRule = new Map<string, number>();
    for (const file of report.files) {
      for (const finding of file.findings) byRule.set(finding.ruleId, (byRule.get(finding.ruleId) ?? 0) + 1);
    }
    const stale = report.baseline?.stale.length ?? 0;
    const clean = summary.findings === 0 && summary.errors === 0 && stale === 0;
    const shard = report.shard ? ` (shard ${report.shard.index}/${report.shard.count})` : '';
    const out = [
      `### rnn-migrate${summary.mode === 'rewrite' ? '' : ` --${summary.mode}`}${shard}: ` +
        (clean ? 'no legacy usage beyond the baseline' : plural(summary.findings, 'finding')),
      '',
      '| files | findings | covered by the baseline | stale baseline entries | skipped | not processed |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${summary.files} | ${summary.findings} | ${summary.suppressed} | ${stale} | ${summary.skipped} | ${summary.errors} |`,
    ];
    if (byRule.size > 0) {
      out.push('', '| rule | findings |', '| --- | ---: |');
      for (const [ruleId, count] of [...byRule].sort()) out.push(`| \`${ruleId}\` | ${count} |`);
    }
    return `${out.join('\n')}\n\n`;
  }
}
