/**
 * The rewrite: applies a file's migration plan. Step loops become blocked calls, single steps
 * become one-step blocked calls, resets and `.state` become explicit carry variables, and imports
 * move to 'rnn-migrate' once nothing legacy is left. Only the rewritten statements are reprinted
 * (recast keeps everything else byte for byte); unsafe sites are left as they were.
 */
import type { JSCodeshift } from 'jscodeshift';
import { analyzeTree, manualFinding, manualSites, type FileAnalysis } from '../../analysis/index.js';
import { collectNames, enclosingStatement, freshName, isCall, isFunctionNode, isMember, unwrap, type AnyPath } from '../../analysis/ast.js';
import type { Holder } from '../../analysis/holders.js';
import type { StepCall, StepLoop } from '../../analysis/loops.js';
import type { HolderPlan, Site, StateEvent } from '../../analysis/plan.js';
import type { Finding } from '../../findings.js';
import { dialectFor } from '../../parser.js';
import { parseExpression, parseStatements, printStyleOf } from './emit.js';
import { insertTodoLines } from './todos.js';
import { migrateImports } from './imports.js';

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
  private tfName: string | undefined;
  private tfNeeded = false;
  private changed = false;

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
    this.mergeDeclarationsWithFirstAssignment();
    if (this.tfNeeded && !this.tfName) this.addTfImport();
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

  private carryDeclaration(holder: Holder, init?: string): string {
    const type = this.typed ? `: ReturnType<typeof ${this.ref(holder)}.apply>['carry'] | undefined` : '';
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

  /** Statements that store a new carry, keeping its tensors alive past an enclosing tidy scope. */
  private storeCarry(holder: Holder, value: string, keeps: boolean): string[] {
    const name = this.carryNames.get(holder)!;
    const statements = [`${name} = ${value};`];
    if (keeps) {
      // The old Recur kept its state alive across tf.tidy / minimize; an explicit carry must too.
      const keys = holder.cellKind === 'LSTM' ? ['h', 'c'] : holder.cellKind === 'custom' ? undefined : ['h'];
      if (keys) statements.push(keys.map((key) => `${this.tf()}.keep(${name}.${key});`).join(' '));
      else statements.push(`for (const tensor of Object.values(${name})) ${this.tf()}.keep(tensor);`);
    }
    return statements;
  }

  private statement(code: string): any {
    return parseStatements(this.j, code)[0];
  }

  private sourceOf(node: any): string {
    return this.j(node).toSource();
  }

  // ---- step loops -------------------------------------------------------------------------------

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
    const before: string[] = [];
    const resultNames = new Map<StepCall, string>();
    const stepsNames = new Map<StepCall, string>();
    const sequence = this.sequenceCode(loop);
    const lastOf = (step: StepCall): string => {
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
      const resultName = freshName(`${step.holder.name}Result`, this.names);
      resultNames.set(step, resultName);
      before.push(`const ${resultName} = ${call};`);
      if (writes) before.push(...this.storeCarry(step.holder, `${resultName}.carry`, keeps));
      if (loop.hasResidual) {
        if (step.use.kind !== 'discard') stepsOf(step);
        continue;
      }
      if (step.use.kind === 'last') after.push(`${step.use.target} = ${lastOf(step)};`);
      if (step.use.kind === 'collect') after.push(`${this.sourceOf(step.use.array)}.push(...${stepsOf(step)});`);
      if (step.use.kind === 'callback-result') expressionValue = loop.form === 'map' ? stepsOf(step) : loop.form === 'reduce' ? lastOf(step) : undefined;
      for (const consumer of consumers) {
        if (consumer.kind === 'last') after.push(`${consumer.target} = ${lastOf(step)};`);
        else after.push(`${this.sourceOf(consumer.target)}.push(...${stepsOf(step)});`);
      }
    }

    const statementPath = loop.form === 'for-of' || loop.form === 'for-index' ? loop.path : enclosingStatement(loop.path)!;
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
    const readInLoop = loop.hasResidual ? new Set(stepsNames.values()) : new Set<string>();
    const code = inlineSingleUseTemporaries([...before, ...after], expressionValue, readInLoop);
    const generated = parseStatements(j, code.statements.join('\n'));
    if (loop.hasResidual) {
      this.keepLoopReadingSteps(loop, stepsNames);
      insertBefore(statementPath, generated);
      return;
    }
    if (loop.form === 'map' || loop.form === 'reduce') {
      // The call is a value: the per-step outputs (map) or the last output (reduce).
      replaced.replace(parseExpression(j, code.expression ?? 'undefined'));
      insertBefore(statementPath, generated);
      return;
    }
    replaceStatement(statementPath, generated);
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
      const input = `${this.tf()}.expandDims(${this.sourceOf(stepPath.node.arguments[0])}, 1)`;
      const { call, writes, keeps } = this.applyFor(holder, stepPath, input);
      const carryName = this.carryNames.get(holder)!;
      const statement = enclosingStatement(stepPath)!;
      const isWholeStatement = statement.node.type === 'ExpressionStatement' && unwrap(statement.node.expression) === stepPath.node;
      this.changed = true;
      if (isWholeStatement) {
        replaceStatement(statement, writes ? parseStatements(j, this.storeCarry(holder, `${call}.carry`, keeps).join('\n')) : []);
        continue;
      }
      if (!writes) {
        stepPath.replace(parseExpression(j, `${call}.carry.h`));
        continue;
      }
      if (isUnconditionalWithin(stepPath, statement.node)) {
        insertBefore(statement, parseStatements(j, this.storeCarry(holder, `${call}.carry`, keeps).join('\n')));
        stepPath.replace(parseExpression(j, `${carryName}.h`));
        continue;
      }
      // Only an expression fits here: store (and keep) the carry with a comma expression.
      const [store, ...keep] = this.storeCarry(holder, `${call}.carry`, keeps).join(' ').split(';').map((part) => part.trim()).filter(Boolean);
      stepPath.replace(parseExpression(j, keep.length > 0 ? `(${[store, ...keep, `${carryName}.h`].join(', ')})` : `(${carryName} = ${call}.carry).h`));
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
        event.path.replace(parseExpression(j, `${name} = ${value ?? 'undefined'}`));
      }
    }
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
        entry.replacements.push(carry.start === event ? this.carryDeclaration(holderPlan.holder) : `${this.carryNames.get(holderPlan.holder)} = undefined;`);
      }
    }
    for (const { call, replacements, keepsCall } of calls.values()) {
      const statement = call.parent;
      this.changed = true;
      if (statement.node.type !== 'ExpressionStatement') {
        if (!keepsCall) call.replace(parseExpression(j, replacements.map((code) => code.replace(/;$/, '')).join(', ') || 'undefined'));
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
