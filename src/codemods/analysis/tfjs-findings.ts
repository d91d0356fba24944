/**
 * Lint findings of the tfjs per-step sites: one per per-step call (a loop stepping two calls, one
 * per branch, reports both), at the call itself; a site without calls of its own (a stateful
 * layer's creation or reset) at the site.
 */
import { findingAt, type Finding } from '../findings.js';
import type { AnyPath } from './ast.js';
import type { TfjsCells, TfjsSite } from './tfjs-cells.js';
import { manualFinding } from './manual.js';

const callsOf = (site: TfjsSite): AnyPath[] => site.calls ?? [site.path];

/** Sites the rewrite migrates: their calls, with the rule that says how. */
export function tfjsRewritableFindings(tfjs: TfjsCells): Finding[] {
  return tfjs.sites.flatMap((site) => {
    if (site.ignored || site.manual) return [];
    const { ruleId, message } = describe(site);
    return callsOf(site).map((call) => findingAt(call.node, ruleId, message));
  });
}

/** Sites left as they are (ignored sites excluded): their calls, with the reason. */
export function tfjsManualFindings(tfjs: TfjsCells): Finding[] {
  return tfjs.sites.flatMap((site) => (site.ignored || !site.manual ? [] : callsOf(site).map((call) => manualFinding({ path: call, reason: site.manual! }))));
}

function describe(site: TfjsSite): Pick<Finding, 'ruleId' | 'message'> {
  if (site.kind === 'cell-closure') {
    const loops = site.steppedBy ?? [];
    const lines = loops.map((loop) => loop.path.node.loc?.start.line).join(', ');
    return {
      ruleId: loops.every((loop) => loop.priming) ? 'tfjs-cell-loop' : 'tfjs-cell-step-loop',
      message: `Cell closure over tf.basicLSTMCell, stepped by the loop${loops.length > 1 ? 's' : ''} at line ${lines}: its weights come across with cellFromBasicLSTMCell(kernel, bias, forgetBias).`,
    };
  }
  if (site.kind === 'stateful-layer') return { ruleId: 'tfjs-stateful-layer', message: 'Stateful tf.layers layer stepped per call: its state becomes an explicit carry, reset where resetStates() was.' };
  if (site.kind === 'layers-cell-step') return { ruleId: 'tfjs-layers-cell-step', message: 'tf.layers cell stepped with cell.call: becomes a step of the rnn-migrate cell imported from its weights.' };
  if (site.priming) return { ruleId: 'tfjs-cell-loop', message: 'Loop over a known input stepping tf.basicLSTMCell: becomes one blocked LSTM call per layer.' };
  return { ruleId: 'tfjs-cell-step-loop', message: 'Loop stepping tf.basicLSTMCell among other work: the step moves to cell.step with explicit { h, c } carries.' };
}
