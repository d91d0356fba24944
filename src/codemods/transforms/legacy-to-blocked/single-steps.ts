/**
 * Single steps (autoregressive loops, a last step after warm-up): each `recur.step(x)` becomes a
 * one-step blocked call, `recur.apply(tf.expandDims(x, 1), carry)`, storing its carry where a
 * statement can go and reading `carry.h` where the step's value was used.
 */
import { enclosingStatement } from '../../analysis/ast.js';
import type { Site } from '../../analysis/plan.js';
import { insertBefore, replaceStatement, singleStepPlace, unparenthesized } from './ast-edits.js';
import { storeCarry } from './carries.js';
import type { RewriteContext } from './context.js';
import { parseStatements } from './emit.js';
import { wrapBlockedCallsInTidy } from './lifetimes.js';

export function rewriteSingleSteps(ctx: RewriteContext, site: Site): void {
  const j = ctx.j;
  const steps = [...site.steps].sort((a, b) => b.node.start - a.node.start);
  for (const stepPath of steps) {
    const holder = site.holders.find((candidate) => ctx.planOf(candidate).events.some((event) => event.path.node === stepPath.node))!;
    const argument = stepPath.node.arguments[0];
    const input = `${ctx.tf()}.expandDims(${ctx.sourceOf(argument)}, 1)`;
    const { call, writes, keeps } = ctx.applyFor(holder, stepPath, input);
    const carryName = ctx.carryName(holder);
    const owned = writes && ctx.disposesCarries.has(holder);
    const disposes = owned && ctx.readsCarry(holder, stepPath);
    const tidy = ctx.wantsTidy(stepPath, [argument]);
    /** Generated code with its blocked call in a tf.tidy where one is wanted. */
    const statements = (code: string[]): any[] => {
      const nodes = parseStatements(j, code.join('\n'));
      if (tidy) wrapBlockedCallsInTidy(j, nodes, new Set([ctx.ref(holder)]), ctx.tf());
      return nodes;
    };
    const expression = (code: string): any => unparenthesized(statements([`(${code});`])[0].expression);
    /** Computes the next carry, disposes the one it replaces (when owned) and stores it. */
    const store = (): string[] => {
      if (!disposes) return storeCarry(ctx, holder, `${call}.carry`, keeps);
      const nextName = ctx.fresh(`${holder.name}Next`);
      return [`const ${nextName} = ${call}.carry;`, ...storeCarry(ctx, holder, nextName, keeps, disposes)];
    };
    // The step's value is the carry's h; a carry disposed when replaced hands out a copy.
    const value = owned ? `${ctx.tf()}.clone(${carryName}.h)` : `${carryName}.h`;
    ctx.changed = true;
    const place = singleStepPlace(stepPath);
    if (place === 'arrow-body' && owned) {
      // `(x) => gru.step(x)` gets a block body, so the carry's bookkeeping has statements to go in.
      stepPath.parent.node.body = j.blockStatement([...statements(store()), j.returnStatement(expression(value))]);
      continue;
    }
    const statement = enclosingStatement(stepPath)!;
    if (place === 'statement') {
      replaceStatement(statement, writes ? statements(store()) : []);
      continue;
    }
    if (!writes) {
      stepPath.replace(expression(`${call}.carry.h`));
      continue;
    }
    if (place === 'inside-statement') {
      insertBefore(statement, statements(store()));
      stepPath.replace(expression(value));
      continue;
    }
    // Only an expression fits here: store (and keep) the carry with a comma expression.
    const [stored, ...keep] = storeCarry(ctx, holder, `${call}.carry`, keeps).join(' ').split(';').map((part) => part.trim()).filter(Boolean);
    stepPath.replace(expression(keep.length > 0 ? `(${[stored, ...keep, `${carryName}.h`].join(', ')})` : `(${carryName} = ${call}.carry).h`));
  }
}
