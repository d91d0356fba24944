import type { Finding } from '../../findings.js';
import { analyzeFile } from '../../analysis/index.js';

/** Provisional: analyses only; the rewrite lands next. */
export function migrateFile(source: string, filePath: string, _options: { insertTodos?: boolean }): { output: string; findings: Finding[] } {
  analyzeFile(source, filePath);
  return { output: source, findings: [] };
}
