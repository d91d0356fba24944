/**
 * Carry variables: their declarations, storing a step's new carry (keeping it past tidy scopes,
 * disposing the one it replaces), clearing one, the disposal after a block's last use, and the
 * tidy-up once every site is rewritten (`let c; c = v;` → `const c = v;`).
 */
import { isCall, isMember, unwrap, type AnyPath } from '../../analysis/ast.js';
import type { Holder } from '../../analysis/holders.js';
import type { HolderPlan } from '../../analysis/plan.js';
import { isNullLiteral, memberName, singleStepPlace } from './ast-edits.js';
import type { RewriteContext } from './context.js';

/** The generated carry type: apply's carry argument, `Parameters<typeof recur.apply>[1]`. */
const carryArgumentType = (ref: string): string => `Parameters<typeof ${ref}.apply>[1]`;

/** `x: Parameters<typeof …apply>[1]` (the generated carry type). */
const hasCarryArgumentType = (declarator: any): boolean => {
  const type = declarator.id.typeAnnotation?.typeAnnotation;
  return type?.type === 'TSIndexedAccessType' && type.objectType?.type === 'TSTypeReference' && type.objectType.typeName?.name === 'Parameters';
};

/**
 * `let lstmCarry: Parameters<typeof lstm.apply>[1]`: the type of apply's carry *argument* (the
 * carry's names mapped to any tensor, or undefined), so a carry built from the user's tensors
 * (`{ h: tf.tanh(context) }`, rank-erased) type-checks as it did assigned to `recur.state`.
 */
export function carryDeclaration(ctx: RewriteContext, holder: Holder, init?: string): string {
  const type = ctx.typed ? `: ${carryArgumentType(ctx.ref(holder))}` : '';
  return `let ${ctx.carryName(holder)}${type}${init ? ` = ${init}` : ''};`;
}

/**
 * Statements that store a new carry, keeping its tensors alive past an enclosing tidy scope.
 * With `disposesPrevious` the carry it replaces is disposed first (the step that read it has
 * run, and a gradient tape keeps its own copies of what it needs), as the legacy Recur did.
 */
export function storeCarry(ctx: RewriteContext, holder: Holder, value: string, keeps: boolean, disposesPrevious = false): string[] {
  const name = ctx.carryName(holder);
  const statements = [`${name} = ${value};`];
  if (disposesPrevious) statements.unshift(`${ctx.tf()}.dispose(${name});`);
  if (keeps) {
    // The old Recur kept its state alive across tf.tidy / minimize; an explicit carry must too.
    const keys = holder.cellKind === 'LSTM' ? ['h', 'c'] : holder.cellKind === 'custom' ? undefined : ['h'];
    if (keys) statements.push(keys.map((key) => `${ctx.tf()}.keep(${name}.${key});`).join(' '));
    else statements.push(`for (const tensor of Object.values(${name})) ${ctx.tf()}.keep(tensor);`);
  }
  return statements;
}

/** `carry = undefined`, disposing the carry first when nothing else can hold it (as reset() released the state). */
export function clearCarry(ctx: RewriteContext, holder: Holder): string[] {
  const name = ctx.carryName(holder);
  return ctx.disposesCarries.has(holder) ? [`${ctx.tf()}.dispose(${name});`, `${name} = undefined;`] : [`${name} = undefined;`];
}

/**
 * A carry local to a block, written by its steps, is disposed after the statement holding its
 * last use: the variable goes out of scope there (the legacy Recur released it at the next reset).
 * Where it goes is taken now, as the sibling it precedes, since the rewrite replaces statements.
 */
export function finalDisposal(ctx: RewriteContext, holderPlan: HolderPlan): { body: any[]; next: any; code: string } | undefined {
  const carry = holderPlan.carry!;
  const last = holderPlan.events[holderPlan.events.length - 1];
  if (carry.scope !== 'local' || !carry.block || carry.writes.size === 0 || !last || last.kind === 'reset' || !ctx.disposesCarries.has(holderPlan.holder)) return undefined;
  const body: any[] = (carry.block as any).body;
  let statement: AnyPath | undefined = last.path;
  while (statement && statement.parentPath?.value !== body) statement = statement.parentPath;
  if (!statement) return undefined;
  return { body, next: body[body.indexOf(statement.node) + 1], code: `${ctx.tf()}.dispose(${ctx.carryName(holderPlan.holder)});` };
}

/**
 * Whether every carry this holder's variable can hold was made by its own blocked calls and
 * reached no other code, so a replaced carry can be disposed: no `recur.state` read (the code
 * could keep the object) and no state assigned from elsewhere (the legacy Recur never disposed
 * those either), and the built-in cells' kernels return fresh tensors. Single steps must sit where
 * statements can go.
 */
