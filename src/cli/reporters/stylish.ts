// The default human format, laid out like ESLint's stylish: one block per file, one aligned row
// per finding (line:column, severity, message, rule id), then the totals.
import type { ChalkInstance } from 'chalk';
import { findingText, plural, skippedText, staleText } from './messages.js';
import type { FileReport, LintReport, Reporter, ReporterContext } from './types.js';

interface Row {
  position: string;
  severity: 'warning' | 'error';
  message: string;
  ruleId: string;
}

function rowsOf(file: FileReport): Row[] {
  const rows: Row[] = [];
  if (file.error) {
    const position = file.error.line === undefined ? '0:0' : `${file.error.line}:${file.error.column ?? 0}`;
    rows.push({ position, severity: 'error', message: file.error.message, ruleId: '' });
  }
  for (const finding of file.findings) {
    rows.push({
      position: `${finding.line}:${finding.column}`,
      severity: 'warning',
      message: findingText(finding),
      ruleId: finding.ruleId,
    });
  }
  return rows;
}

export class StylishReporter implements Reporter {
  private readonly chalk: ChalkInstance;
  private readonly verbose: boolean;

  constructor(context: ReporterContext) {
    this.chalk = context.chalk;
    this.verbose = context.verbose;
  }

  render(report: LintReport): string {
    const { chalk } = this;
    const out: string[] = [];
    let errors = 0;
    let warnings = 0;
    for (const file of report.files) {
      const rows = rowsOf(file);
      if (rows.length === 0) continue;
      const positionWidth = Math.max(...rows.map((row) => row.position.length));
      const severityWidth = Math.max(...rows.map((row) => row.severity.length));
      out.push('', chalk.underline(file.displayPath));
      for (const row of rows) {
        if (row.severity === 'error') errors++;
        else warnings++;
        const severity = row.severity.padEnd(severityWidth);
        out.push(
          `  ${chalk.dim(row.position.padEnd(positionWidth))}  ${row.severity === 'error' ? chalk.red(severity) : chalk.yellow(severity)}  ` +
            `${row.message}  ${chalk.dim(row.ruleId)}`.trimEnd(),
        );
      }
    }
    for (const entry of report.baseline?.stale ?? []) {
      errors++;
      out.push('', chalk.underline(entry.relPath), `  ${chalk.red('error')}  ${staleText(entry)}  ${chalk.dim(entry.ruleId)}`);
    }
    if (this.verbose && report.skipped.length > 0) {
      out.push('', chalk.bold('Skipped:'));
      for (const skipped of report.skipped) out.push(`  ${skipped.displayPath}  ${chalk.dim(skippedText(skipped))}`);
    }
    const problems = errors + warnings;
    if (problems > 0) {
      const colour = errors > 0 ? chalk.red.bold : chalk.yellow.bold;
      out.push(
        '',
        colour(`✖ ${plural(problems, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})`),
      );
    }
    if (report.baseline && report.baseline.suppressed > 0) {
      out.push(chalk.dim(`  ${plural(report.baseline.suppressed, 'finding')} covered by the baseline ${report.baseline.file}`));
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}
