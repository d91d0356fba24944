/**
 * The rewrite: applies a file's migration plan. Step loops become blocked calls, single steps
 * become one-step blocked calls, resets and `.state` become explicit carry variables, and imports
 * move to 'rnn-migrate' once nothing legacy is left. Only the rewritten statements are reprinted
 * (recast keeps everything else byte for byte); unsafe sites are left as they were.
 */
import type { JSCodeshift } from 'jscodeshift';
import { analyzeTree, manualFinding, manualSites, type FileAnalysis } from '../../analysis/index.js';
import { collectNames, enclosingStatement, freshName, isCall, isFunctionNode, isMember, propertyName, unwrap, type AnyPath } from '../../analysis/ast.js';
import type { Holder } from '../../analysis/holders.js';
import type { StepCall, StepLoop } from '../../analysis/loops.js';
import type { HolderPlan, Site, StateEvent } from '../../analysis/plan.js';
import type { Finding } from '../../findings.js';
import { dialectFor } from '../../parser.js';
import { parseExpression, parseStatements, printStyleOf } from './emit.js';
import { insertTodoLines } from './todos.js';
import { migrateImports } from './imports.js';
import { insideTidyScope, isEvaluatedFirst, isInert, wrapBlockedCallsInTidy } from './lifetimes.js';
import { findStackedCollect, type StackedCollect } from './stacked-collect.js';

export interface MigrateFileOptions {
  insertTodos?: boolean;
}

export function migrateFile(source: string, filePath: string, options: MigrateFileOptions): { output: string; findings: Finding[] } {
  const analysis = analyzeTree(source, filePath);
  const manual = manualSites(analysis.plan);
  let output = source;
  if (options.insertTodos && manual.length > 0) {
    const marked = insertTodoLines(source, manual);
    if (marked !== source) output = migrateFile(marked, filePath, {}).output;
  }
  if (output === source && new Rewriter(analysis, dialectFor(filePath) !== 'js').run()) output = analysis.root.toSource(printStyleOf(source));
  if (output === source) return { output, findings: manual.map(manualFinding) };
  // Findings point into the file as written: the sites are left byte for byte, so analysing the
  // output finds the same sites, at the lines an editor shows after the rewrite (TODO lines included).
  return { output, findings: manualSites(analyzeTree(output, filePath).plan).map(manualFinding) };
}

const CONDITIONAL = /^(IfStatement|ConditionalExpression|LogicalExpression|SwitchStatement|TryStatement|ForStatement|ForOfStatement|ForInStatement|WhileStatement|DoWhileStatement|OptionalCallExpression|OptionalMemberExpression)$/;

class Rewriter {
  private readonly j: JSCodeshift;
  private readonly names: Set<string>;
  private readonly carryNames = new Map<Holder, string>();
  /** Holders whose replaced carries are disposed (nothing but the carry variable can hold them). */
  private readonly disposesCarries = new Set<Holder>();
  private tfName: string | undefined;
  private tfNeeded = false;
  private changed = false;
  /** Statements removed once every site is rewritten (final disposals are placed relative to them first). */
  private readonly removals: AnyPath[] = [];

  constructor(
    private readonly analysis: FileAnalysis,
    private readonly typed: boolean,
  ) {
    this.j = analysis.j;
    this.names = collectNames(analysis.root.get().node);
    this.tfName = analysis.tf.namespace;
  }