export function carriesAreOwned(holderPlan: HolderPlan): boolean {
  // A user-written cell may pass a carry entry through unchanged (the new carry would share it).
  if (holderPlan.holder.cellKind === 'custom') return false;
  return holderPlan.events.every((event) => {
    if (event.kind === 'state-read') return false;
    if (event.kind === 'state-write') return isNullLiteral(event.value);
    if (event.kind === 'step' && event.site?.kind === 'single-step') return singleStepPlace(event.path) !== 'expression';
    return true;
  });
}

/** Declares each carry that lives as long as its holder's declaration, right after it. */
export function declareHolderCarries(ctx: RewriteContext, migratable: HolderPlan[]): void {
  for (const holderPlan of migratable) {
    if (holderPlan.carry!.scope === 'declaration' && holderPlan.events.length > 0) {
      holderPlan.holder.declaration!.insertAfter(ctx.statement(carryDeclaration(ctx, holderPlan.holder)));
      ctx.changed = true;
    }
  }
}

/** `let lstmCarry; lstmCarry = value;` reads better as `let lstmCarry = value;`. */
export function mergeDeclarationsWithFirstAssignment(ctx: RewriteContext): void {
  const j = ctx.j;
  for (const name of ctx.carryNames.values()) {
    ctx.analysis.root.find(j.VariableDeclarator, { id: { name } }).forEach((declarator) => {
      const declaration = declarator.parent;
      if (declarator.node.init || declaration.node.declarations.length !== 1 || !Array.isArray(declaration.parentPath?.value)) return;
      const siblings = declaration.parentPath.value;
      const next = siblings[siblings.indexOf(declaration.node) + 1];
      const assignment = next?.type === 'ExpressionStatement' ? next.expression : undefined;
      if (assignment?.type !== 'AssignmentExpression' || assignment.operator !== '=' || assignment.left.type !== 'Identifier' || assignment.left.name !== name) return;
      declarator.node.init = assignment.right;
      siblings.splice(siblings.indexOf(next), 1);
    });
  }
}

/**
 * A carry assigned only where it is declared is a `const`; one initialised with a blocked call's
 * carry (or such a const, or an object) is never undefined, so it drops its annotation and
 * keeps the type of its value (`const lstmCarry = lstm.apply(x).carry` is a strict carry).
 * Carry names are fresh in the file, so every assignment to one is generated and found here.
 */
export function constCarries(ctx: RewriteContext): void {
  const j = ctx.j;
  const root = ctx.analysis.root;
  const assigned = new Set<string>();
  root.find(j.AssignmentExpression).forEach((path: AnyPath) => {
    if (path.node.left.type === 'Identifier') assigned.add(path.node.left.name);
  });
  root.find(j.UpdateExpression).forEach((path: AnyPath) => {
    if (path.node.argument.type === 'Identifier') assigned.add(path.node.argument.name);
  });
  const constants = new Map<string, any>();
  for (const name of ctx.carryNames.values()) {
    if (assigned.has(name)) continue;
    const declarators = root.find(j.VariableDeclarator, { id: { name } } as any).paths();
    if (declarators.length !== 1) continue;
    const declarator = declarators[0]!;
    const declaration = declarator.parent.node;
    if (!declarator.node.init || declaration.kind !== 'let' || declaration.declarations.length !== 1) continue;
    declaration.kind = 'const';
    constants.set(name, declarator.node);
  }
  const isCarryValue = (init: any): boolean => {
    init = unwrap(init);
    if (init?.type === 'ObjectExpression') return true;
    if (init?.type === 'Identifier') return constants.has(init.name) && !hasCarryArgumentType(constants.get(init.name));
    if (isMember(init)) return memberName(init) === 'carry' && isCall(unwrap(init.object)) && memberName(unwrap(unwrap(init.object).callee)) === 'apply';
    if (isCall(init) && memberName(unwrap(init.callee)) === 'tidy') {
      const body = init.arguments[init.arguments.length - 1]?.body;
      return body?.type !== 'BlockStatement' && isCarryValue(body);
    }
    return false;
  };
  // Until nothing changes: `const decoderCarry = encoderCarry` follows encoderCarry.
  for (let changed = true; changed; ) {
    changed = false;
    for (const declarator of constants.values()) {
      if (hasCarryArgumentType(declarator) && isCarryValue(declarator.init)) {
        declarator.id.typeAnnotation = null;
        changed = true;
      }
    }
  }
}
