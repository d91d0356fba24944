/**
 * One traversal of the tree, bucketing the node paths the analysis asks for by type. Each
 * `root.find(type)` walks the whole tree again (and builds its paths); lint mode runs on every
 * file of a repository, so the analysis walks once.
 */
import type { Collection, JSCodeshift } from 'jscodeshift';
import type { AnyPath } from './ast.js';

/** The node types asked for, and the concrete `type` strings that count as each (as ast-types' subtypes do). */
const INDEXED_TYPES = {
  Identifier: ['Identifier', 'JSXIdentifier'],
  CallExpression: ['CallExpression', 'OptionalCallExpression'],
  NewExpression: ['NewExpression'],
  MemberExpression: ['MemberExpression', 'OptionalMemberExpression'],
  ImportDeclaration: ['ImportDeclaration'],
  VariableDeclarator: ['VariableDeclarator'],
  ClassProperty: ['ClassProperty', 'ClassAccessorProperty'],
} as const;
export type IndexedType = keyof typeof INDEXED_TYPES;

const BUCKET_OF_TYPE = new Map<string, IndexedType>(
  Object.entries(INDEXED_TYPES).flatMap(([bucket, types]) => types.map((type) => [type, bucket as IndexedType] as const)),
);

export class NodeIndex {
  private readonly buckets = new Map<IndexedType, AnyPath[]>(Object.keys(INDEXED_TYPES).map((type) => [type as IndexedType, []]));

  constructor(j: JSCodeshift, root: Collection) {
    const buckets = this.buckets;
    j.types.visit(root.get(), {
      visitNode(path) {
        const bucket = BUCKET_OF_TYPE.get(path.node.type);
        if (bucket) buckets.get(bucket)!.push(path);
        this.traverse(path);
      },
    });
  }

  /** Paths of nodes of this type (subtypes included, as jscodeshift's `find`), in source order. */
  of(type: IndexedType): AnyPath[] {
    return this.buckets.get(type)!;
  }
}
