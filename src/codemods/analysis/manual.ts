/** A site left for manual migration, and its finding (rule `manual-migration`, with the reason). */
import { findingAt, type Finding } from '../findings.js';
import { manualReasons, type ManualReason } from '../rules.js';
import type { AnyPath } from './ast.js';

export interface ManualSite {
  path: AnyPath;
  reason: ManualReason;
}

export function manualFinding(site: ManualSite): Finding {
  return findingAt(site.path.node, 'manual-migration', `Left for manual migration: ${manualReasons[site.reason]}.`, site.reason);
}
