// SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDEs): one run, the rule table from the
// codemods, repository-relative URIs under %SRCROOT%, and a partial fingerprint per result that
// survives edits elsewhere in the file. Files that could not be processed and stale baseline
// entries become tool execution notifications.
import { pathToFileURL } from 'node:url';
import type { Location, Log, Notification, ReportingDescriptor, Result } from 'sarif';
import { rules, type RuleId } from '../../codemods/rules.js';
import { findingText, staleText } from './messages.js';
import type { LintReport, Reporter } from './types.js';

const srcRoot = '%SRCROOT%';
export const fingerprintKey = 'rnnMigrateFinding/v1';

function uriOf(relPath: string): string {
  return relPath.split('/').map(encodeURIComponent).join('/');
}

function locationOf(
  relPath: string,
  region?: { line?: number; column?: number; endLine?: number; endColumn?: number },
): Location {
  return {
    physicalLocation: {
      artifactLocation: { uri: uriOf(relPath), uriBaseId: srcRoot },
      ...(region?.line === undefined
        ? {}
        : {
            region: {
              startLine: region.line,
              ...(region.column === undefined ? {} : { startColumn: region.column }),
              ...(region.endLine === undefined ? {} : { endLine: region.endLine }),
              ...(region.endColumn === undefined ? {} : { endColumn: region.endColumn }),
            },
          }),
    },
  };
}

export class SarifReporter implements Reporter {
  render(report: LintReport): string {
    const ruleIds = Object.keys(rules) as RuleId[];
    const driverRules: ReportingDescriptor[] = ruleIds.map((id) => ({
      id,
      shortDescription: { text: rules[id].description },
      help: { text: `See ${rules[id].docs} in the rnn-migrate package.` },
      defaultConfiguration: { level: 'warning' },
      properties: { docs: rules[id].docs },
    }));
    const results: Result[] = [];
    const notifications: Notification[] = [];
    for (const file of report.files) {
      for (const finding of file.findings) {
        results.push({
          ruleId: finding.ruleId,
          ruleIndex: ruleIds.indexOf(finding.ruleId),
          level: 'warning',
          message: { text: findingText(finding) },
          locations: [locationOf(file.relPath, finding)],
          partialFingerprints: { [fingerprintKey]: finding.fingerprint },
          ...(finding.reason === undefined ? {} : { properties: { reason: finding.reason } }),
        });
      }
      if (file.error) {
        notifications.push({
          level: 'error',
          message: { text: file.error.message },
          locations: [locationOf(file.relPath, file.error)],
        });
      }
    }
    for (const entry of report.baseline?.stale ?? []) {
      notifications.push({ level: 'error', message: { text: staleText(entry) }, locations: [locationOf(entry.relPath)] });
    }
    const log: Log = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'rnn-migrate',
              version: report.toolVersion,
              semanticVersion: report.toolVersion,
              informationUri: 'https://www.npmjs.com/package/rnn-migrate',
              rules: driverRules,
            },
          },
          ...(report.shard ? { automationDetails: { id: `rnn-migrate/shard-${report.shard.index}-of-${report.shard.count}/` } } : {}),
          originalUriBaseIds: { [srcRoot]: { uri: `${pathToFileURL(report.root).href.replace(/\/?$/, '/')}` } },
          columnKind: 'utf16CodeUnits',
          results,
          invocations: [
            {
              executionSuccessful: report.summary.errors === 0,
              ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
            },
          ],
        },
      ],
    };
    return `${JSON.stringify(log, null, 2)}\n`;
  }
}
