/**
 * Step loops (for-of, indexed for, map, forEach, reduce) become one blocked call over the whole
 * sequence; a loop whose body does more than step stays, reading the blocked call's outputs.
 */
import { enclosingStatement, isCall, isMember, unwrap, type AnyPath } from '../../analysis/ast.js';
import type { StepCall, StepLoop } from '../../analysis/loops.js';
import { insertBefore, isAxisOne, replaceStatement, unparenthesized } from './ast-edits.js';
import { storeCarry } from './carries.js';
import type { RewriteContext } from './context.js';
import { parseExpression, parseStatements } from './emit.js';
import { inlineSingleUseTemporaries } from './inline-temporaries.js';
import { isEvaluatedFirst, isInert, insideTidyScope, wrapBlockedCallsInTidy } from './lifetimes.js';
import { findStackedCollect, type StackedCollect } from './stacked-collect.js';

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
  const before: string[] = hoisted ? [hoisted] : [];
  const tidy = ctx.wantsTidy(loop.path, [loop.sequence.node, loop.sequence.limit]);
  const resultNames = new Map<StepCall, string>();
  const stepsNames = new Map<StepCall, string>();
  /** Steps whose result is the stored carry itself (`const lstmNext = lstm.apply(…).carry`). */
  const storedCarries = new Set<StepCall>();
  const noInline = new Set<string>(hoisted ? [/^const (\w+)/.exec(hoisted)![1]!] : []);
  const sequence = sequenceCode(ctx, loop);
  const lastOf = (step: StepCall): string => {
    if (storedCarries.has(step)) {
      const h = `${ctx.carryName(step.holder)}.h`;
      return ctx.disposesCarries.has(step.holder) ? `${ctx.tf()}.clone(${h})` : h; // a copy of a carry disposed when replaced
    }
    if (step.holder.cellKind !== 'custom') return `${resultNames.get(step)}.carry.h`;
    const steps = stepsOf(step);
    return `${steps}[${steps}.length - 1]`;
  };
  const stepsOf = (step: StepCall): string => {
    let name = stepsNames.get(step);
    if (!name) {
      name = ctx.fresh(`${step.holder.name}Steps`);
      stepsNames.set(step, name);
      before.push(`const ${name} = ${ctx.tf()}.unstack(${resultNames.get(step)}.output, 1);`);
    }
    return name;
  };
  const after: string[] = [];
  let expressionValue: string | undefined;
  /** Arrays that only held the outputs to stack them on the time axis: they become the sequence. */
  const sequences: Array<{ stacked: StackedCollect; name: string }> = [];
  const collectInto = (step: StepCall, array: any): void => {
    const declares = resultNames.has(step) && loop.form !== 'map' && loop.form !== 'reduce';
    const stacked = declares ? findStackedCollect(j, statementPath, array, ctx.analysis.tf) : undefined;
    if (!stacked) {
      after.push(`${ctx.sourceOf(array)}.push(...${stepsOf(step)});`);
      return;
    }
    const into = stacked.into;
    const name = into?.name ?? stacked.name;
    const type = into?.typeAnnotation ? ctx.sourceOf(into.typeAnnotation) : '';
    noInline.add(name);
    sequences.push({ stacked, name });
    after.push(`${into?.kind ?? 'const'} ${name}${type} = ${resultNames.get(step)}.output;`);
  };

  for (const step of loop.steps) {
    const input = step.input.kind === 'sequence' ? sequence : `${resultNames.get((step.input as { from: StepCall }).from)}.output`;
    const { call, writes, keeps } = ctx.applyFor(step.holder, step.path, input);
    const consumers = loop.consumers.filter((consumer) => consumer.step === step);
    const feedsLater = loop.steps.some((later) => later.input.kind === 'step' && later.input.from === step);
    const onlyLast = !writes && !feedsLater && !loop.hasResidual && step.holder.cellKind !== 'custom' &&
      ((step.use.kind === 'last' && consumers.length === 0) || (step.use.kind === 'callback-result' && loop.form === 'reduce'));
    if (onlyLast) {
      if (step.use.kind === 'last') after.push(`${step.use.target} = ${call}.carry.h;`);
      else expressionValue = `${call}.carry.h`;
      continue;
    }
    if (!writes && !feedsLater && !loop.hasResidual && step.use.kind === 'discard' && consumers.length === 0) continue; // a dead warm-up
    const owned = writes && ctx.disposesCarries.has(step.holder);
    const disposes = owned && ctx.readsCarry(step.holder, step.path);
    const readsOutput = feedsLater || loop.hasResidual || step.holder.cellKind === 'custom' || step.use.kind === 'collect' ||
      (step.use.kind === 'callback-result' && loop.form === 'map') || consumers.some((consumer) => consumer.kind === 'collect');
    if (writes && !readsOutput) {
      // Only the carry is read: store it (disposing the one it replaces), read its h.
      storedCarries.add(step);
      if (disposes) {
        const nextName = ctx.fresh(`${step.holder.name}Next`);
        noInline.add(nextName);
        before.push(`const ${nextName} = ${call}.carry;`, ...storeCarry(ctx, step.holder, nextName, keeps, true));
      } else {
        before.push(...storeCarry(ctx, step.holder, `${call}.carry`, keeps));
      }
    } else {
      const resultName = ctx.fresh(`${step.holder.name}Result`);
      resultNames.set(step, resultName);
      if (disposes) noInline.add(resultName);
      before.push(`const ${resultName} = ${call};`);
      if (writes) before.push(...storeCarry(ctx, step.holder, `${resultName}.carry`, keeps, disposes));
      if (owned) storedCarries.add(step);
    }
    if (loop.hasResidual) {
      if (step.use.kind !== 'discard') stepsOf(step);
      continue;
    }
    if (step.use.kind === 'last') after.push(`${step.use.target} = ${lastOf(step)};`);
    if (step.use.kind === 'collect') collectInto(step, step.use.array);
    if (step.use.kind === 'callback-result') expressionValue = loop.form === 'map' ? stepsOf(step) : loop.form === 'reduce' ? lastOf(step) : undefined;
    for (const consumer of consumers) {
      if (consumer.kind === 'last') after.push(`${consumer.target} = ${lastOf(step)};`);
      else collectInto(step, consumer.target);
    }
  }

  ctx.changed = true;
  let replaced = loop.path;
  if (!loop.hasResidual && loop.form === 'map') {
    // tf.stack(xs.map(x => r.step(x)), 1) is the blocked output sequence itself.
    const parent = loop.path.parent;
    const single = loop.steps.length === 1 ? loop.steps[0]! : undefined;
    const stacksIt = isCall(parent.node) && isMember(unwrap(parent.node.callee)) && unwrap(parent.node.callee).property.name === 'stack' &&
      parent.node.arguments[0] === loop.path.node && isAxisOne(parent.node.arguments[1]);
    if (stacksIt && single && resultNames.has(single) && expressionValue === stepsNames.get(single)) {
      expressionValue = `${resultNames.get(single)}.output`;
      replaced = parent;
    }
  }
  const readInLoop = loop.hasResidual ? new Set([...stepsNames.values(), ...noInline]) : noInline;
  const code = inlineSingleUseTemporaries([...before, ...after], expressionValue, readInLoop);
  const generated = parseStatements(j, code.statements.join('\n'));
  const layerRefs = new Set(loop.steps.map((step) => ctx.ref(step.holder)));
  let valueStatement = code.expression === undefined ? undefined : parseStatements(j, `(${code.expression});`)[0];
  if (tidy) wrapBlockedCallsInTidy(j, valueStatement ? [...generated, valueStatement] : generated, layerRefs, ctx.tf());
  if (loop.hasResidual) {
    keepLoopReadingSteps(ctx, loop, stepsNames);
    insertBefore(statementPath, generated);
    return;
  }
  if (loop.form === 'map' || loop.form === 'reduce') {
    // The call is a value: the per-step outputs (map) or the last output (reduce).
    replaced.replace(valueStatement ? unparenthesized(valueStatement.expression) : parseExpression(j, 'undefined'));
    insertBefore(statementPath, generated);
    return;
  }
  for (const sequence of sequences) declareSequence(ctx, sequence.stacked, sequence.name, generated, statementPath);
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
