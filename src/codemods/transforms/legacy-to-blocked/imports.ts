/**
 * Moves a file from 'rnn-migrate/legacy' to 'rnn-migrate' once nothing legacy is left in it:
 * `new Recur(cell)` → `new Recurrence(cell)`, `LSTM(a, b)` → `new LSTM(a, b)`, `Recur<…>`
 * annotations → `Recurrence<…>`, and the import (or require) itself. While any legacy use
 * remains, both imports stay and migrated sites run through the legacy bridge (`recur.apply`).
 */
import { collectNames, isMember, propertyName, type AnyPath } from '../../analysis/ast.js';
import { RUNTIME_ENTRY, legacyExportOf } from '../../analysis/bindings.js';
import type { FileAnalysis } from '../../analysis/index.js';
import type { RewriteContext } from './context.js';

/** Legacy exports that exist in 'rnn-migrate' under the same name. */
const SAME_IN_RUNTIME = new Set(['RNN', 'LSTM', 'GRU', 'RNNCell', 'LSTMCell', 'GRUCell', 'RnnShapeError', 'Carry', 'CarryOf', 'RecurrentCell']);
/** Legacy-only functions whose calls the rewrite has already removed. */
const DROPPED = new Set(['reset', 'configureChecker']);
const RENAMED: Record<string, string> = { Recur: 'Recurrence' };

