/**
 * Recurs and where they are held: a variable (`const lstm = LSTM(…)`), a class field
 * (`this.encoder = …`, `encoder = …`) or an object property (`model.rnn`, `{ rnn: GRU(…) }`).
 * References to a holder are resolved by scope, so a shadowing local is never mistaken for it.
 */
import { isMember, propertyName, unwrap, type AnyNode, type AnyPath } from './ast.js';
import { legacyExportOf, type LegacyBindings } from './bindings.js';
import type { NodeIndex } from './node-index.js';

/** The cell a Recur wraps; built-in cells report their last output as `carry.h`. */
export type CellKind = 'RNN' | 'LSTM' | 'GRU' | 'custom';

export interface Construction {
  path: AnyPath;
  /** 'factory' for `LSTM(a, b)`, 'recur' for `new Recur(cell)`. */
  style: 'factory' | 'recur';
  cellKind: CellKind;
}

export interface Holder {
  kind: 'variable' | 'field' | 'property';
  /** Readable key, e.g. `lstm`, `this.encoder`, `model.rnn`. */
  key: string;
  /** The variable, field or property name (the base of generated names). */
  name: string;
  cellKind: CellKind;
  constructions: Construction[];
  /** For variables: the scope node binding the name; for properties: the owner's. */
  scopeNode?: AnyNode;
  /** For properties: the owning variable's name. */
  owner?: string;
  /** For fields: the class body. */
  classNode?: AnyNode;
  /** The statement declaring the variable (or the property's owner): carries are declared after it. */
  declaration?: AnyPath;
  /** Declared with a Recur type but built where the codemod cannot see (parameter, injected field). */
  constructionVisible: boolean;
}

const CELL_KIND_OF_FACTORY: Record<string, CellKind> = { RNN: 'RNN', LSTM: 'LSTM', GRU: 'GRU' };
const CELL_KIND_OF_CELL: Record<string, CellKind> = { RNNCell: 'RNN', LSTMCell: 'LSTM', GRUCell: 'GRU' };

/** A legacy construction expression (`LSTM(…)`, `new Recur(cell)`), or undefined. */
export function constructionAt(bindings: LegacyBindings, path: AnyPath): Construction | undefined {
  const node: any = path.node;
  if (node.type === 'CallExpression') {
    const exported = legacyExportOf(bindings, node.callee, path);
    if (exported && CELL_KIND_OF_FACTORY[exported]) return { path, style: 'factory', cellKind: CELL_KIND_OF_FACTORY[exported]! };
  }
  if (node.type === 'NewExpression' && legacyExportOf(bindings, node.callee, path) === 'Recur') {
    return { path, style: 'recur', cellKind: cellKindOfArgument(node.arguments[0], path) };
  }
  return undefined;
}

/** `new LSTMCell(…)` inline or through a const in scope; anything else is a user-written cell. */
function cellKindOfArgument(argument: any, path: AnyPath): CellKind {
  argument = unwrap(argument);
  if (argument?.type === 'Identifier') {
    const scope = path.scope?.lookup(argument.name);
    const binding = scope?.getBindings()[argument.name]?.[0];
    const declarator = binding?.parentPath?.node;
    if (declarator?.type === 'VariableDeclarator') argument = unwrap(declarator.init);
  }
  if (argument?.type === 'NewExpression') {
    const callee = unwrap(argument.callee);
    const name = callee.type === 'Identifier' ? callee.name : isMember(callee) ? propertyName(callee) : undefined;
    if (name && CELL_KIND_OF_CELL[name]) return CELL_KIND_OF_CELL[name]!;
  }
  return 'custom';
}

const isRecurType = (annotation: any, bindings: LegacyBindings): boolean => {
  const type = annotation?.typeAnnotation;
  if (type?.type !== 'TSTypeReference') return false;
  const name = type.typeName;
  if (name.type === 'Identifier') return bindings.named.get(name.name) === 'Recur';
  return name.type === 'TSQualifiedName' && name.left.type === 'Identifier' && bindings.namespaces.has(name.left.name) && name.right.name === 'Recur';
};

export class HolderTable {
  readonly holders: Holder[] = [];
  /** Constructions not stored in a holder the codemod can follow (array elements, arguments…). */
  readonly unheldConstructions: Construction[] = [];

