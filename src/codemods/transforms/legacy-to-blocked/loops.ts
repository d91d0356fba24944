/**
 * Step loops (for-of, indexed for, map, forEach, reduce) become one blocked call over the whole
 * sequence; a loop whose body does more than step stays, reading the blocked call's outputs.
 */
import { enclosingStatement, isCall, isMember, unwrap, type AnyPath } from '../../analysis/ast.js';
import type { StepCall, StepLoop } from '../../analysis/loops.js';
import { insertBefore, isAxisOne, replaceStatement, unparenthesized } from './ast-edits.js';
import type { RewriteContext } from './context.js';
import { parseExpression, parseStatements } from './emit.js';
import { inlineSingleUseTemporaries } from './inline-temporaries.js';
import { isEvaluatedFirst, isInert, insideTidyScope, wrapBlockedCallsInTidy } from './lifetimes.js';
import { LoopSteps } from './loop-steps.js';
import type { StackedCollect } from './stacked-collect.js';

/**
 * A loop's sequence expression that calls user code (`for (const x of batches(i))`) moves into a
 * `const` before the blocked call when it is evaluated first anyway, so the tf.tidy around the
 * call cannot dispose a tensor that code keeps. Returns the hoisting statement, if any.
 */
function hoistSequence(ctx: RewriteContext, loop: StepLoop, statementPath: AnyPath): string | undefined {
  const node = loop.sequence.node;
  if (isInert(node, ctx.analysis.tf.namespace) || insideTidyScope(loop.path)) return undefined;
  const firstInLoop = loop.form === 'for-of' && loop.path.node.right === node;
  if (!firstInLoop && !((loop.form === 'map' || loop.form === 'forEach' || loop.form === 'reduce') && isEvaluatedFirst(statementPath.node, node))) return undefined;
  const name = ctx.fresh(`${loop.steps[0]!.holder.name}Inputs`);
  const hoisted = `const ${name} = ${ctx.sourceOf(node)};`;
  loop.sequence = { ...loop.sequence, node: ctx.j.identifier(name) };
  return hoisted;
}

function sequenceCode(ctx: RewriteContext, loop: StepLoop): string {
  const { sequence } = loop;
  const base = ctx.sourceOf(sequence.node);
  if (sequence.kind === 'array') {
    const items = sequence.limit ? `${base}.slice(0, ${ctx.sourceOf(sequence.limit)})` : base;
    return `${ctx.tf()}.stack(${items}, 1)`;
  }
  return sequence.limit ? `${base}.slice([0, 0, 0], [-1, ${ctx.sourceOf(sequence.limit)}, -1])` : base;
}

export function rewriteLoop(ctx: RewriteContext, loop: StepLoop): void {
  const j = ctx.j;
  const statementPath = loop.form === 'for-of' || loop.form === 'for-index' ? loop.path : enclosingStatement(loop.path)!;
  const hoisted = hoistSequence(ctx, loop, statementPath);
  const tidy = ctx.wantsTidy(loop.path, [loop.sequence.node, loop.sequence.limit]);
  const steps = new LoopSteps(ctx, loop, statementPath, sequenceCode(ctx, loop), hoisted);
  for (const step of loop.steps) steps.add(step);

  ctx.changed = true;
  let replaced = loop.path;
  if (!loop.hasResidual && loop.form === 'map') {
    // tf.stack(xs.map(x => r.step(x)), 1) is the blocked output sequence itself.
    const parent = loop.path.parent;
    const single = loop.steps.length === 1 ? loop.steps[0]! : undefined;
    const stacksIt = isCall(parent.node) && isMember(unwrap(parent.node.callee)) && unwrap(parent.node.callee).property.name === 'stack' &&
      parent.node.arguments[0] === loop.path.node && isAxisOne(parent.node.arguments[1]);
    if (stacksIt && single && steps.resultNames.has(single) && steps.expressionValue === steps.stepsNames.get(single)) {
      steps.expressionValue = `${steps.resultNames.get(single)}.output`;
      replaced = parent;
    }
  }
  const readInLoop = loop.hasResidual ? new Set([...steps.stepsNames.values(), ...steps.noInline]) : steps.noInline;
  const code = inlineSingleUseTemporaries([...steps.before, ...steps.after], steps.expressionValue, readInLoop);
  const generated = parseStatements(j, code.statements.join('\n'));
  const layerRefs = new Set(loop.steps.map((step) => ctx.ref(step.holder)));
  const valueStatement = code.expression === undefined ? undefined : parseStatements(j, `(${code.expression});`)[0];
  if (tidy) wrapBlockedCallsInTidy(j, valueStatement ? [...generated, valueStatement] : generated, layerRefs, ctx.tf());
  if (loop.hasResidual) {
    keepLoopReadingSteps(ctx, loop, steps.stepsNames);
    insertBefore(statementPath, generated);
    return;
  }
  if (loop.form === 'map' || loop.form === 'reduce') {
    // The call is a value: the per-step outputs (map) or the last output (reduce).
    replaced.replace(valueStatement ? unparenthesized(valueStatement.expression) : parseExpression(j, 'undefined'));
    insertBefore(statementPath, generated);
    return;
  }
  for (const sequence of steps.sequences) declareSequence(ctx, sequence.stacked, sequence.name, generated, statementPath);
  replaceStatement(statementPath, generated);
}

