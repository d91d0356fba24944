/**
 * The code a step loop becomes, step by step: each step call's blocked call (`recur.apply(…)`),
 * storing its carry, and the reads that replace the loop's uses of its outputs (the last h, the
 * collected outputs, the per-step outputs a residual body reads).
 */
import type { AnyPath } from '../../analysis/ast.js';
import type { StepCall, StepLoop } from '../../analysis/loops.js';
import { storeCarry } from './carries.js';
import type { RewriteContext } from './context.js';
import { findStackedCollect, type StackedCollect } from './stacked-collect.js';

export class LoopSteps {
  /** Statements before the loop's place: the blocked calls and their carries. */
  readonly before: string[] = [];
  /** Statements after them: the loop's results handed to the code that read them. */
  readonly after: string[] = [];
  /** The value of a map/reduce call, when the loop is one. */
  expressionValue: string | undefined;
  readonly resultNames = new Map<StepCall, string>();
  /** The per-step outputs (`tf.unstack(result.output, 1)`), declared on first use. */
  readonly stepsNames = new Map<StepCall, string>();
  /** Generated names that must stay variables (read more than once, or by name elsewhere). */
  readonly noInline: Set<string>;
  /** Arrays that only held the outputs to stack them on the time axis: they become the sequence. */
  readonly sequences: Array<{ stacked: StackedCollect; name: string }> = [];
  /** Steps whose result is the stored carry itself (`const lstmNext = lstm.apply(…).carry`). */
  private readonly storedCarries = new Set<StepCall>();

  constructor(
    private readonly ctx: RewriteContext,
    private readonly loop: StepLoop,
    private readonly statementPath: AnyPath,
    /** The whole input sequence as code (`tf.stack(xs, 1)`). */
    private readonly sequence: string,
    hoisted: string | undefined,
  ) {
    if (hoisted) this.before.push(hoisted);
    this.noInline = new Set<string>(hoisted ? [/^const (\w+)/.exec(hoisted)![1]!] : []);
  }

  add(step: StepCall): void {
    const { ctx, loop, before, after } = this;
    const input = step.input.kind === 'sequence' ? this.sequence : `${this.resultNames.get((step.input as { from: StepCall }).from)}.output`;
    const { call, writes, keeps } = ctx.applyFor(step.holder, step.path, input);
    const consumers = loop.consumers.filter((consumer) => consumer.step === step);
    const feedsLater = loop.steps.some((later) => later.input.kind === 'step' && later.input.from === step);
    const onlyLast = !writes && !feedsLater && !loop.hasResidual && step.holder.cellKind !== 'custom' &&
      ((step.use.kind === 'last' && consumers.length === 0) || (step.use.kind === 'callback-result' && loop.form === 'reduce'));
    if (onlyLast) {
      if (step.use.kind === 'last') after.push(`${step.use.target} = ${call}.carry.h;`);
      else this.expressionValue = `${call}.carry.h`;
      return;
    }
    if (!writes && !feedsLater && !loop.hasResidual && step.use.kind === 'discard' && consumers.length === 0) return; // a dead warm-up
    const owned = writes && ctx.disposesCarries.has(step.holder);
    const disposes = owned && ctx.readsCarry(step.holder, step.path);
    const readsOutput = feedsLater || loop.hasResidual || step.holder.cellKind === 'custom' || step.use.kind === 'collect' ||
      (step.use.kind === 'callback-result' && loop.form === 'map') || consumers.some((consumer) => consumer.kind === 'collect');
    if (writes && !readsOutput) {
      // Only the carry is read: store it (disposing the one it replaces), read its h.
      this.storedCarries.add(step);
      if (disposes) {
        const nextName = ctx.fresh(`${step.holder.name}Next`);
        this.noInline.add(nextName);
        before.push(`const ${nextName} = ${call}.carry;`, ...storeCarry(ctx, step.holder, nextName, keeps, true));
      } else {
        before.push(...storeCarry(ctx, step.holder, `${call}.carry`, keeps));
      }
    } else {
      const resultName = ctx.fresh(`${step.holder.name}Result`);
      this.resultNames.set(step, resultName);
      if (disposes) this.noInline.add(resultName);
      before.push(`const ${resultName} = ${call};`);
      if (writes) before.push(...storeCarry(ctx, step.holder, `${resultName}.carry`, keeps, disposes));
      if (owned) this.storedCarries.add(step);
    }
    if (loop.hasResidual) {
      if (step.use.kind !== 'discard') this.stepsOf(step);
      return;
    }
    if (step.use.kind === 'last') after.push(`${step.use.target} = ${this.lastOf(step)};`);
    if (step.use.kind === 'collect') this.collectInto(step, step.use.array);
    if (step.use.kind === 'callback-result') this.expressionValue = loop.form === 'map' ? this.stepsOf(step) : loop.form === 'reduce' ? this.lastOf(step) : undefined;
    for (const consumer of consumers) {
      if (consumer.kind === 'last') after.push(`${consumer.target} = ${this.lastOf(step)};`);
      else this.collectInto(step, consumer.target);
    }
  }

  /** The step's last hidden output. */
  private lastOf(step: StepCall): string {
    const { ctx } = this;
    if (this.storedCarries.has(step)) {
      const h = `${ctx.carryName(step.holder)}.h`;
      return ctx.disposesCarries.has(step.holder) ? `${ctx.tf()}.clone(${h})` : h; // a copy of a carry disposed when replaced
    }
    if (step.holder.cellKind !== 'custom') return `${this.resultNames.get(step)}.carry.h`;
    const steps = this.stepsOf(step);
    return `${steps}[${steps}.length - 1]`;
  }

  private stepsOf(step: StepCall): string {
    let name = this.stepsNames.get(step);
    if (!name) {
      name = this.ctx.fresh(`${step.holder.name}Steps`);
      this.stepsNames.set(step, name);
      this.before.push(`const ${name} = ${this.ctx.tf()}.unstack(${this.resultNames.get(step)}.output, 1);`);
    }
    return name;
  }

  private collectInto(step: StepCall, array: any): void {
    const { ctx, loop } = this;
    const declares = this.resultNames.has(step) && loop.form !== 'map' && loop.form !== 'reduce';
    const stacked = declares ? findStackedCollect(ctx.j, this.statementPath, array, ctx.analysis.tf) : undefined;
    if (!stacked) {
      this.after.push(`${ctx.sourceOf(array)}.push(...${this.stepsOf(step)});`);
      return;
    }
    const into = stacked.into;
    const name = into?.name ?? stacked.name;
    const type = into?.typeAnnotation ? ctx.sourceOf(into.typeAnnotation) : '';
    this.noInline.add(name);
    this.sequences.push({ stacked, name });
    this.after.push(`${into?.kind ?? 'const'} ${name}${type} = ${this.resultNames.get(step)}.output;`);
  }
}