  constructor(
    private readonly index: NodeIndex,
    private readonly bindings: LegacyBindings,
  ) {
    this.collect();
  }

  private collect(): void {
    const { index, bindings } = this;
    const constructions: Construction[] = [];
    index.of('CallExpression').forEach((path) => {
      const found = constructionAt(bindings, path);
      if (found) constructions.push(found);
    });
    index.of('NewExpression').forEach((path) => {
      const found = constructionAt(bindings, path);
      if (found) constructions.push(found);
    });
    for (const construction of constructions) {
      const holder = this.holderForConstruction(construction);
      if (holder) {
        holder.constructions.push(construction);
        if (holder.cellKind !== construction.cellKind) holder.cellKind = 'custom';
      } else {
        this.unheldConstructions.push(construction);
      }
    }
    // Recur-typed parameters, variables and fields whose construction happens elsewhere.
    index.of('Identifier').forEach((path) => {
      if (!isRecurType((path.node as any).typeAnnotation, bindings)) return;
      const parent = path.parent.node;
      if (parent.type === 'VariableDeclarator' && parent.id === path.node) return; // a variable: its init decides
      if (this.holderForReference(path)) return;
      if (!path.scope) return;
      const scope = path.scope.lookup(path.node.name) ?? path.scope;
      this.holders.push({ kind: 'variable', key: path.node.name, name: path.node.name, cellKind: 'custom', constructions: [], scopeNode: scope.node, constructionVisible: false });
    });
    index.of('ClassProperty').forEach((path) => {
      const node: any = path.node;
      const name = node.key?.type === 'Identifier' ? node.key.name : undefined;
      if (!name || node.value || !isRecurType(node.typeAnnotation, bindings)) return;
      const classNode = path.parent.node;
      if (this.holders.some((holder) => holder.kind === 'field' && holder.name === name && holder.classNode === classNode)) return;
      this.holders.push({ kind: 'field', key: `this.${name}`, name, cellKind: 'custom', constructions: [], classNode, constructionVisible: false });
    });
    // A typed field assigned in the constructor from a visible construction is visible after all.
    for (const holder of this.holders) if (holder.constructions.length > 0) holder.constructionVisible = true;
  }

  private holderForConstruction(construction: Construction): Holder | undefined {
    const path = construction.path;
    let parent = path.parent;
    while (parent && /^(TSAsExpression|TSNonNullExpression|TSSatisfiesExpression|ParenthesizedExpression)$/.test(parent.node.type)) parent = parent.parent;
    const parentNode: any = parent.node;
    // const lstm = LSTM(…)
    if (parentNode.type === 'VariableDeclarator' && parentNode.id.type === 'Identifier') {
      const name = parentNode.id.name;
      const scope = parent.scope?.lookup(name) ?? parent.scope;
      return this.variable(name, scope?.node, parent.parent, construction.cellKind);
    }
    // class { lstm = LSTM(…) }
    if ((parentNode.type === 'ClassProperty' || parentNode.type === 'PropertyDefinition') && parentNode.key.type === 'Identifier' && !parentNode.computed) {
      return this.field(parentNode.key.name, parent.parent.node, construction.cellKind);
    }
    // this.lstm = LSTM(…) / model.rnn = LSTM(…)
    if (parentNode.type === 'AssignmentExpression' && isMember(parentNode.left)) {
      const name = propertyName(parentNode.left);
      const object = unwrap(parentNode.left.object);
      if (!name) return undefined;
      if (object.type === 'ThisExpression') {
        const classNode = enclosingClassBody(parent);
        return classNode ? this.field(name, classNode, construction.cellKind) : undefined;
      }
      if (object.type === 'Identifier') return this.property(object.name, name, parent, construction.cellKind);
    }
    // const model = { rnn: LSTM(…) }
    if ((parentNode.type === 'ObjectProperty' || parentNode.type === 'Property') && !parentNode.computed) {
      const name = parentNode.key.type === 'Identifier' ? parentNode.key.name : parentNode.key.value;
      const objectPath = parent.parent;
      const declarator = objectPath.parent?.node;
      if (typeof name === 'string' && declarator?.type === 'VariableDeclarator' && declarator.id.type === 'Identifier') {
        return this.property(declarator.id.name, name, objectPath.parent, construction.cellKind);
      }
    }
    return undefined;
  }