/**
 * The collected array becomes the output sequence: declared by the generated statement, its
 * one `tf.stack(outputs, 1)` reads it directly, and the empty array's declaration (and an
 * adopted `const hidden = tf.stack(outputs, 1)`) go, their comments moving onto the new one.
 */
function declareSequence(ctx: RewriteContext, stacked: StackedCollect, name: string, generated: any[], loopStatement: AnyPath): void {
  const statement = generated.find((node) => node.type === 'VariableDeclaration' && node.declarations[0]?.id.name === name);
  if (!statement) return;
  const leading = (node: any): any[] => (node.comments ?? []).filter((comment: any) => comment.leading);
  // Comments above the removed declarations go above the generated code, as the loop's do.
  const moved = [...leading(stacked.declaration.node), ...(stacked.into ? leading(stacked.into.declaration.node) : [])];
  if (moved.length > 0) loopStatement.node.comments = [...moved, ...(loopStatement.node.comments ?? [])];
  let trailing: any[] = [];
  if (stacked.into) {
    trailing = (stacked.into.declaration.node.comments ?? []).filter((comment: any) => comment.trailing);
    ctx.removals.push(stacked.into.declaration);
  } else {
    stacked.stackCall.replace(ctx.j.identifier(name));
  }
  if (trailing.length === 0) trailing = ctx.trailingComment(' [batch, time, hidden]');
  statement.comments = [...(statement.comments ?? []), ...trailing];
  ctx.removals.push(stacked.declaration);
}

/** Keeps a loop whose body does more than step: each step call now reads the blocked output. */
function keepLoopReadingSteps(ctx: RewriteContext, loop: StepLoop, stepsNames: Map<StepCall, string>): void {
  const j = ctx.j;
  const index = loopIndex(ctx, loop);
  for (const step of loop.steps) {
    if (step.use.kind === 'discard') {
      step.use.statement.prune();
      continue;
    }
    step.path.replace(parseExpression(j, `${stepsNames.get(step)}[${index}]`));
  }
  for (const extraction of loop.extractions) {
    const name = extraction.node.declarations[0].id.name;
    const body = loop.form === 'for-index' || loop.form === 'for-of' ? loop.path.node.body : loop.callback!.node.body;
    if (!ctx.j(body).find(j.Identifier, { name }).filter((path) => path.parent.node !== extraction.node.declarations[0]).size()) extraction.prune();
  }
}

function loopIndex(ctx: RewriteContext, loop: StepLoop): string {
  if (loop.indexName) return loop.indexName;
  const j = ctx.j;
  if (loop.form === 'for-of') {
    const node = loop.path.node;
    const index = ctx.fresh('t');
    const declaration = node.left;
    const element = declaration.declarations[0].id;
    declaration.declarations[0].id = j.arrayPattern([j.identifier(index), element]);
    node.right = parseExpression(j, `${ctx.sourceOf(node.right)}.entries()`);
    return index;
  }
  const fn = loop.callback!.node;
  const position = loop.form === 'reduce' ? 2 : 1;
  const existing = fn.params[position];
  if (existing?.type === 'Identifier') return existing.name;
  const index = ctx.fresh('t');
  while (fn.params.length < position) fn.params.push(j.identifier(`_${fn.params.length}`));
  fn.params.push(j.identifier(index));
  return index;
}
