/**
 * The migration plan of one file, shared by lint (`analyzeSource`) and rewrite (`migrateSource`):
 * every state event of every Recur (steps, resets, state reads and writes) in source order, the
 * sites they form (step loops, single steps), which sites are safe, and where each Recur's
 * explicit carry lives and which events must read or write it.
 */
import { ancestors, enclosingStatement, isCall, isFunctionNode, isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import { legacyExportOf, type LegacyBindings } from './bindings.js';
import { enclosingClassBody, isTypePosition, type Holder, type HolderTable } from './holders.js';
import { analyzeLoop, loopAround, type StepLoop } from './loops.js';
import type { NodeIndex } from './node-index.js';
import type { ManualReason } from '../rules.js';

export type StateEvent =
  | { kind: 'step'; holder: Holder; path: AnyPath; site?: Site }
  | { kind: 'reset'; holder: Holder; path: AnyPath; call: AnyPath }
  | { kind: 'state-read'; holder: Holder; path: AnyPath }
  | { kind: 'state-write'; holder: Holder; path: AnyPath; value: any };

export interface Site {
  kind: 'loop' | 'single-step';
  /** The loop statement / callback call, or the step call. */
  path: AnyPath;
  loop?: StepLoop;
  holders: Holder[];
  steps: AnyPath[];
  manual?: ManualReason;
  ignored?: boolean;
}

export interface CarryPlan {
  /** Where the carry variable lives: a block where every use starts from a reset, or next to the Recur. */
  scope: 'local' | 'declaration';
  /** The statement list (block / program node) of the local chain. */
  block?: AnyNode;
  /** The event whose statement becomes the carry's declaration (local chains). */
  start?: StateEvent;
  /** Per event: read the carry in / write it out / keep the tensors past a tidy scope. */
  reads: Set<StateEvent>;
  writes: Set<StateEvent>;
  keeps: Set<StateEvent>;
  needsVariable: boolean;
}

export interface HolderPlan {
  holder: Holder;
  events: StateEvent[];
  /** Undefined when migratable. */
  manual?: ManualReason;
  carry?: CarryPlan;
}

export interface FilePlan {
  holders: HolderPlan[];
  sites: Site[];
  /** Manual sites not tied to one Recur (opaque reset(model) calls, unheld Recurs). */
  strayManual: Array<{ path: AnyPath; reason: ManualReason }>;
  /** Legacy-only calls that vanish once nothing legacy is left (`configureChecker(…)`). */
  legacyOnlyStatements: AnyPath[];
  /** reset(model) calls resolved to holders. */
  resetCalls: Array<{ call: AnyPath; holders: Holder[] }>;
}

const IGNORE_MARK = 'rnn-migrate-ignore';

/** Functions that call their callback right away and do not keep it (so a step inside runs in place). */
const SYNC_CALLBACK_METHODS = new Set(['map', 'forEach', 'reduce', 'reduceRight', 'filter', 'some', 'every', 'flatMap', 'minimize', 'tidy', 'grad', 'grads', 'valueAndGrad', 'valueAndGrads', 'variableGrads', 'customGrad', 'call', 'apply']);

export function isSyncCallback(path: AnyPath): boolean {
  const parent = path.parent?.node;
  if (!parent) return false;
  if (isCall(parent) && parent.callee === path.node) return true; // an IIFE
  if (!isCall(parent) || !parent.arguments.includes(path.node)) return false;
  const callee = unwrap(parent.callee);
  const name = callee.type === 'Identifier' ? callee.name : isMember(callee) ? propertyName(callee) : undefined;
  return name !== undefined && SYNC_CALLBACK_METHODS.has(name);
}

export function buildPlan(index: NodeIndex, bindings: LegacyBindings, table: HolderTable, tfName: string | undefined): FilePlan {
  const plans = new Map<Holder, HolderPlan>(table.holders.map((holder) => [holder, { holder, events: [] }]));
  const strayManual: FilePlan['strayManual'] = [];
  const legacyOnlyStatements: AnyPath[] = [];
  const resetCalls: FilePlan['resetCalls'] = [];
  const markManual = (holder: Holder, reason: ManualReason): void => {
    const plan = plans.get(holder)!;
    plan.manual ??= reason;
  };

  // 1. Every reference to a holder, classified.
  const visitReference = (path: AnyPath, holder: Holder): void => {
    const parent = path.parent.node;
    if (isMember(parent) && parent.object === path.node) {
      const member = propertyName(parent);
      const memberPath = path.parent;
      if (member === undefined) return markManual(holder, 'dynamic-property');
      if (member === 'step' && isCall(memberPath.parent.node) && memberPath.parent.node.callee === parent) {
        plans.get(holder)!.events.push({ kind: 'step', holder, path: memberPath.parent });
      } else if (member === 'reset' && isCall(memberPath.parent.node)) {
        plans.get(holder)!.events.push({ kind: 'reset', holder, path: memberPath.parent, call: memberPath.parent });
      } else if (member === 'state') {
        const grand = memberPath.parent.node;
        if (grand.type === 'AssignmentExpression' && grand.left === parent) {
          if (grand.operator !== '=') return markManual(holder, 'unsupported-loop');
          plans.get(holder)!.events.push({ kind: 'state-write', holder, path: memberPath.parent, value: grand.right });
        } else {
          plans.get(holder)!.events.push({ kind: 'state-read', holder, path: memberPath });
        }
      }
      return; // .apply, .cell, … are stateless
    }
    // The Recur itself handed somewhere: only `reset(recur)` is understood.
    if (isLegacyResetCall(parent, path)) {
      plans.get(holder)!.events.push({ kind: 'reset', holder, path: path.parent, call: path.parent });
      resetCalls.push({ call: path.parent, holders: [holder] });
      return;
    }
    if (parent.type === 'ExportSpecifier' || parent.type === 'ExportDefaultDeclaration') return markManual(holder, 'cross-file-recur');
    markManual(holder, 'recur-escapes');
  };
  const isLegacyResetCall = (parent: any, path: AnyPath): boolean =>
    isCall(parent) && parent.arguments.length === 1 && parent.arguments[0] === path.node && legacyExportOf(bindings, parent.callee, path.parent) === 'reset';

  // Scope lookups are the expensive part: only names that can be a holder or its owner get one.
  const interesting = new Set(table.holders.flatMap((holder) => (holder.kind === 'variable' ? [holder.name] : holder.owner ? [holder.owner] : [])));
  index.of('Identifier').forEach((path) => {
    if (!interesting.has(path.node.name)) return;
    const parent = path.parent.node;
    if (isMember(parent) && parent.property === path.node && !parent.computed) return;
    if ((parent.type === 'ObjectProperty' || parent.type === 'Property' || parent.type === 'ClassProperty') && parent.key === path.node && !parent.computed) return;
    if (parent.type === 'VariableDeclarator' && parent.id === path.node) return;
    if (isFunctionNode(parent) && parent.params.includes(path.node)) return; // a parameter's declaration
    if (isTypePosition(path) || /^(ImportSpecifier|ImportDefaultSpecifier|ImportNamespaceSpecifier)$/.test(parent.type)) return;
    const holder = table.holderForReference(path);
    if (holder) {
      if (parent.type === 'AssignmentExpression' && parent.left === path.node) return markManual(holder, 'unsupported-loop');
      return visitReference(path, holder);
    }
    // An owner object of property holders: `reset(model)` is understood, anything else lets them escape.
    const owned = table.holdersOwnedBy(path, path.node.name);
    if (owned.length === 0) return;
    if (isMember(parent) && parent.object === path.node) {
      const name = propertyName(parent);
      if (name === undefined) owned.forEach((holder) => markManual(holder, 'dynamic-property'));
      const holderHere = owned.find((candidate) => candidate.name === name);
      if (holderHere) {
        const grand = path.parent.parent.node;
        if (grand.type === 'AssignmentExpression' && grand.left === parent) return; // the construction
        visitReference(path.parent, holderHere);
      }
      return;
    }
    if (isLegacyResetCall(parent, path)) {
      for (const holder of owned) plans.get(holder)!.events.push({ kind: 'reset', holder, path: path.parent, call: path.parent });
      resetCalls.push({ call: path.parent, holders: owned });
      return;
    }
    if (parent.type === 'VariableDeclarator' && parent.id === path.node) return;
    owned.forEach((holder) => markManual(holder, parent.type === 'ExportSpecifier' ? 'cross-file-recur' : 'recur-escapes'));
  });
  index.of('MemberExpression').forEach((path) => {
    const object = unwrap(path.node.object);
    if (object.type !== 'ThisExpression') return;
    const holder = table.holderForReference(path);
    if (holder) {
      if (path.parent.node.type === 'AssignmentExpression' && path.parent.node.left === path.node) return; // the construction
      return visitReference(path, holder);
    }
    if (path.node.computed && table.fieldsOf(enclosingClassBody(path)).length > 0 && propertyName(path.node) === undefined) {
      table.fieldsOf(enclosingClassBody(path)).forEach((field) => markManual(field, 'dynamic-property'));
    }
  });
  // Class-held Recurs touched from outside the class (`model.encoder.step(x)`) are not followed.
  index.of('MemberExpression').forEach((path) => {
    const name = propertyName(path.node);
    if (unwrap(path.node.object).type === 'ThisExpression' || !name) return;
    for (const holder of table.holders) {
      if (holder.kind === 'field' && holder.name === name) markManual(holder, 'recur-escapes');
    }
  });
  // Calls to legacy functions that are not per-Recur.
  index.of('CallExpression').forEach((path) => {
    const exported = legacyExportOf(bindings, path.node.callee, path);
    if (exported === 'reset') {
      if (resetCalls.some((call) => call.call.node === path.node)) return;
      const argument = unwrap(path.node.arguments[0]);
      if (argument?.type === 'ThisExpression') {
        const fields = table.fieldsOf(enclosingClassBody(path));
        for (const holder of fields) plans.get(holder)!.events.push({ kind: 'reset', holder, path, call: path });
        resetCalls.push({ call: path, holders: fields });
        return;
      }
      strayManual.push({ path, reason: 'opaque-reset' });
    }
    if (exported === 'configureChecker' && path.parent.node.type === 'ExpressionStatement') legacyOnlyStatements.push(path.parent);
  });
  for (const construction of table.unheldConstructions) strayManual.push({ path: construction.path, reason: 'recur-escapes' });

  for (const plan of plans.values()) {
    // `export const lstm = LSTM(…)`: other files may step it or read its state.
    if (plan.holder.declaration?.parent?.node.type === 'ExportNamedDeclaration' && plan.events.length > 0) plan.manual ??= 'cross-file-recur';
    plan.events.sort((a, b) => a.path.node.start - b.path.node.start);
    if (!plan.holder.constructionVisible && plan.events.length > 0) plan.manual ??= 'cross-file-recur';
  }

  // 2. Sites: group steps by loop.
  const sites: Site[] = [];
  const siteByNode = new Map<AnyNode, Site>();
  for (const plan of plans.values()) {
    for (const event of plan.events) {
      if (event.kind !== 'step') continue;
      const around = loopAround(event.path);
      const key = around ? around.path.node : event.path.node;
      let site = siteByNode.get(key);
      if (!site) {
        site = { kind: around ? 'loop' : 'single-step', path: around ? (around.kind === 'callback' ? around.call : around.path) : event.path, holders: [], steps: [] };
        siteByNode.set(key, site);
        sites.push(site);
      }
      if (!site.holders.includes(plan.holder)) site.holders.push(plan.holder);
      site.steps.push(event.path);
      event.site = site;
    }
  }
  for (const site of sites) {
    if (hasIgnoreMark(site.path)) {
      site.ignored = true;
      continue;
    }
    const holderReason = site.holders.map((holder) => plans.get(holder)!.manual).find(Boolean);
    if (holderReason) {
      site.manual = holderReason;
      continue;
    }
    if (site.kind === 'loop') {
      const around = loopAround(site.steps[0]!)!;
      const bodyNode = around.path.node.body;
      const stateEventsInside = site.holders.some((holder) =>
        plans.get(holder)!.events.some((event) => event.kind !== 'step' && bodyNode.start <= event.path.node.start && event.path.node.end <= bodyNode.end),
      );
      const verdict = analyzeLoop(around, {
        steps: site.steps.map((path) => ({ holder: site.holders.find((holder) => plans.get(holder)!.events.some((event) => event.path === path))!, path })),
        stateEventsInside,
        tfName,
        sameExpression: (a, b) => sourceOf(a) === sourceOf(b),
      });
      if (verdict.ok) site.loop = verdict.loop;
      else if (verdict.reason === 'per-step') {
        if (stateEventsInside) site.manual = 'state-read-mid-loop';
        else site.kind = 'single-step';
      } else site.manual = verdict.reason;
    }
    if (site.kind === 'single-step') {
      if (site.holders.some((holder) => holder.cellKind === 'custom')) site.manual = 'unknown-cell-output';
      if (site.steps.some((step) => step.node.arguments.length !== 1)) site.manual = 'unsupported-loop';
    }
  }

  // 3. A Recur is migrated only when all its sites are; a loop only when all its Recurs are.
  let changed = true;
  while (changed) {
    changed = false;
    for (const site of sites) {
      const blocked = site.ignored || site.manual !== undefined;
      for (const holder of site.holders) {
        const plan = plans.get(holder)!;
        if (blocked && !plan.manual) {
          plan.manual = site.ignored ? 'recur-escapes' : site.manual!;
          changed = true;
        }
        if (plan.manual && !blocked) {
          site.manual = plan.manual;
          changed = true;
        }
      }
    }
    for (const plan of plans.values()) {
      if (plan.manual) continue;
      const carry = planCarry(plan);
      if (typeof carry === 'string') {
        plan.manual = carry;
        changed = true;
      } else plan.carry = carry;
    }
  }
  for (const plan of plans.values()) if (plan.manual) delete plan.carry;

  return { holders: [...plans.values()], sites, strayManual, legacyOnlyStatements, resetCalls };
}

const sourceOf = (node: any): string => JSON.stringify(stripPositions(unwrap(node)));
function stripPositions(node: any): unknown {
  if (!node || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map(stripPositions);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    if (/^(loc|start|end|range|extra|comments|leadingComments|trailingComments|tokens|typeAnnotation)$/.test(key)) continue;
    copy[key] = stripPositions(node[key]);
  }
  return copy;
}

export function hasIgnoreMark(path: AnyPath): boolean {
  const statement = enclosingStatement(path);
  const nodes = [path.node, statement?.node].filter(Boolean);
  return nodes.some((node: any) => (node.comments ?? node.leadingComments ?? []).some((comment: any) => comment.leading !== false && String(comment.value).includes(IGNORE_MARK)));
}

/** The statement an event is attached to (the loop for loop sites). */
function eventStatement(event: StateEvent): AnyPath | undefined {
  if (event.kind === 'step' && event.site?.kind === 'loop') return enclosingStatement(event.site.path);
  return enclosingStatement(event.path);
}

const isBlockNode = (node: AnyNode): boolean => node.type === 'BlockStatement' || node.type === 'Program' || node.type === 'StaticBlock';

function blocksAround(path: AnyPath): AnyNode[] {
  return [...ancestors(path)].map((ancestor) => ancestor.node).filter(isBlockNode);
}

/** Does a path reach `block` crossing only functions that run in place (tidy, minimize, map…)? */
function functionsBetween(path: AnyPath, block: AnyNode): { any: boolean; allSync: boolean } {
  let any = false;
  let allSync = true;
  for (const ancestor of ancestors(path)) {
    if (ancestor.node === block) break;
    if (isFunctionNode(ancestor.node)) {
      any = true;
      if (!isSyncCallback(ancestor)) allSync = false;
    }
  }
  return { any, allSync };
}

/** Whether an event runs in a function that is stored or passed on (not a method, not a callback run in place). */
const inEscapingClosure = (event: StateEvent): boolean =>
  [...ancestors(event.path)].some((ancestor) => isFunctionNode(ancestor.node) && ancestor.parent?.node.type !== 'ClassMethod' && ancestor.node.type !== 'ClassMethod' && !isSyncCallback(ancestor));

/**
 * Whether the Recur comes into being exactly when its declaration statement runs, so a carry
 * declared right after it lives exactly as long: a single construction inside that statement,
 * and no `var` in a nested block (its binding outlives the block, one carry per entry would not).
 */
function createdWithDeclaration(holder: Holder): boolean {
  const declaration = holder.declaration!;
  const node = declaration.node;
  if (holder.constructions.length !== 1) return false;
  const construction = holder.constructions[0]!.path.node;
  if (!(node.start <= construction.start && construction.end <= node.end)) return false;
  if (node.type === 'VariableDeclaration' && node.kind === 'var') {
    const block = declaration.parentPath.parentPath;
    return block.node.type === 'Program' || isFunctionNode(block.parent?.node ?? {});
  }
  return true;
}

/**
 * Where the carry lives. A local chain: the narrowest block holding every event, whose first
 * event is a reset (or a state write) directly in it; the carry is declared there and the state
 * before it never matters. Otherwise the carry sits next to the Recur's own declaration, which
 * is always faithful (it lives exactly as long as the Recur).
 */
function planCarry(plan: HolderPlan): CarryPlan | ManualReason {
  const { events, holder } = plan;
  const carry: CarryPlan = { scope: 'local', reads: new Set(), writes: new Set(), keeps: new Set(), needsVariable: false };
  if (events.length === 0) return carry;
  const statements = events.map(eventStatement);
  if (statements.some((statement) => !statement)) return 'unsupported-loop';

  let common = blocksAround(statements[0]!);
  for (const statement of statements.slice(1)) {
    const blocks = new Set(blocksAround(statement!));
    common = common.filter((block) => blocks.has(block));
  }
  const block = common[0];
  const first = events[0]!;
  const straight = (index: number): boolean => statements[index]!.parentPath.parentPath.node === block;
  const localChain =
    block !== undefined &&
    (first.kind === 'reset' || first.kind === 'state-write') &&
    straight(0) &&
    statements[0]!.node.type === 'ExpressionStatement' &&
    events.every((event) => functionsBetween(event.path, block).allSync);

  if (localChain) {
    carry.block = block;
    carry.start = first;
    events.forEach((event, index) => {
      const isStep = event.kind === 'step';
      const previous = events[index - 1];
      const next = events[index + 1];
      const previousClears = previous !== undefined && previous.kind === 'reset' && straight(index - 1);
      if ((isStep || event.kind === 'state-read') && !(isStep && straight(index) && previousClears)) carry.reads.add(event);
      const nextClears = next === undefined || (straight(index + 1) && (next.kind === 'reset' || next.kind === 'state-write'));
      if (isStep && !(straight(index) && nextClears)) carry.writes.add(event);
      if (carry.writes.has(event) && functionsBetween(event.path, block).any) carry.keeps.add(event);
    });
  } else {
    if (holder.kind === 'field') return events.some(inEscapingClosure) ? 'escaping-closure' : 'state-across-methods';
    if (!holder.declaration || !holder.constructionVisible) return 'cross-file-recur';
    if (!Array.isArray(holder.declaration.parentPath?.value)) return 'unsupported-loop';
    // A carry next to the declaration mirrors the Recur's state only if both are created together:
    // one construction, inside that declaration, binding the name in the block the carry joins.
    if (!createdWithDeclaration(holder)) return events.some(inEscapingClosure) ? 'escaping-closure' : 'unsupported-loop';
    carry.scope = 'declaration';
    const declarationBlock = holder.declaration.parentPath.parentPath.node;
    for (const event of events) {
      if (event.kind === 'step' || event.kind === 'state-read') carry.reads.add(event);
      if (event.kind === 'step') {
        carry.writes.add(event);
        if (functionsBetween(event.path, declarationBlock).any) carry.keeps.add(event);
      }
    }
  }
  carry.needsVariable = carry.reads.size > 0 || events.some((event) => event.kind === 'state-write' && event !== carry.start) || (carry.start?.kind === 'state-write' && carry.reads.size > 0);
  if (carry.scope === 'declaration') carry.needsVariable = true;
  return carry;
}