  run(): boolean {
    const { plan } = this.analysis;
    const migratable = plan.holders.filter((holderPlan) => !holderPlan.manual && holderPlan.carry);
    for (const holderPlan of migratable) this.carryNames.set(holderPlan.holder, freshName(`${holderPlan.holder.name}Carry`, this.names));
    for (const holderPlan of migratable) if (carriesAreOwned(holderPlan)) this.disposesCarries.add(holderPlan.holder);

    const finalDisposals = migratable.flatMap((holderPlan) => this.finalDisposal(holderPlan) ?? []);
    // Sites first (they read the plan's paths), then state events, resets and declarations.
    for (const site of plan.sites) {
      if (site.ignored || site.manual) continue;
      if (site.kind === 'loop' && site.loop) this.rewriteLoop(site.loop);
      else this.rewriteSingleSteps(site);
    }
    for (const holderPlan of migratable) this.rewriteStateEvents(holderPlan);
    this.rewriteResets(migratable);
    for (const holderPlan of migratable) {
      if (holderPlan.carry!.scope === 'declaration' && holderPlan.events.length > 0) {
        holderPlan.holder.declaration!.insertAfter(this.statement(this.carryDeclaration(holderPlan.holder)));
        this.changed = true;
      }
    }
    for (const { body, next, code } of finalDisposals) {
      const index = next === undefined ? body.length : body.indexOf(next);
      if (index >= 0) body.splice(index, 0, this.statement(code));
    }
    for (const path of this.removals) removeStatement(path);
    this.mergeDeclarationsWithFirstAssignment();
    this.constCarries();
    if (this.tfNeeded && !this.analysis.tf.namespace) this.addTfImport();
    if (this.changed || plan.holders.every((holderPlan) => !holderPlan.manual)) {
      this.changed = migrateImports(this.analysis) || this.changed;
    }
    return this.changed;
  }

  // ---- names and small code builders ------------------------------------------------------------

  private tf(): string {
    this.tfNeeded = true;
    this.tfName ??= freshName('tf', this.names);
    return this.tfName;
  }

  private ref(holder: Holder): string {
    if (holder.kind === 'field') return `this.${holder.name}`;
    if (holder.kind === 'property') return `${holder.owner}.${holder.name}`;
    return holder.name;
  }

  /**
   * `let lstmCarry: Parameters<typeof lstm.apply>[1]`: the type of apply's carry *argument* (the
   * carry's names mapped to any tensor, or undefined), so a carry built from the user's tensors
   * (`{ h: tf.tanh(context) }`, rank-erased) type-checks as it did assigned to `recur.state`.
   */
  private carryDeclaration(holder: Holder, init?: string): string {
    const type = this.typed ? `: ${carryArgumentType(this.ref(holder))}` : '';
    return `let ${this.carryNames.get(holder)}${type}${init ? ` = ${init}` : ''};`;
  }

  private planOf(holder: Holder): HolderPlan {
    return this.analysis.plan.holders.find((candidate) => candidate.holder === holder)!;
  }

  private eventOf(holder: Holder, path: AnyPath): StateEvent {
    return this.planOf(holder).events.find((event) => event.path.node === path.node)!;
  }

  /** `recur.apply(input, carry?)` and whether the carry is written back (and kept past tidy scopes). */
  private applyFor(holder: Holder, stepPath: AnyPath, input: string): { call: string; writes: boolean; keeps: boolean } {
    const carry = this.planOf(holder).carry!;
    const event = this.eventOf(holder, stepPath);
    const carryIn = carry.reads.has(event) ? `, ${this.carryNames.get(holder)}` : '';
    return { call: `${this.ref(holder)}.apply(${input}${carryIn})`, writes: carry.writes.has(event), keeps: carry.keeps.has(event) };
  }

  /**
   * A carry local to a block, written by its steps, is disposed after the statement holding its
   * last use: the variable goes out of scope there (the legacy Recur released it at the next reset).
   * Where it goes is taken now, as the sibling it precedes, since the rewrite replaces statements.
   */
  private finalDisposal(holderPlan: HolderPlan): { body: any[]; next: any; code: string } | undefined {
    const carry = holderPlan.carry!;
    const last = holderPlan.events[holderPlan.events.length - 1];
    if (carry.scope !== 'local' || !carry.block || carry.writes.size === 0 || !last || last.kind === 'reset' || !this.disposesCarries.has(holderPlan.holder)) return undefined;
    const body: any[] = carry.block.type === 'Program' ? (carry.block as any).body : (carry.block as any).body;
    let statement: AnyPath | undefined = last.path;
    while (statement && statement.parentPath?.value !== body) statement = statement.parentPath;
    if (!statement) return undefined;
    return { body, next: body[body.indexOf(statement.node) + 1], code: `${this.tf()}.dispose(${this.carryNames.get(holderPlan.holder)});` };
  }

