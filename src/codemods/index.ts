/**
 * Programmatic API of the codemods: the CLI (rewrite and lint modes) and jscodeshift's own runner
 * both go through these functions and the transforms under ./transforms.
 */
import { analyzeFile } from './analysis/index.js';
import { migrateFile } from './transforms/legacy-to-blocked/index.js';
import { byPosition, type Finding } from './findings.js';
import { LEGACY_ENTRY, mayUseLegacy, mayUseTfjsCells } from './prefilter.js';
import { migrateTfjsCells } from './transforms/tfjs-cells-to-blocked/index.js';
import { analyzeTree, manualFinding, manualSites } from './analysis/index.js';

export { CodemodParseError } from './errors.js';
export { rules, manualReasons, type RuleId, type RuleMeta, type ManualReason } from './rules.js';
export type { Finding } from './findings.js';
export { dialectFor, parserFor } from './parser.js';
export { tfPackageOf } from './tf-package.js';
export { default as legacyToBlocked } from './transforms/legacy-to-blocked.js';
export { default as tfjsCellsToBlocked } from './transforms/tfjs-cells-to-blocked.js';

export interface MigrateOptions {
  /** Mark each site left for manual migration once with `// rnn-migrate(TODO:<reason>)`. */
  insertTodos?: boolean;
  /**
   * The tfjs package the project uses (see tfPackageOf): generated code that needs `tf` in a file
   * importing no tfjs package imports it from here. Default '@tensorflow/tfjs-core'.
   */
  tfPackage?: string;
}

export interface MigrateResult {
  /** The rewritten source; `=== source` when nothing changed. */
  output: string;
  changed: boolean;
  /** The sites left for manual migration (rule `manual-migration`), positioned in `output`. */
  findings: Finding[];
}

/** Cheap text prefilter: false means the file certainly has no legacy use. */
export { mayUseLegacy };

/** Lint: every legacy use in the file. Throws CodemodParseError on a syntax error. */
export function analyzeSource(source: string, filePath: string): Finding[] {
  if (!mayUseLegacy(source)) return [];
  return analyzeFile(source, filePath).sort(byPosition);
}

/** Rewrite: the migrated source and the sites left for manual migration. Throws CodemodParseError. */
export function migrateSource(source: string, filePath: string, options: MigrateOptions = {}): MigrateResult {
  if (!mayUseLegacy(source)) return { output: source, changed: false, findings: [] };
  // Code written against rnn-migrate/legacy first, then per-step code written against tfjs itself.
  const legacy = source.includes(LEGACY_ENTRY) ? migrateFile(source, filePath, options) : { output: source, findings: [] };
  const tfjs = mayUseTfjsCells(legacy.output) ? migrateTfjsCells(legacy.output, filePath, options) : { output: legacy.output, findings: [] };
  // Legacy sites left alone moved if the tfjs rewrite changed the lines above them: found again.
  const legacyFindings = tfjs.output === legacy.output || legacy.findings.length === 0 ? legacy.findings : manualSites(analyzeTree(tfjs.output, filePath).plan).map(manualFinding);
  // Each line keeps its own ending (the rewriter splices); a byte-order mark stays too.
  const output = source.startsWith('\uFEFF') && !tfjs.output.startsWith('\uFEFF') ? `\uFEFF${tfjs.output}` : tfjs.output;
  return { output, changed: output !== source, findings: [...legacyFindings, ...tfjs.findings].sort(byPosition) };
}
