// The reporters of lint mode, keyed by their --format name. The map's type makes adding a format
// without a reporter (or the reverse) a compile error.
import type { ReportFormat } from '../run-options.js';
import { GithubReporter } from './github.js';
import { JsonReporter } from './json.js';
import { SarifReporter } from './sarif.js';
import { StylishReporter } from './stylish.js';
import type { ReporterClass } from './types.js';

export const reporters: Readonly<Record<ReportFormat, ReporterClass>> = {
  stylish: StylishReporter,
  json: JsonReporter,
  sarif: SarifReporter,
  github: GithubReporter,
};

export { GithubReporter, JsonReporter, SarifReporter, StylishReporter };
export type { FileReport, LintReport, Reporter, ReporterContext, RunSummary, SkippedReport } from './types.js';