  private readsCarry(holder: Holder, stepPath: AnyPath): boolean {
    return this.planOf(holder).carry!.reads.has(this.eventOf(holder, stepPath));
  }

  /**
   * Statements that store a new carry, keeping its tensors alive past an enclosing tidy scope.
   * With `disposesPrevious` the carry it replaces is disposed first (the step that read it has
   * run, and a gradient tape keeps its own copies of what it needs), as the legacy Recur did.
   */
  private storeCarry(holder: Holder, value: string, keeps: boolean, disposesPrevious = false): string[] {
    const name = this.carryNames.get(holder)!;
    const statements = [`${name} = ${value};`];
    if (disposesPrevious) statements.unshift(`${this.tf()}.dispose(${name});`);
    if (keeps) {
      // The old Recur kept its state alive across tf.tidy / minimize; an explicit carry must too.
      const keys = holder.cellKind === 'LSTM' ? ['h', 'c'] : holder.cellKind === 'custom' ? undefined : ['h'];
      if (keys) statements.push(keys.map((key) => `${this.tf()}.keep(${name}.${key});`).join(' '));
      else statements.push(`for (const tensor of Object.values(${name})) ${this.tf()}.keep(tensor);`);
    }
    return statements;
  }

  /**
   * A `// text` comment to follow a generated statement on its line: taken from a parsed scratch
   * statement, whose layout gives recast the space before `//` (a bare comment node prints glued on).
   */
  private trailingComment(text: string): any[] {
    const program = this.j(`x; //${text}`).get().node.program;
    return (program.body[0].comments ?? []).filter((comment: any) => comment.trailing);
  }

  private statement(code: string): any {
    return parseStatements(this.j, code)[0];
  }

  private sourceOf(node: any): string {
    return this.j(node).toSource();
  }

  // ---- step loops -------------------------------------------------------------------------------

  /** Whether a blocked call at `path` goes in a tf.tidy: outside any tidy scope, reading only inert user code. */
  private wantsTidy(path: AnyPath, userNodes: any[]): boolean {
    return !insideTidyScope(path) && userNodes.every((node) => isInert(node, this.analysis.tf.namespace));
  }

  /**
   * A loop's sequence expression that calls user code (`for (const x of batches(i))`) moves into a
   * `const` before the blocked call when it is evaluated first anyway, so the tf.tidy around the
   * call cannot dispose a tensor that code keeps. Returns the hoisting statement, if any.
   */
  private hoistSequence(loop: StepLoop, statementPath: AnyPath): string | undefined {
    const node = loop.sequence.node;
    if (isInert(node, this.analysis.tf.namespace) || insideTidyScope(loop.path)) return undefined;
    const firstInLoop = loop.form === 'for-of' && loop.path.node.right === node;
    if (!firstInLoop && !((loop.form === 'map' || loop.form === 'forEach' || loop.form === 'reduce') && isEvaluatedFirst(statementPath.node, node))) return undefined;
    const name = freshName(`${loop.steps[0]!.holder.name}Inputs`, this.names);
    const hoisted = `const ${name} = ${this.sourceOf(node)};`;
    loop.sequence = { ...loop.sequence, node: this.j.identifier(name) };
    return hoisted;
  }

  private sequenceCode(loop: StepLoop): string {
    const { sequence } = loop;
    const base = this.sourceOf(sequence.node);
    if (sequence.kind === 'array') {
      const items = sequence.limit ? `${base}.slice(0, ${this.sourceOf(sequence.limit)})` : base;
      return `${this.tf()}.stack(${items}, 1)`;
    }
    return sequence.limit ? `${base}.slice([0, 0, 0], [-1, ${this.sourceOf(sequence.limit)}, -1])` : base;
  }

