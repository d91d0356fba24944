import jscodeshift from 'jscodeshift';
import { findingAt, type Finding } from '../findings.js';
import { parserFor, withParseErrors } from '../parser.js';

export const LEGACY_ENTRY = 'rnn-migrate/legacy';

/** Lint findings for one file (provisional: imports only; the full analysis replaces this). */
export function analyzeFile(source: string, filePath: string): Finding[] {
  const j = jscodeshift.withParser(parserFor(filePath));
  const root = withParseErrors(filePath, () => j(source));
  const findings: Finding[] = [];
  root.find(j.ImportDeclaration, { source: { value: LEGACY_ENTRY } }).forEach((path) => {
    findings.push(findingAt(path.node, 'legacy-import', `Import from '${LEGACY_ENTRY}'.`));
  });
  return findings;
}
