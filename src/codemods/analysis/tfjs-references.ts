/**
 * The uses of a `const` binding (a tf.layers layer, cell or model) and how each is made: the
 * tf.layers rewrites may only change a binding whose every use they understand.
 */
import { isCall, isMember, propertyName, unwrap, type AnyPath } from './ast.js';
import type { NodeIndex } from './node-index.js';

/** A `const name = <init>` directly in a statement list (a block or the program), or undefined. */
export interface ConstBinding {
  name: string;
  /** The declarator's path (its scope is the binding's). */
  declarator: AnyPath;
  /** The declaration statement; generated declarations go right after it. */
  statement: AnyPath;
}

export function constBindingOf(declarator: AnyPath | undefined): ConstBinding | undefined {
  if (declarator?.node.type !== 'VariableDeclarator' || declarator.node.id.type !== 'Identifier') return undefined;
  const statement = declarator.parent;
  const list = statement?.parent?.node;
  if (statement?.node.type !== 'VariableDeclaration' || statement.node.kind !== 'const') return undefined;
  if (list?.type !== 'Program' && list?.type !== 'BlockStatement') return undefined;
  return { name: declarator.node.id.name, declarator, statement };
}

/** A use of a binding: `name.method(…args)`, or anything else (`other`, e.g. passed to a function). */
export type Use =
  | { kind: 'method'; method: string; call: AnyPath; reference: AnyPath }
  | { kind: 'other'; reference: AnyPath };

/** Every reference to the binding (the declaration's own name excluded), classified. */
export function usesOf(index: NodeIndex, binding: ConstBinding): Use[] {
  const scope = binding.declarator.scope?.lookup(binding.name);
  const uses: Use[] = [];
  for (const path of index.of('Identifier')) {
    if (path.node.name !== binding.name || path.node === binding.declarator.node.id || !isReference(path)) continue;
    if (path.scope?.lookup(binding.name) !== scope) continue;
    const parent = path.parent?.node;
    const call = path.parent?.parent;
    if (isMember(parent) && parent.object === path.node && !parent.computed && isCall(call?.node) && call!.node.callee === parent) {
      uses.push({ kind: 'method', method: propertyName(parent)!, call: call!, reference: path });
    } else {
      uses.push({ kind: 'other', reference: path });
    }
  }
  return uses;
}

/** Not a property name (`a.name`, `{ name: … }`, a class member), a label or a type-only position. */
function isReference(path: AnyPath): boolean {
  const parent = path.parent?.node;
  if (!parent) return false;
  if (isMember(parent) && parent.property === path.node && !parent.computed) return false;
  if ((parent.type === 'ObjectProperty' || parent.type === 'Property') && parent.key === path.node && !parent.computed && !parent.shorthand) return false;
  if (/^(ClassProperty|PropertyDefinition|ClassMethod|MethodDefinition|TSPropertySignature)$/.test(parent.type) && parent.key === path.node) return false;
  if (/Label|^Import|^Export(Named|Default)Specifier|^TSQualifiedName$/.test(parent.type) && parent.type !== 'ExportDefaultDeclaration') return false;
  return true;
}

/** The statement a call is the whole expression of, when that statement sits in a statement list. */
export function callStatement(call: AnyPath): AnyPath | undefined {
  const statement = call.parent;
  return statement?.node.type === 'ExpressionStatement' && statement.node.expression === call.node ? statement : undefined;
}

/** The value written for `key` in an options object literal (spreads skipped), or undefined. */
export function optionValue(options: any, key: string): any {
  if (options?.type !== 'ObjectExpression') return undefined;
  const property = options.properties.find((candidate: any) => (candidate.type === 'ObjectProperty' || candidate.type === 'Property') && propertyName({ property: candidate.key, computed: candidate.computed }) === key);
  return unwrap(property?.value);
}
