/**
 * The analysis shared by lint and rewrite: parse once, find legacy bindings and Recur holders,
 * build the migration plan, and describe it as findings.
 */
import jscodeshift, { type Collection, type JSCodeshift } from 'jscodeshift';
import { findingAt, type Finding } from '../findings.js';
import { parserFor, withParseErrors } from '../parser.js';
import { manualReasons, type ManualReason } from '../rules.js';
import { findLegacyBindings, findTfBinding, LEGACY_ENTRY, type LegacyBindings, type TfBinding } from './bindings.js';
import { HolderTable } from './holders.js';
import { NodeIndex } from './node-index.js';
import { buildPlan, type FilePlan } from './plan.js';
import { enclosingStatement, type AnyPath } from './ast.js';
import { findTfjsCells, type TfjsCells } from './tfjs-cells.js';

export { LEGACY_ENTRY } from './bindings.js';

export interface FileAnalysis {
  j: JSCodeshift;
  root: Collection;
  bindings: LegacyBindings;
  tf: TfBinding;
  table: HolderTable;
  plan: FilePlan;
  /** Per-step RNN code written against tfjs itself (basicLSTMCell loops, tf.layers cells, stateful layers). */
  tfjs: TfjsCells;
}

export function analyzeTree(source: string, filePath: string): FileAnalysis {
  const j = jscodeshift.withParser(parserFor(filePath));
  const root = withParseErrors(filePath, () => j(source));
  const index = new NodeIndex(j, root);
  const bindings = findLegacyBindings(index);
  const tf = findTfBinding(index);
  const table = new HolderTable(index, bindings);
  const plan = buildPlan(index, bindings, table, tf.namespace);
  return { j, root, bindings, tf, table, plan, tfjs: findTfjsCells(index) };
}

export interface ManualSite {
  path: AnyPath;
  reason: ManualReason;
}

/** Sites left for manual migration (ignored sites excluded), one per loop / step / stray call. */
export function manualSites(plan: FilePlan): ManualSite[] {
  const sites: ManualSite[] = [];
  const seen = new Set<unknown>();
  const add = (path: AnyPath, reason: ManualReason): void => {
    const statement = enclosingStatement(path) ?? path;
    if (seen.has(statement.node)) return;
    seen.add(statement.node);
    sites.push({ path, reason });
  };
  for (const site of plan.sites) {
    if (site.ignored || site.manual === undefined) continue;
    add(site.path, site.manual);
  }
  for (const holderPlan of plan.holders) {
    if (!holderPlan.manual || holderPlan.events.length === 0) continue;
    const hasSite = plan.sites.some((site) => site.holders.includes(holderPlan.holder));
    if (!hasSite) add(holderPlan.events[0]!.path, holderPlan.manual);
  }
  for (const stray of plan.strayManual) add(stray.path, stray.reason);
  return sites;
}

/** The tfjs per-step sites the rewrite leaves as they are (ignored sites excluded). */
export function tfjsManualSites(tfjs: TfjsCells): ManualSite[] {
  return tfjs.sites.flatMap((site) => (site.ignored || !site.manual ? [] : [{ path: site.path, reason: site.manual }]));
}

export function manualFinding(site: ManualSite): Finding {
  return findingAt(site.path.node, 'manual-migration', `Left for manual migration: ${manualReasons[site.reason]}.`, site.reason);
}

/** Lint findings: every legacy use in the file. */
export function analyzeFile(source: string, filePath: string): Finding[] {
  const analysis = analyzeTree(source, filePath);
  const { plan, bindings } = analysis;
  const findings: Finding[] = [];
  for (const legacyImport of bindings.imports) {
    findings.push(findingAt(legacyImport.path.node, 'legacy-import', `Import from '${LEGACY_ENTRY}': the mutable per-timestep API.`));
  }
  for (const site of plan.sites) {
    if (site.ignored || site.manual) continue;
    const message = site.kind === 'loop'
      ? 'Step loop over timesteps: becomes one blocked call on the whole sequence.'
      : 'Single recur.step(): becomes a blocked call with an explicit carry.';
    findings.push(findingAt(site.path.node, 'legacy-step-loop', message));
  }
  const seenResets = new Set<unknown>();
  for (const holderPlan of plan.holders) {
    for (const event of holderPlan.events) {
      if (event.kind === 'reset' && !seenResets.has(event.call.node)) {
        seenResets.add(event.call.node);
        findings.push(findingAt(event.call.node, 'legacy-reset', 'reset(): with explicit carries a fresh sequence simply starts without a carry.'));
      }
      if (event.kind === 'state-read' || event.kind === 'state-write') {
        findings.push(findingAt(event.path.node, 'legacy-state', `${event.kind === 'state-read' ? 'Read' : 'Write'} of recur.state: becomes an explicit carry variable.`));
      }
    }
  }
  for (const stray of plan.resetCalls) {
    if (!seenResets.has(stray.call.node)) {
      seenResets.add(stray.call.node);
      findings.push(findingAt(stray.call.node, 'legacy-reset', 'reset(model): with explicit carries a fresh sequence simply starts without a carry.'));
    }
  }
  findings.push(...manualSites(plan).map(manualFinding));
  for (const site of analysis.tfjs.sites) {
    if (site.ignored || site.manual) continue;
    if (site.kind === 'stateful-layer') findings.push(findingAt(site.path.node, 'tfjs-stateful-layer', 'Stateful tf.layers layer stepped per call: its state becomes an explicit carry, reset where resetStates() was.'));
    else if (site.kind === 'layers-cell-step') findings.push(findingAt(site.path.node, 'tfjs-layers-cell-step', 'tf.layers cell stepped with cell.call: becomes a step of the rnn-migrate cell imported from its weights.'));
    else if (site.priming) findings.push(findingAt(site.path.node, 'tfjs-cell-loop', 'Loop over a known input stepping tf.basicLSTMCell: becomes one blocked LSTM call per layer.'));
    else findings.push(findingAt(site.path.node, 'tfjs-cell-step-loop', 'Loop stepping tf.basicLSTMCell among other work: the step moves to cell.step with explicit { h, c } carries.'));
  }
  findings.push(...tfjsManualSites(analysis.tfjs).map(manualFinding));
  return findings;
}
