/**
 * Joins the tf.layers rewrites (stateful layers, cells stepped by hand; layers-state.ts) into
 * text edits of the file, and says what they import: the importers and, in typed files, the
 * runtime's types; a tfjs-core namespace when the file binds none (tidy, keep, dispose).
 */
import { freshName } from '../../analysis/ast.js';
import type { FileAnalysis } from '../../analysis/index.js';
import type { OffsetOf } from '../legacy-to-blocked/source-positions.js';
import { dialectFor } from '../../parser.js';
import { cellTypes, layersCellEdits, statefulEdits, statefulTypes, type LayersEdits, type LayersNames } from './layers-state.js';

export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Where a statement starts, and generated lines laid out (indented, line endings) to match it. */
export type LayoutAt = (source: string, offsetOf: OffsetOf, node: any) => { start: number; indent: string; newline: string; lines(code: string[]): string };

export interface LayersRewrite {
  edits(offsetOf: OffsetOf, layoutAt: LayoutAt): Edit[];
  runtimeNames: string[];
  /** The tfjs namespace to import, when the file binds none. */
  coreImport?: string;
}

export function layersEdits(source: string, filePath: string, analysis: FileAnalysis, taken: Set<string>): LayersRewrite | undefined {
  const sites = analysis.tfjs.sites.filter((site) => !site.ignored && !site.manual && (site.stateful || site.layersCell));
  if (sites.length === 0) return undefined;
  const typed = dialectFor(filePath) !== 'js';
  const namespace = analysis.tf.namespace;
  const generated = new Map<string, string>();
  const names: LayersNames = {
    // `tf` is often the tfjs-layers namespace in such files: then `tfc` (tfjs-core) reads better than `tf2`.
    tf: namespace ?? freshName(taken.has('tf') ? 'tfc' : 'tf', taken),
    fromLayersLayer: freshName('fromLayersLayer', taken),
    cellFromLayersLayer: freshName('cellFromLayersLayer', taken),
    // These names share the scope of the layer they serve: one fresh name per base.
    fresh: (base) => generated.get(base) ?? generated.set(base, freshName(base, taken)).get(base)!,
  };
  const types = new Set<string>();
  const plans: ((text: (node: unknown) => string) => LayersEdits)[] = [];
  for (const site of sites) {
    if (site.stateful) {
      const stateful = site.stateful;
      statefulTypes(stateful).forEach((type) => types.add(type));
      plans.push((text) => statefulEdits(stateful, text, names, typed));
    } else {
      const cell = site.layersCell!;
      cellTypes(cell).forEach((type) => types.add(type));
      plans.push((text) => layersCellEdits(cell, text, names, typed));
    }
  }
  const importName = (exported: string, local: string): string => (exported === local ? exported : `${exported} as ${local}`);
  const runtimeNames = [
    ...(sites.some((site) => site.stateful) ? [importName('fromLayersLayer', names.fromLayersLayer)] : []),
    ...(sites.some((site) => site.layersCell) ? [importName('cellFromLayersLayer', names.cellFromLayersLayer)] : []),
    ...(typed ? [...types].sort().map((type) => `type ${type}`) : []),
  ];
  return {
    runtimeNames,
    coreImport: namespace ? undefined : names.tf,
    edits(offsetOf, layoutAt) {
      const text = (node: any): string => source.slice(offsetOf(node.start), offsetOf(node.end));
      const edits: Edit[] = [];
      for (const plan of plans) {
        const { after, replace } = plan(text);
        for (const { statement, lines } of after) {
          const end = offsetOf((statement as any).end);
          const layout = layoutAt(source, offsetOf, statement);
          edits.push({ start: end, end, text: `${layout.newline}${layout.indent}${layout.lines(lines)}` });
        }
        for (const { node, text: replacement } of replace) {
          const start = offsetOf((node as any).start);
          const end = offsetOf((node as any).end);
          edits.push({ start, end, text: replacement });
        }
      }
      return edits;
    },
  };
}
