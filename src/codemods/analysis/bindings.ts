/**
 * Which identifiers are bound to 'rnn-migrate/legacy' (named, aliased, namespace, require) and
 * which binding the file uses for tfjs. Only bindings of the legacy entry point count: a
 * same-named `LSTM` imported from elsewhere is someone else's.
 */
import { isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';
import { LEGACY_ENTRY } from '../prefilter.js';

export { LEGACY_ENTRY };
export const RUNTIME_ENTRY = 'rnn-migrate';
const TFJS_PACKAGE = /^@tensorflow\/tfjs(-core|-node|-node-gpu)?$/;

export interface LegacyImport {
  /** The ImportDeclaration, or the VariableDeclaration holding the require(). */
  path: AnyPath;
  style: 'import' | 'require';
}

export interface LegacyBindings {
  /** Local name → exported name (`import { LSTM as L }` gives L → LSTM). */
  named: Map<string, string>;
  /** Local names bound to the whole module (`import * as legacy`, `const legacy = require(...)`). */
  namespaces: Set<string>;
  imports: LegacyImport[];
}

export interface TfBinding {
  /** Local name of a namespace/default binding of a tfjs package, if the file has one. */
  namespace?: string;
  /** The tfjs package the file already imports (reused when a namespace import must be added). */
  packageName?: string;
  /** Local name → exported name of tfjs ops imported by name (`import { stack as tfStack }`). */
  named: Map<string, string>;
}

const isRequireOf = (node: any, test: (source: string) => boolean): boolean => {
  node = unwrap(node);
  return (
    node?.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    node.callee.name === 'require' &&
    node.arguments.length === 1 &&
    typeof node.arguments[0].value === 'string' &&
    test(node.arguments[0].value)
  );
};

export function findLegacyBindings(index: NodeIndex): LegacyBindings {
  const bindings: LegacyBindings = { named: new Map(), namespaces: new Set(), imports: [] };
  index.of('ImportDeclaration').forEach((path) => {
    if (path.node.source.value !== LEGACY_ENTRY) return;
    bindings.imports.push({ path, style: 'import' });
    for (const specifier of path.node.specifiers ?? []) {
      if (specifier.type === 'ImportSpecifier') {
        bindings.named.set(String(specifier.local?.name ?? specifier.imported.name), String(specifier.imported.name));
      } else if (specifier.local) {
        bindings.namespaces.add(String(specifier.local.name));
      }
    }
  });
  index.of('VariableDeclarator').forEach((path) => {
    if (!isRequireOf(path.node.init, (source) => source === LEGACY_ENTRY)) return;
    const declaration = path.parentPath.parentPath;
    bindings.imports.push({ path: declaration, style: 'require' });
    const id: any = path.node.id;
    if (id.type === 'Identifier') bindings.namespaces.add(id.name);
    if (id.type === 'ObjectPattern') {
      for (const property of id.properties) {
        if ((property.type === 'ObjectProperty' || property.type === 'Property') && property.key.type === 'Identifier' && property.value.type === 'Identifier') {
          bindings.named.set(property.value.name, property.key.name);
        }
      }
    }
  });
  return bindings;
}

export function findTfBinding(index: NodeIndex): TfBinding {
  const binding: TfBinding = { named: new Map() };
  let typeOnlyPackage: string | undefined;
  index.of('ImportDeclaration').forEach((path) => {
    const source = String(path.node.source.value);
    if (!TFJS_PACKAGE.test(source)) return;
    if ((path.node as any).importKind === 'type') {
      typeOnlyPackage ??= source; // says which package the file means, though it binds no value
      return;
    }
    binding.packageName ??= source;
    for (const specifier of path.node.specifiers ?? []) {
      if (specifier.type === 'ImportSpecifier') {
        if ((specifier as any).importKind !== 'type') binding.named.set(String(specifier.local?.name ?? specifier.imported.name), String(specifier.imported.name));
      } else if (specifier.local) binding.namespace ??= String(specifier.local.name);
    }
  });
  index.of('VariableDeclarator').forEach((path) => {
    if (!isRequireOf(path.node.init, (source) => TFJS_PACKAGE.test(source))) return;
    const id: any = path.node.id;
    binding.packageName ??= (unwrap(path.node.init) as any).arguments[0].value;
    if (id.type === 'ObjectPattern') {
      for (const property of id.properties) {
        if ((property.type === 'ObjectProperty' || property.type === 'Property') && !property.computed && property.key.type === 'Identifier' && property.value.type === 'Identifier') {
          binding.named.set(property.value.name, property.key.name);
        }
      }
      return;
    }
    if (id.type !== 'Identifier') return;
    binding.namespace ??= id.name;
  });
  binding.packageName ??= typeOnlyPackage;
  return binding;
}

/**
 * The legacy export a reference names (`LSTM`, `legacy.LSTM`), or undefined. A local that shadows
 * the import (a parameter called `LSTM`) does not count.
 */
export function legacyExportOf(bindings: LegacyBindings, node: AnyNode, path?: AnyPath): string | undefined {
  const expression: any = unwrap(node);
  if (expression?.type === 'Identifier' && bindings.named.has(expression.name)) {
    if (path && isShadowed(path, expression.name)) return undefined;
    return bindings.named.get(expression.name);
  }
  if (isMember(expression) && expression.object.type === 'Identifier' && bindings.namespaces.has(expression.object.name)) {
    return propertyName(expression);
  }
  return undefined;
}

/** Is `name` bound, at `path`, by something other than a module-level import/require? */
export function isShadowed(path: AnyPath, name: string): boolean {
  const scope = path.scope?.lookup(name);
  return Boolean(scope && !scope.isGlobal && scope.path?.node?.type !== 'Program');
}