  private rewriteLoop(loop: StepLoop): void {
    const j = this.j;
    const statementPath = loop.form === 'for-of' || loop.form === 'for-index' ? loop.path : enclosingStatement(loop.path)!;
    const hoisted = this.hoistSequence(loop, statementPath);
    const before: string[] = hoisted ? [hoisted] : [];
    const tidy = this.wantsTidy(loop.path, [loop.sequence.node, loop.sequence.limit]);
    const resultNames = new Map<StepCall, string>();
    const stepsNames = new Map<StepCall, string>();
    /** Steps whose result is the stored carry itself (`const lstmNext = lstm.apply(…).carry`). */
    const storedCarries = new Set<StepCall>();
    const noInline = new Set<string>(hoisted ? [/^const (\w+)/.exec(hoisted)![1]!] : []);
    const sequence = this.sequenceCode(loop);
    const lastOf = (step: StepCall): string => {
      if (storedCarries.has(step)) {
        const h = `${this.carryNames.get(step.holder)}.h`;
        return this.disposesCarries.has(step.holder) ? `${this.tf()}.clone(${h})` : h; // a copy of a carry disposed when replaced
      }
      if (step.holder.cellKind !== 'custom') return `${resultNames.get(step)}.carry.h`;
      const steps = stepsOf(step);
      return `${steps}[${steps}.length - 1]`;
    };
    const stepsOf = (step: StepCall): string => {
      let name = stepsNames.get(step);
      if (!name) {
        name = freshName(`${step.holder.name}Steps`, this.names);
        stepsNames.set(step, name);
        before.push(`const ${name} = ${this.tf()}.unstack(${resultNames.get(step)}.output, 1);`);
      }
      return name;
    };
    const after: string[] = [];
    let expressionValue: string | undefined;
    /** Arrays that only held the outputs to stack them on the time axis: they become the sequence. */
    const sequences: Array<{ stacked: StackedCollect; name: string }> = [];
    const collectInto = (step: StepCall, array: any): void => {
      const declares = resultNames.has(step) && loop.form !== 'map' && loop.form !== 'reduce';
      const stacked = declares ? findStackedCollect(j, statementPath, array, this.analysis.tf) : undefined;
      if (!stacked) {
        after.push(`${this.sourceOf(array)}.push(...${stepsOf(step)});`);
        return;
      }
      const into = stacked.into;
      const name = into?.name ?? stacked.name;
      const type = into?.typeAnnotation ? this.sourceOf(into.typeAnnotation) : '';
      noInline.add(name);
      sequences.push({ stacked, name });
      after.push(`${into?.kind ?? 'const'} ${name}${type} = ${resultNames.get(step)}.output;`);
    };

    for (const step of loop.steps) {
      const input = step.input.kind === 'sequence' ? sequence : `${resultNames.get((step.input as { from: StepCall }).from)}.output`;
      const { call, writes, keeps } = this.applyFor(step.holder, step.path, input);
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
      const owned = writes && this.disposesCarries.has(step.holder);
      const disposes = owned && this.readsCarry(step.holder, step.path);
      const readsOutput = feedsLater || loop.hasResidual || step.holder.cellKind === 'custom' || step.use.kind === 'collect' ||
        (step.use.kind === 'callback-result' && loop.form === 'map') || consumers.some((consumer) => consumer.kind === 'collect');
      if (writes && !readsOutput) {
        // Only the carry is read: store it (disposing the one it replaces), read its h.
        storedCarries.add(step);
        if (disposes) {
          const nextName = freshName(`${step.holder.name}Next`, this.names);
          noInline.add(nextName);
          before.push(`const ${nextName} = ${call}.carry;`, ...this.storeCarry(step.holder, nextName, keeps, true));
        } else {
          before.push(...this.storeCarry(step.holder, `${call}.carry`, keeps));
        }
      } else {
        const resultName = freshName(`${step.holder.name}Result`, this.names);
        resultNames.set(step, resultName);
        if (disposes) noInline.add(resultName);
        before.push(`const ${resultName} = ${call};`);
        if (writes) before.push(...this.storeCarry(step.holder, `${resultName}.carry`, keeps, disposes));
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

    this.changed = true;
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
    const layerRefs = new Set(loop.steps.map((step) => this.ref(step.holder)));
    let valueStatement = code.expression === undefined ? undefined : parseStatements(j, `(${code.expression});`)[0];
    if (tidy) wrapBlockedCallsInTidy(j, valueStatement ? [...generated, valueStatement] : generated, layerRefs, this.tf());
    if (loop.hasResidual) {
      this.keepLoopReadingSteps(loop, stepsNames);
      insertBefore(statementPath, generated);
      return;
    }
    if (loop.form === 'map' || loop.form === 'reduce') {
      // The call is a value: the per-step outputs (map) or the last output (reduce).
      replaced.replace(valueStatement ? unparenthesized(valueStatement.expression) : parseExpression(j, 'undefined'));
      insertBefore(statementPath, generated);
      return;
    }
    for (const sequence of sequences) this.declareSequence(sequence.stacked, sequence.name, generated, statementPath);
    replaceStatement(statementPath, generated);
  }

  /**
   * The collected array becomes the output sequence: declared by the generated statement, its
   * one `tf.stack(outputs, 1)` reads it directly, and the empty array's declaration (and an
   * adopted `const hidden = tf.stack(outputs, 1)`) go, their comments moving onto the new one.
   */
  private declareSequence(stacked: StackedCollect, name: string, generated: any[], loopStatement: AnyPath): void {
    const statement = generated.find((node) => node.type === 'VariableDeclaration' && node.declarations[0]?.id.name === name);
    if (!statement) return;
    const leading = (node: any): any[] => (node.comments ?? []).filter((comment: any) => comment.leading);
    // Comments above the removed declarations go above the generated code, as the loop's do.
    const moved = [...leading(stacked.declaration.node), ...(stacked.into ? leading(stacked.into.declaration.node) : [])];
    if (moved.length > 0) loopStatement.node.comments = [...moved, ...(loopStatement.node.comments ?? [])];
    let trailing: any[] = [];
    if (stacked.into) {
      trailing = (stacked.into.declaration.node.comments ?? []).filter((comment: any) => comment.trailing);
      this.removals.push(stacked.into.declaration);
    } else {
      stacked.stackCall.replace(this.j.identifier(name));
    }
    if (trailing.length === 0) trailing = this.trailingComment(' [batch, time, hidden]');
    statement.comments = [...(statement.comments ?? []), ...trailing];
    this.removals.push(stacked.declaration);
  }

  /** Keeps a loop whose body does more than step: each step call now reads the blocked output. */
  private keepLoopReadingSteps(loop: StepLoop, stepsNames: Map<StepCall, string>): void {
    const j = this.j;
    const index = this.loopIndex(loop);
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
      if (!this.j(body).find(j.Identifier, { name }).filter((path) => path.parent.node !== extraction.node.declarations[0]).size()) extraction.prune();
    }
  }

  private loopIndex(loop: StepLoop): string {
    if (loop.indexName) return loop.indexName;
    const j = this.j;
    if (loop.form === 'for-of') {
      const node = loop.path.node;
      const index = freshName('t', this.names);
      const declaration = node.left;
      const element = declaration.declarations[0].id;
      declaration.declarations[0].id = j.arrayPattern([j.identifier(index), element]);
      node.right = parseExpression(j, `${this.sourceOf(node.right)}.entries()`);
      return index;
    }
    const fn = loop.callback!.node;
    const position = loop.form === 'reduce' ? 2 : 1;
    const existing = fn.params[position];
    if (existing?.type === 'Identifier') return existing.name;
    const index = freshName('t', this.names);
    while (fn.params.length < position) fn.params.push(j.identifier(`_${fn.params.length}`));
    fn.params.push(j.identifier(index));
    return index;
  }

  // ---- single steps (autoregressive loops, a last step after warm-up) ------------------------

  private rewriteSingleSteps(site: Site): void {
    const j = this.j;
    const steps = [...site.steps].sort((a, b) => b.node.start - a.node.start);
    for (const stepPath of steps) {
      const holder = site.holders.find((candidate) => this.planOf(candidate).events.some((event) => event.path.node === stepPath.node))!;
      const argument = stepPath.node.arguments[0];
      const input = `${this.tf()}.expandDims(${this.sourceOf(argument)}, 1)`;
      const { call, writes, keeps } = this.applyFor(holder, stepPath, input);
      const carryName = this.carryNames.get(holder)!;
      const owned = writes && this.disposesCarries.has(holder);
      const disposes = owned && this.readsCarry(holder, stepPath);
      const tidy = this.wantsTidy(stepPath, [argument]);
      /** Generated code with its blocked call in a tf.tidy where one is wanted. */
      const statements = (code: string[]): any[] => {
        const nodes = parseStatements(j, code.join('\n'));
        if (tidy) wrapBlockedCallsInTidy(j, nodes, new Set([this.ref(holder)]), this.tf());
        return nodes;
      };
      const expression = (code: string): any => unparenthesized(statements([`(${code});`])[0].expression);
      /** Computes the next carry, disposes the one it replaces (when owned) and stores it. */
      const store = (): string[] => {
        if (!disposes) return this.storeCarry(holder, `${call}.carry`, keeps);
        const nextName = freshName(`${holder.name}Next`, this.names);
        return [`const ${nextName} = ${call}.carry;`, ...this.storeCarry(holder, nextName, keeps, disposes)];
      };
      // The step's value is the carry's h; a carry disposed when replaced hands out a copy.
      const value = owned ? `${this.tf()}.clone(${carryName}.h)` : `${carryName}.h`;
      this.changed = true;
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
      const [stored, ...keep] = this.storeCarry(holder, `${call}.carry`, keeps).join(' ').split(';').map((part) => part.trim()).filter(Boolean);
      stepPath.replace(expression(keep.length > 0 ? `(${[stored, ...keep, `${carryName}.h`].join(', ')})` : `(${carryName} = ${call}.carry).h`));
    }
  }

  // ---- state reads and writes, resets, declarations -------------------------------------------

  private rewriteStateEvents(holderPlan: HolderPlan): void {
    const j = this.j;
    const carry = holderPlan.carry!;
    const name = this.carryNames.get(holderPlan.holder)!;
    for (const event of holderPlan.events) {
      if (event.kind === 'state-read') {
        const parent = event.path.parent.node;
        // recur.state is null when empty, the carry undefined: keep strict null checks meaning the same.
        if (parent.type === 'BinaryExpression' && /^[!=]==$/.test(parent.operator) && [parent.left, parent.right].some(isNullLiteral)) {
          parent.operator = parent.operator.slice(0, 2);
        }
        event.path.replace(j.identifier(name));
        this.changed = true;
      }
      if (event.kind === 'state-write') {
        const assigned = event.path.node.right; // read now: a state read inside may have been rewritten
        const value = isNullLiteral(assigned) ? undefined : this.sourceOf(assigned);
        const statement = event.path.parent;
        this.changed = true;
        if (carry.start === event) {
          if (carry.needsVariable) statement.replace(this.statement(this.carryDeclaration(holderPlan.holder, value)));
          else statement.prune();
          continue;
        }
        if (value === undefined && statement.node.type === 'ExpressionStatement') {
          replaceStatement(statement, parseStatements(j, this.clearCarry(holderPlan.holder).join('\n')));
          continue;
        }
        event.path.replace(parseExpression(j, `${name} = ${value ?? 'undefined'}`));
      }
    }
  }

  /** `carry = undefined`, disposing the carry first when nothing else can hold it (as reset() released the state). */
  private clearCarry(holder: Holder): string[] {
    const name = this.carryNames.get(holder)!;
    return this.disposesCarries.has(holder) ? [`${this.tf()}.dispose(${name});`, `${name} = undefined;`] : [`${name} = undefined;`];
  }

  private rewriteResets(migratable: HolderPlan[]): void {
    const j = this.j;
    const calls = new Map<any, { call: AnyPath; replacements: string[]; keepsCall: boolean }>();
    const entryFor = (call: AnyPath) => {
      let entry = calls.get(call.node);
      if (!entry) {
        entry = { call, replacements: [], keepsCall: false };
        calls.set(call.node, entry);
      }
      return entry;
    };
    for (const holderPlan of this.analysis.plan.holders) {
      for (const event of holderPlan.events) {
        if (event.kind !== 'reset') continue;
        const entry = entryFor(event.call);
        if (!migratable.includes(holderPlan)) {
          entry.keepsCall = true;
          continue;
        }
        const carry = holderPlan.carry!;
        if (!carry.needsVariable) continue;
        entry.replacements.push(carry.start === event ? this.carryDeclaration(holderPlan.holder) : this.clearCarry(holderPlan.holder).join(' '));
      }
    }
    for (const { call, replacements, keepsCall } of calls.values()) {
      const statement = call.parent;
      this.changed = true;
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

  /** `let lstmCarry; lstmCarry = value;` reads better as `let lstmCarry = value;`. */
  private mergeDeclarationsWithFirstAssignment(): void {
    const j = this.j;
    for (const name of this.carryNames.values()) {
      this.analysis.root.find(j.VariableDeclarator, { id: { name } }).forEach((declarator) => {
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
  private constCarries(): void {
    const j = this.j;
    const root = this.analysis.root;
    const assigned = new Set<string>();
    root.find(j.AssignmentExpression).forEach((path: AnyPath) => {
      if (path.node.left.type === 'Identifier') assigned.add(path.node.left.name);
    });
    root.find(j.UpdateExpression).forEach((path: AnyPath) => {
      if (path.node.argument.type === 'Identifier') assigned.add(path.node.argument.name);
    });
    const constants = new Map<string, any>();
    for (const name of this.carryNames.values()) {
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

  private addTfImport(): void {
    const j = this.j;
    const root = this.analysis.root;
    const packageName = this.analysis.tf.packageName ?? '@tensorflow/tfjs-core';
    const usesRequire = this.analysis.bindings.imports.some((legacyImport) => legacyImport.style === 'require') && root.find(j.ImportDeclaration).size() === 0;
    const code = usesRequire ? `const ${this.tfName} = require('${packageName}');` : `import * as ${this.tfName} from '${packageName}';`;
    const anchor = this.analysis.bindings.imports[0]?.path;
    const node = this.statement(code);
    if (anchor) anchor.insertBefore(node);
    else root.get().node.program.body.unshift(node);
  }
}

const memberName = (node: any): string | undefined => (isMember(node) ? propertyName(node) : undefined);

/** The generated carry type: apply's carry argument, `Parameters<typeof recur.apply>[1]`. */
const carryArgumentType = (ref: string): string => `Parameters<typeof ${ref}.apply>[1]`;

/** `x: Parameters<typeof …apply>[1]` (the generated carry type). */
const hasCarryArgumentType = (declarator: any): boolean => {
  const type = declarator.id.typeAnnotation?.typeAnnotation;
  return type?.type === 'TSIndexedAccessType' && type.objectType?.type === 'TSTypeReference' && type.objectType.typeName?.name === 'Parameters';
};

const unparenthesized = (node: any): any => (node?.type === 'ParenthesizedExpression' ? node.expression : node);

/**
 * Whether every carry this holder's variable can hold was made by its own blocked calls and
 * reached no other code, so a replaced carry can be disposed: no `recur.state` read (the code
 * could keep the object) and no state assigned from elsewhere (the legacy Recur never disposed
 * those either), and the built-in cells' kernels return fresh tensors. Single steps must sit where
 * statements can go.
 */
function carriesAreOwned(holderPlan: HolderPlan): boolean {
  // A user-written cell may pass a carry entry through unchanged (the new carry would share it).
  if (holderPlan.holder.cellKind === 'custom') return false;
  return holderPlan.events.every((event) => {
    if (event.kind === 'state-read') return false;
    if (event.kind === 'state-write') return isNullLiteral(event.value);
    if (event.kind === 'step' && event.site?.kind === 'single-step') return singleStepPlace(event.path) !== 'expression';
    return true;
  });
}

/** Where a single step sits: a whole statement, unconditionally inside one, an arrow's whole body, or only an expression slot. */
function singleStepPlace(stepPath: AnyPath): 'statement' | 'inside-statement' | 'arrow-body' | 'expression' {
  const statement = enclosingStatement(stepPath);
  const parent = stepPath.parent?.node;
  if (parent?.type === 'ArrowFunctionExpression' && parent.body === stepPath.node) return 'arrow-body';
  if (!statement) return 'expression';
  if (statement.node.type === 'ExpressionStatement' && unwrap(statement.node.expression) === stepPath.node) return 'statement';
  return isUnconditionalWithin(stepPath, statement.node) ? 'inside-statement' : 'expression';
}

const isNullLiteral = (node: any): boolean => {
  node = unwrap(node);
  return node?.type === 'NullLiteral' || (node?.type === 'Literal' && node.value === null);
};

const isAxisOne = (node: any): boolean => {
  node = unwrap(node);
  return (node?.type === 'NumericLiteral' || node?.type === 'Literal') && node.value === 1;
};

function isUnconditionalWithin(path: AnyPath, statementNode: any): boolean {
  for (let current = path.parent; current; current = current.parent) {
    if (current.node === statementNode) return !CONDITIONAL.test(statementNode.type);
    if (isFunctionNode(current.node) || CONDITIONAL.test(current.node.type)) return false;
  }
  return false;
}

/** Removes a statement from its list by identity (paths into the list may be stale after splices). */
function removeStatement(path: AnyPath): void {
  const list = path.parentPath?.value;
  const index = Array.isArray(list) ? list.indexOf(path.node) : -1;
  if (index >= 0) list.splice(index, 1);
}

/** Replaces a statement by several, moving its leading comments onto the first. */
function replaceStatement(path: AnyPath, statements: any[]): void {
  const comments = path.node.comments?.filter((comment: any) => comment.leading);
  if (statements.length === 0) {
    path.prune();
    return;
  }
  if (comments?.length) statements[0].comments = [...comments, ...(statements[0].comments ?? [])];
  path.replace(...statements);
}

function insertBefore(path: AnyPath, statements: any[]): void {
  if (statements.length === 0) return;
  const comments = path.node.comments?.filter((comment: any) => comment.leading);
  if (comments?.length) {
    // The loop's leading comment describes the loop's work, which now starts at the blocked call.
    statements[0].comments = comments;
    path.node.comments = path.node.comments.filter((comment: any) => !comment.leading);
  }
  path.insertBefore(...statements);
}

/**
 * `const lstmResult = lstm.apply(…)` read once is written in place of its one use, so the common
 * case reads `h = lstm.apply(tf.stack(xs, 1)).carry.h`. Generated names are fresh, so a
 * whole-word replacement is exact.
 */
function inlineSingleUseTemporaries(statements: string[], expression: string | undefined, readElsewhere: Set<string>): { statements: string[]; expression: string | undefined } {
  let changed = true;
  while (changed) {
    changed = false;
    for (let index = 0; index < statements.length; index++) {
      const match = /^const (\w+) = (.*);$/s.exec(statements[index]!);
      if (!match) continue;
      const [, name, value] = match;
      if (readElsewhere.has(name!)) continue;
      const word = new RegExp(`\\b${name}\\b`, 'g');
      const others = [...statements.filter((_, other) => other !== index), expression ?? ''];
      const uses = others.reduce((count, text) => count + (text.match(word)?.length ?? 0), 0);
      if (uses === 0 && /\.unstack\(/.test(value!)) {
        statements = statements.filter((_, other) => other !== index); // per-step outputs nobody reads
        changed = true;
        break;
      }
      if (uses !== 1) continue;
      const replace = (text: string) => text.replace(word, () => value!);
      statements = statements.filter((_, other) => other !== index).map(replace);
      if (expression !== undefined) expression = replace(expression);
      changed = true;
      break;
    }
  }
  return { statements, expression };
}
