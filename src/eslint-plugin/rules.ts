// The plugin's rules, built from the codemods' one table of rule ids (src/codemods/rules.ts): a
// finding kind added there becomes a rule here without a second list.
import type { AST, Rule } from 'eslint';
import { manualReasons, rules as ruleTable, type Finding, type ManualReason, type RuleId } from '../codemods/index.js';
import { analysisOf } from './file-analysis.js';

/** The rule whose sites the codemod leaves as they are: reported without a fix, one message per reason. */
const MANUAL_RULE: RuleId = 'manual-migration';

/** `meta.docs.url`: the rule's anchor in the MIGRATION.md beside dist/ (and beside src/). */
export const docsUrl = (id: RuleId): string => new URL(`../../${ruleTable[id].docs}`, import.meta.url).href;

const reasonIds = Object.keys(manualReasons) as ManualReason[];

function messagesOf(id: RuleId): Record<string, string> {
  if (id !== MANUAL_RULE) return { finding: '{{message}}' };
  return {
    ...Object.fromEntries(reasonIds.map((reason) => [reason, `{{message}} [${reason}]`])),
    notProcessed: 'rnn-migrate could not process this file, so its legacy use is unchecked: {{message}}',
  };
}

function locOf(finding: Pick<Finding, 'line' | 'column' | 'endLine' | 'endColumn'>): AST.SourceLocation | AST.SourceLocation['start'] {
  // Findings are 1-based; ESLint's report columns are 0-based (it prints them + 1).
  const start = { line: finding.line, column: finding.column - 1 };
  if (finding.endLine === undefined || finding.endColumn === undefined) return start;
  return { start, end: { line: finding.endLine, column: finding.endColumn - 1 } };
}

function createRule(id: RuleId): Rule.RuleModule {
  const fixable = id !== MANUAL_RULE;
  return {
    meta: {
      type: 'problem',
      docs: { description: ruleTable[id].description, recommended: true, url: docsUrl(id) },
      ...(fixable ? { fixable: 'code' as const } : {}),
      messages: messagesOf(id),
      schema: [],
    },
    create(context) {
      return {
        Program() {
          const analysis = analysisOf(context);
          if (analysis.failure && id === MANUAL_RULE) {
            const { message, ...position } = analysis.failure;
            context.report({ loc: locOf(position), messageId: 'notProcessed', data: { message } });
          }
          let fixAttached = false;
          for (const finding of analysis.findings) {
            if (finding.ruleId !== id) continue;
            const report: Rule.ReportDescriptor = {
              loc: locOf(finding),
              messageId: finding.reason ?? 'finding',
              data: { message: finding.message },
            };
            // The rewrite is of the whole file (as the CLI's), so it rides on this rule's first
            // report: in one --fix pass ESLint applies one of these identical fixes and drops the rest.
            const rewritten = fixable && !fixAttached ? analysis.rewritten() : undefined;
            if (rewritten !== undefined) {
              const end = context.sourceCode.text.length;
              report.fix = (fixer) => fixer.replaceTextRange([0, end], rewritten);
              fixAttached = true;
            }
            context.report(report);
          }
        },
      };
    },
  };
}

export const rules = Object.fromEntries(
  (Object.keys(ruleTable) as RuleId[]).map((id) => [id, createRule(id)]),
) as Record<RuleId, Rule.RuleModule>;
