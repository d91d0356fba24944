// Machine-readable report: one JSON document with the files that have findings or errors, the
// skipped paths with their reasons, the baseline's verdict and the counts. Paths are
// repository-relative. `version` changes only when a field changes meaning.
import type { LintReport, Reporter } from './types.js';

export class JsonReporter implements Reporter {
  render(report: LintReport): string {
    const document = {
      version: 1,
      tool: { name: 'rnn-migrate', version: report.toolVersion },
      ...(report.shard ? { shard: `${report.shard.index}/${report.shard.count}` } : {}),
      files: report.files.map((file) => ({
        path: file.relPath,
        findings: file.findings,
        ...(file.error ? { error: file.error } : {}),
      })),
      skipped: report.skipped.map((skipped) => ({
        path: skipped.relPath,
        reason: skipped.reason,
        ...(skipped.detail === undefined ? {} : { detail: skipped.detail }),
      })),
      ...(report.baseline
        ? {
            baseline: {
              file: report.baseline.file,
              suppressed: report.baseline.suppressed,
              stale: report.baseline.stale.map(({ relPath, ...entry }) => ({ path: relPath, ...entry })),
              ...(report.baseline.written ? { written: report.baseline.written } : {}),
            },
          }
        : {}),
      summary: report.summary,
    };
    return `${JSON.stringify(document, null, 2)}\n`;
  }
}
