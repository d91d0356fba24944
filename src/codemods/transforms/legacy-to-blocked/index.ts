/**
 * The rewrite: applies a file's migration plan. Step loops become blocked calls (loops.ts), single
 * steps become one-step blocked calls (single-steps.ts), resets and `.state` become explicit carry
 * variables (state.ts, carries.ts), and imports move to 'rnn-migrate' once nothing legacy is left
 * (imports.ts). Only the rewritten statements are reprinted (reprint.ts); unsafe sites are left
 * as they were. The features share one RewriteContext (context.ts).
 */
import { analyzeTree, manualFinding, manualSites, type FileAnalysis } from '../../analysis/index.js';
import type { Finding } from '../../findings.js';
import { dialectFor } from '../../parser.js';
import { removeStatement } from './ast-edits.js';
import { carriesAreOwned, constCarries, declareHolderCarries, finalDisposal, mergeDeclarationsWithFirstAssignment } from './carries.js';
import { RewriteContext } from './context.js';
import { printStyleOf } from './emit.js';
import { spliceChanges } from './reprint.js';
import { offsetsOfTree } from './source-positions.js';
import { addTfImport, migrateImports } from './imports.js';
import { rewriteLoop } from './loops.js';
import { rewriteSingleSteps } from './single-steps.js';
import { rewriteResets, rewriteStateEvents } from './state.js';
import { insertTodoLines } from './todos.js';

export interface MigrateFileOptions {
  insertTodos?: boolean;
  /** The tfjs package the project depends on: imported when generated code needs tf and the file imports no tfjs package. */
  tfPackage?: string;
}

export function migrateFile(source: string, filePath: string, options: MigrateFileOptions): { output: string; findings: Finding[] } {
  const analysis = analyzeTree(source, filePath);
  const manual = manualSites(analysis.plan);
  let output = source;
  if (options.insertTodos && manual.length > 0) {
    const offsetOf = offsetsOfTree(source, analysis.root.get().node);
    const marked = offsetOf ? insertTodoLines(source, manual, offsetOf) : source;
    if (marked !== source) output = migrateFile(marked, filePath, { tfPackage: options.tfPackage }).output;
  }
  let reanalysed: FileAnalysis | undefined;
  if (output === source && rewrite(new RewriteContext(analysis, dialectFor(filePath) !== 'js', options.tfPackage))) {
    const style = printStyleOf(source);
    const spliced = spliceChanges(analysis.j, source, analysis.root.get().node, style);
    reanalysed = spliced === undefined ? undefined : parsesOrUndefined(() => analyzeTree(spliced, filePath));
    output = reanalysed ? spliced! : analysis.root.toSource(style); // splicing failed: recast prints the whole file
  }
  if (output === source) return { output, findings: manual.map(manualFinding) };
  // Findings point into the file as written: the sites are left byte for byte, so analysing the
  // output finds the same sites, at the lines an editor shows after the rewrite (TODO lines included).
  return { output, findings: manualSites((reanalysed ?? analyzeTree(output, filePath)).plan).map(manualFinding) };
}

function parsesOrUndefined<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}

/** Applies the plan to the analysis' tree; true when anything changed. */
function rewrite(ctx: RewriteContext): boolean {
  const { analysis } = ctx;
  const { plan } = analysis;
  const migratable = plan.holders.filter((holderPlan) => !holderPlan.manual && holderPlan.carry);
  for (const holderPlan of migratable) ctx.carryNames.set(holderPlan.holder, ctx.fresh(`${holderPlan.holder.name}Carry`));
  for (const holderPlan of migratable) if (carriesAreOwned(holderPlan)) ctx.disposesCarries.add(holderPlan.holder);

  const finalDisposals = migratable.flatMap((holderPlan) => finalDisposal(ctx, holderPlan) ?? []);
  // Sites first (they read the plan's paths), then state events, resets and declarations.
  for (const site of plan.sites) {
    if (site.ignored || site.manual) continue;
    if (site.kind === 'loop' && site.loop) rewriteLoop(ctx, site.loop);
    else rewriteSingleSteps(ctx, site);
  }
  for (const holderPlan of migratable) rewriteStateEvents(ctx, holderPlan);
  rewriteResets(ctx, migratable);
  declareHolderCarries(ctx, migratable);
  for (const { body, next, code } of finalDisposals) {
    const index = next === undefined ? body.length : body.indexOf(next);
    if (index >= 0) body.splice(index, 0, ctx.statement(code));
  }
  for (const path of ctx.removals) removeStatement(path);
  mergeDeclarationsWithFirstAssignment(ctx);
  constCarries(ctx);
  if (ctx.tfNeeded && !analysis.tf.namespace) addTfImport(ctx);
  if (ctx.changed || plan.holders.every((holderPlan) => !holderPlan.manual)) {
    ctx.changed = migrateImports(analysis) || ctx.changed;
  }
  return ctx.changed;
}
