/**
 * `recur.state` reads and writes and `reset()` calls become reads, assignments and clears of the
 * holder's carry variable (a reset that still serves a holder left as it was stays in place).
 */
import type { AnyPath } from '../../analysis/ast.js';
import type { HolderPlan } from '../../analysis/plan.js';
import { isNullLiteral, replaceStatement } from './ast-edits.js';
import { carryDeclaration, clearCarry } from './carries.js';
import type { RewriteContext } from './context.js';
import { parseExpression, parseStatements } from './emit.js';

export function rewriteStateEvents(ctx: RewriteContext, holderPlan: HolderPlan): void {
  const j = ctx.j;
  const carry = holderPlan.carry!;
  const name = ctx.carryName(holderPlan.holder);
  for (const event of holderPlan.events) {
    if (event.kind === 'state-read') {
      const parent = event.path.parent.node;
      // recur.state is null when empty, the carry undefined: keep strict null checks meaning the same.
      if (parent.type === 'BinaryExpression' && /^[!=]==$/.test(parent.operator) && [parent.left, parent.right].some(isNullLiteral)) {
        parent.operator = parent.operator.slice(0, 2);
      }
      event.path.replace(j.identifier(name));
      ctx.changed = true;
    }
    if (event.kind === 'state-write') {
      const assigned = event.path.node.right; // read now: a state read inside may have been rewritten
      const value = isNullLiteral(assigned) ? undefined : ctx.sourceOf(assigned);
      const statement = event.path.parent;
      ctx.changed = true;
      if (carry.start === event) {
        if (carry.needsVariable) statement.replace(ctx.statement(carryDeclaration(ctx, holderPlan.holder, value)));
        else statement.prune();
        continue;
      }
      if (value === undefined && statement.node.type === 'ExpressionStatement') {
        replaceStatement(statement, parseStatements(j, clearCarry(ctx, holderPlan.holder).join('\n')));
        continue;
      }
      event.path.replace(parseExpression(j, `${name} = ${value ?? 'undefined'}`));
    }
  }
}

export function rewriteResets(ctx: RewriteContext, migratable: HolderPlan[]): void {
  const j = ctx.j;
  const calls = new Map<any, { call: AnyPath; replacements: string[]; keepsCall: boolean }>();
  const entryFor = (call: AnyPath) => {
    let entry = calls.get(call.node);
    if (!entry) {
      entry = { call, replacements: [], keepsCall: false };
      calls.set(call.node, entry);
    }
    return entry;
  };
  for (const holderPlan of ctx.analysis.plan.holders) {
    for (const event of holderPlan.events) {
      if (event.kind !== 'reset') continue;
      const entry = entryFor(event.call);
      if (!migratable.includes(holderPlan)) {
        entry.keepsCall = true;
        continue;
      }
      const carry = holderPlan.carry!;
      if (!carry.needsVariable) continue;
      entry.replacements.push(carry.start === event ? carryDeclaration(ctx, holderPlan.holder) : clearCarry(ctx, holderPlan.holder).join(' '));
    }
  }
  for (const { call, replacements, keepsCall } of calls.values()) {
    const statement = call.parent;
    ctx.changed = true;
    if (statement.node.type !== 'ExpressionStatement') {
      if (!keepsCall) call.replace(parseExpression(j, replacements.flatMap((code) => code.split(';').map((part) => part.trim()).filter(Boolean)).join(', ') || 'undefined'));
      continue;
    }
    const generated = parseStatements(j, replacements.join('\n'));
    if (keepsCall) {
      statement.insertAfter(...generated);
    } else {
      replaceStatement(statement, generated);
    }
  }
}