export function migrateImports(analysis: FileAnalysis): boolean {
  const { j, root, bindings, plan, table } = analysis;
  if (bindings.imports.length === 0) return false;
  if (plan.holders.some((holderPlan) => holderPlan.manual || !holderPlan.holder.constructionVisible)) return false;
  if (plan.strayManual.length > 0 || plan.sites.some((site) => site.ignored || site.manual)) return false;

  // Every remaining legacy reference must have a runtime counterpart.
  const legacyOnly = new Set(plan.legacyOnlyStatements.map((statement) => statement.node));
  const references: Array<{ path: AnyPath; exported: string }> = [];
  let blocked = false;
  const consider = (path: AnyPath): void => {
    const exported = legacyExportOf(bindings, path.node, path);
    if (!exported) return;
    for (let current = path.parent; current; current = current.parent) if (legacyOnly.has(current.node)) return;
    if (!SAME_IN_RUNTIME.has(exported) && !RENAMED[exported]) blocked = true;
    references.push({ path, exported });
  };
  root.find(j.Identifier).forEach((path) => {
    const parent = path.parent.node;
    if (/^Import(Default|Namespace)?Specifier$/.test(parent.type)) return;
    if (isMember(parent) && parent.property === path.node && !parent.computed) return;
    if ((parent.type === 'ObjectProperty' || parent.type === 'Property') && parent.key === path.node && parent.value !== path.node) return;
    if (parent.type === 'VariableDeclarator' && parent.id === path.node) return;
    if (parent.type === 'ObjectProperty' && parent.value === path.node && path.parent.parent.node.type === 'ObjectPattern') return;
    if (parent.type === 'TSQualifiedName' && parent.right === path.node) return;
    if (parent.type === 'TSQualifiedName' && parent.left === path.node) {
      if (bindings.namespaces.has(path.node.name)) references.push({ path: path.parent, exported: parent.right.name });
      return;
    }
    if (bindings.namespaces.has(path.node.name) && isMember(parent) && parent.object === path.node) {
      const exported = propertyName(parent);
      if (!exported || (!SAME_IN_RUNTIME.has(exported) && !RENAMED[exported])) {
        for (let current = path.parent; current; current = current.parent) if (legacyOnly.has(current.node)) return;
        blocked = true;
      }
      if (exported) references.push({ path: path.parent, exported });
      return;
    }
    consider(path);
  });
  if (blocked) return false;

  for (const statement of plan.legacyOnlyStatements) statement.prune();

  // Factories become constructors.
  for (const holder of table.holders) {
    for (const construction of holder.constructions) {
      if (construction.style !== 'factory') continue;
      const call = construction.path.node;
      const created = j.newExpression(call.callee, call.arguments);
      if (call.typeParameters) (created as any).typeParameters = call.typeParameters;
      construction.path.replace(created);
    }
  }

  // Renamed exports: the local name follows when it was not aliased and the new name is free.
  const taken = collectNames(root.get().node);
  const localRenames = new Map<string, string>();
  for (const [local, exported] of bindings.named) {
    const renamed = RENAMED[exported];
    if (renamed && local === exported && !taken.has(renamed)) localRenames.set(local, renamed);
  }
  for (const { path, exported } of references) {
    const renamed = RENAMED[exported];
    if (!renamed) continue;
    const node = path.node;
    if (node.type === 'Identifier' && localRenames.has(node.name)) node.name = localRenames.get(node.name)!;
    if (isMember(node)) node.property = j.identifier(renamed);
    if (node.type === 'TSQualifiedName') node.right = j.identifier(renamed);
  }

  const existingRuntime = root.find(j.ImportDeclaration, { source: { value: RUNTIME_ENTRY } }).filter((path) => (path.node as any).importKind !== 'type' && (path.node.specifiers ?? []).every((specifier) => specifier.type === 'ImportSpecifier'));
  for (const legacyImport of bindings.imports) {
    const node = legacyImport.path.node;
    if (legacyImport.style === 'import') {
      const specifiers = (node.specifiers ?? []).filter((specifier: any) => specifier.type !== 'ImportSpecifier' || !DROPPED.has(specifier.imported.name));
      for (const specifier of specifiers) {
        if (specifier.type !== 'ImportSpecifier') continue;
        const renamed = RENAMED[specifier.imported.name];
        if (!renamed) continue;
        const local = specifier.local?.name ?? specifier.imported.name;
        const newLocal = localRenames.get(local) ?? local;
        specifier.imported = j.identifier(renamed);
        specifier.local = j.identifier(newLocal);
      }
      const named = specifiers.filter((specifier: any) => specifier.type === 'ImportSpecifier');
      if (specifiers.length === 0) {
        legacyImport.path.prune();
      } else if (named.length === specifiers.length && existingRuntime.size() > 0) {
        const target = existingRuntime.get().node;
        const present = new Set(target.specifiers.map((specifier: any) => specifier.local.name));
        for (const specifier of named) if (!present.has(specifier.local.name)) target.specifiers.push(specifier);
        legacyImport.path.prune();
      } else {
        node.specifiers = specifiers;
        node.source = j.stringLiteral(RUNTIME_ENTRY);
      }
    } else {
      for (const declarator of node.declarations) {
        declarator.init.arguments[0] = j.stringLiteral(RUNTIME_ENTRY);
        if (declarator.id.type !== 'ObjectPattern') continue;
        declarator.id.properties = declarator.id.properties.filter((property: any) => !DROPPED.has(property.key?.name));
        for (const property of declarator.id.properties) {
          const renamed = RENAMED[property.key?.name];
          if (!renamed) continue;
          const local = property.value.name;
          property.key = j.identifier(renamed);
          property.value = j.identifier(localRenames.get(local) ?? local);
          property.shorthand = property.key.name === property.value.name;
        }
      }
    }
  }
  return true;
}

/** What a file that imports no tfjs package and is given no project package imports tf from. */
export const DEFAULT_TF_PACKAGE = '@tensorflow/tfjs-core';

/**
 * `import * as tf from '…'` (or a require) for generated code that needs tf where the file had no
 * namespace: from the tfjs package the file already imports (by name, default, namespace, require
 * or `import type`), else the project's, else tfjs-core (which every tfjs package re-exports).
 */
export function addTfImport(ctx: RewriteContext): void {
  const { j, root, bindings, tf } = ctx.analysis;
  const packageName = tf.packageName ?? ctx.projectTfPackage ?? DEFAULT_TF_PACKAGE;
  const usesRequire = bindings.imports.some((legacyImport) => legacyImport.style === 'require') && root.find(j.ImportDeclaration).size() === 0;
  const code = usesRequire ? `const ${ctx.tfName} = require('${packageName}');` : `import * as ${ctx.tfName} from '${packageName}';`;
  const anchor = bindings.imports[0]?.path;
  const node = ctx.statement(code);
  if (anchor) anchor.insertBefore(node);
  else root.get().node.program.body.unshift(node);
}
