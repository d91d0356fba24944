/**
 * The state one rewrite of one file shares between its features (loops, single steps, state and
 * resets, carries, imports): the analysis, the names taken in the file, each holder's carry
 * variable, and small builders of generated code.
 */
import type { JSCodeshift } from 'jscodeshift';
import type { FileAnalysis } from '../../analysis/index.js';
import { collectNames, freshName, type AnyPath } from '../../analysis/ast.js';
import type { Holder } from '../../analysis/holders.js';
import type { HolderPlan, StateEvent } from '../../analysis/plan.js';
import { parseStatements } from './emit.js';
import { insideTidyScope, isInert } from './lifetimes.js';

export class RewriteContext {
  readonly j: JSCodeshift;
  /** Every name in the file, generated ones included: new names are fresh against it. */
  readonly names: Set<string>;
  readonly carryNames = new Map<Holder, string>();
  /** Holders whose replaced carries are disposed (nothing but the carry variable can hold them). */
  readonly disposesCarries = new Set<Holder>();
  /** Statements removed once every site is rewritten (final disposals are placed relative to them first). */
  readonly removals: AnyPath[] = [];
  tfName: string | undefined;
  tfNeeded = false;
  changed = false;

  constructor(
    readonly analysis: FileAnalysis,
    /** TypeScript output: generated carry variables get a type annotation. */
    readonly typed: boolean,
    /** The project's tfjs package, for a tf import in a file that imports none. */
    readonly projectTfPackage?: string,
  ) {
    this.j = analysis.j;
    this.names = collectNames(analysis.root.get().node);
    this.tfName = analysis.tf.namespace;
  }

  /** The file's tf namespace, named (and imported at the end) on first use. */
  tf(): string {
    this.tfNeeded = true;
    this.tfName ??= freshName('tf', this.names);
    return this.tfName;
  }

  fresh(base: string): string {
    return freshName(base, this.names);
  }

  ref(holder: Holder): string {
    if (holder.kind === 'field') return `this.${holder.name}`;
    if (holder.kind === 'property') return `${holder.owner}.${holder.name}`;
    return holder.name;
  }

  carryName(holder: Holder): string {
    return this.carryNames.get(holder)!;
  }

  planOf(holder: Holder): HolderPlan {
    return this.analysis.plan.holders.find((candidate) => candidate.holder === holder)!;
  }

  eventOf(holder: Holder, path: AnyPath): StateEvent {
    return this.planOf(holder).events.find((event) => event.path.node === path.node)!;
  }

  readsCarry(holder: Holder, stepPath: AnyPath): boolean {
    return this.planOf(holder).carry!.reads.has(this.eventOf(holder, stepPath));
  }

  /** `recur.apply(input, carry?)` and whether the carry is written back (and kept past tidy scopes). */
  applyFor(holder: Holder, stepPath: AnyPath, input: string): { call: string; writes: boolean; keeps: boolean } {
    const carry = this.planOf(holder).carry!;
    const event = this.eventOf(holder, stepPath);
    const carryIn = carry.reads.has(event) ? `, ${this.carryName(holder)}` : '';
    return { call: `${this.ref(holder)}.apply(${input}${carryIn})`, writes: carry.writes.has(event), keeps: carry.keeps.has(event) };
  }

  /** Whether a blocked call at `path` goes in a tf.tidy: outside any tidy scope, reading only inert user code. */
  wantsTidy(path: AnyPath, userNodes: any[]): boolean {
    return !insideTidyScope(path) && userNodes.every((node) => isInert(node, this.analysis.tf.namespace));
  }

  statement(code: string): any {
    return parseStatements(this.j, code)[0];
  }

  sourceOf(node: any): string {
    return this.j(node).toSource();
  }

  /**
   * A `// text` comment to follow a generated statement on its line: taken from a parsed scratch
   * statement, whose layout gives recast the space before `//` (a bare comment node prints glued on).
   */
  trailingComment(text: string): any[] {
    const program = this.j(`x; //${text}`).get().node.program;
    return (program.body[0].comments ?? []).filter((comment: any) => comment.trailing);
  }
}