  private variable(name: string, scopeNode: AnyNode | undefined, declaratorParent: AnyPath, cellKind: CellKind): Holder {
    const existing = this.holders.find((holder) => holder.kind === 'variable' && holder.name === name && holder.scopeNode === scopeNode);
    if (existing) return existing;
    const holder: Holder = { kind: 'variable', key: name, name, cellKind, constructions: [], constructionVisible: true, declaration: declaratorParent };
    if (scopeNode) holder.scopeNode = scopeNode;
    this.holders.push(holder);
    return holder;
  }

  private field(name: string, classNode: AnyNode, cellKind: CellKind): Holder {
    const existing = this.holders.find((holder) => holder.kind === 'field' && holder.name === name && holder.classNode === classNode);
    if (existing) return existing;
    const holder: Holder = { kind: 'field', key: `this.${name}`, name, cellKind, constructions: [], classNode, constructionVisible: true };
    this.holders.push(holder);
    return holder;
  }

  private property(owner: string, name: string, at: AnyPath, cellKind: CellKind): Holder | undefined {
    const scope = at.scope?.lookup(owner);
    if (!scope) return undefined;
    const existing = this.holders.find((holder) => holder.kind === 'property' && holder.owner === owner && holder.name === name && holder.scopeNode === scope.node);
    if (existing) return existing;
    const ownerDeclarator = scope.getBindings()[owner]?.[0]?.parentPath;
    const declaration = ownerDeclarator?.node?.type === 'VariableDeclarator' ? ownerDeclarator.parentPath?.parentPath : undefined;
    const holder: Holder = { kind: 'property', key: `${owner}.${name}`, name, owner, cellKind, constructions: [], scopeNode: scope.node, constructionVisible: true };
    if (declaration) holder.declaration = declaration;
    this.holders.push(holder);
    return holder;
  }

  /** The holder an expression refers to (`lstm`, `this.encoder`, `model.rnn`), if any. */
  holderForReference(path: AnyPath): Holder | undefined {
    const node: any = unwrap(path.node);
    if (node.type === 'Identifier') {
      const scope = path.scope?.lookup(node.name);
      return this.holders.find((holder) => holder.kind === 'variable' && holder.name === node.name && holder.scopeNode === scope?.node);
    }
    if (!isMember(node)) return undefined;
    const name = propertyName(node);
    const object = unwrap(node.object);
    if (name === undefined) return undefined;
    if (object.type === 'ThisExpression') {
      const classNode = enclosingClassBody(path);
      return this.holders.find((holder) => holder.kind === 'field' && holder.name === name && holder.classNode === classNode);
    }
    if (object.type === 'Identifier') {
      const scope = path.scope?.lookup(object.name);
      return this.holders.find((holder) => holder.kind === 'property' && holder.owner === object.name && holder.name === name && holder.scopeNode === scope?.node);
    }
    return undefined;
  }

  /** Holders whose owner object (a property holder's variable) is `name` in this scope. */
  holdersOwnedBy(path: AnyPath, name: string): Holder[] {
    const scope = path.scope?.lookup(name);
    return this.holders.filter((holder) => holder.kind === 'property' && holder.owner === name && holder.scopeNode === scope?.node);
  }

  fieldsOf(classNode: AnyNode | undefined): Holder[] {
    return this.holders.filter((holder) => holder.kind === 'field' && holder.classNode === classNode);
  }
}

/** The class body `this` refers to at `path` (arrow functions see through; plain functions do not). */
export function enclosingClassBody(path: AnyPath): AnyNode | undefined {
  for (let current = path.parent; current; current = current.parent) {
    const type = current.node.type;
    if (type === 'ClassBody') return current.node;
    if (type === 'FunctionDeclaration' || type === 'FunctionExpression') {
      // A method's function value sits under a MethodDefinition (estree) — keep walking there.
      if (current.parent?.node.type !== 'MethodDefinition') return undefined;
    }
  }
  return undefined;
}

export const isTypePosition = (path: AnyPath): boolean => {
  for (let current = path.parent; current; current = current.parent) {
    if (/^TS/.test(current.node.type) && !/^TS(AsExpression|NonNullExpression|SatisfiesExpression|TypeAssertion)$/.test(current.node.type)) return true;
    if (/Statement|Declaration|Expression$/.test(current.node.type) && !/^TS/.test(current.node.type)) return false;
  }
  return false;
};
