/**
 * Collect-then-stack: an array declared empty before a step loop, filled only by it and then only
 * stacked once on the time axis (`tf.stack(outputs, 1)`), is the blocked output sequence itself.
 * The rewrite then declares the sequence instead of unstacking it into the array and stacking it
 * again. Anything else done with the array (indexing, `.length`, passing it on, another axis)
 * keeps the array form, since there the code does use it as an array.
 */
import type { JSCodeshift } from 'jscodeshift';
import { ancestors, contains, isCall, isFunctionNode, isLoopNode, isMember, propertyName, unwrap, type AnyPath } from '../../analysis/ast.js';
import { isShadowed, type TfBinding } from '../../analysis/bindings.js';

export interface StackedCollect {
  /** The array's name: the sequence's, unless `into` names it. */
  name: string;
  /** `const outputs = []`: removed (the sequence is declared where the loop was). */
  declaration: AnyPath;
  /** `tf.stack(outputs, 1)`: replaced by the sequence's name. */
  stackCall: AnyPath;
  /**
   * `const hidden = tf.stack(outputs, 1)` right in the loop's block: the sequence takes this
   * declaration's name, kind and annotation, and the declaration is removed.
   */
  into?: { declaration: AnyPath; name: string; kind: string; typeAnnotation?: any };
}

/**
 * Whether the array a step loop collects into is only there to be stacked on the time axis:
 * declared `const|let name = []` earlier in the loop's own block, and mentioned in that block
 * exactly three times (the declaration, the loop's one `push`, one `stack(name, 1)` after the
 * loop that runs at most once: not in a loop, not in a function other than a tf.tidy callback).
 */
export function findStackedCollect(j: JSCodeshift, loopStatement: AnyPath, array: any, tf: TfBinding): StackedCollect | undefined {
  const arrayNode = unwrap(array);
  if (arrayNode?.type !== 'Identifier') return undefined;
  const name: string = arrayNode.name;
  const siblings = loopStatement.parentPath?.value;
  const blockPath = loopStatement.parentPath?.parentPath;
  if (!Array.isArray(siblings) || !blockPath || !/^(BlockStatement|Program)$/.test(blockPath.node?.type)) return undefined;
  const loopIndex = siblings.indexOf(loopStatement.node);
  const declarationIndex = siblings.findIndex((node: any, index: number) => index < loopIndex && declaresEmptyArray(node, name));
  if (declarationIndex < 0) return undefined;

  const mentions = identifierMentions(j, blockPath, name);
  if (mentions.length !== 3) return undefined;
  const declarationNode = siblings[declarationIndex];
  const [declared, pushed, stacked] = mentions;
  if (declared!.node !== declarationNode.declarations[0].id) return undefined;
  if (pushed!.node !== array && pushed!.node !== arrayNode) return undefined;
  if (!contains(loopStatement.node, pushed!.node)) return undefined;
  if ((stacked!.node.start ?? 0) < (loopStatement.node.end ?? Infinity)) return undefined;
  const stackCall = stacked!.parent;
  if (!isStackOnTimeAxis(stackCall, stacked!.node, tf) || !runsAtMostOnce(stackCall, blockPath.node)) return undefined;

  const result: StackedCollect = { name, declaration: loopStatement.parentPath.get(declarationIndex), stackCall };
  const into = adoptingDeclaration(j, stackCall, siblings, blockPath, loopIndex);
  if (into) result.into = into;
  return result;
}

function declaresEmptyArray(node: any, name: string): boolean {
  if (node?.type !== 'VariableDeclaration' || (node.kind !== 'const' && node.kind !== 'let') || node.declarations.length !== 1) return false;
  const declarator = node.declarations[0];
  const init = unwrap(declarator.init);
  return declarator.id.type === 'Identifier' && declarator.id.name === name && init?.type === 'ArrayExpression' && init.elements.length === 0;
}

/** Every Identifier called `name` in a block, type positions included, property names excluded, in source order. */
function identifierMentions(j: JSCodeshift, blockPath: AnyPath, name: string): AnyPath[] {
  const found: AnyPath[] = [];
  j(blockPath).find(j.Identifier, { name } as any).forEach((path: AnyPath) => {
    const parent = path.parent?.node;
    if (isMember(parent) && parent.property === path.node && !parent.computed) return;
    if (/^(ObjectProperty|Property|ClassProperty|ObjectMethod|ClassMethod|TSPropertySignature|TSMethodSignature)$/.test(parent?.type) && parent.key === path.node && !parent.computed && !parent.shorthand) return;
    found.push(path);
  });
  return found.sort((a, b) => (a.node.start ?? 0) - (b.node.start ?? 0));
}

/** `tf.stack(name, 1)` or `stack(name, 1)` with tfjs's own `stack`. */
function isStackOnTimeAxis(call: AnyPath, argument: any, tf: TfBinding): boolean {
  const node = call?.node;
  if (node?.type !== 'CallExpression' || node.arguments.length !== 2 || node.arguments[0] !== argument) return false;
  const axis = unwrap(node.arguments[1]);
  if (!((axis?.type === 'NumericLiteral' || axis?.type === 'Literal') && axis.value === 1)) return false;
  const callee = unwrap(node.callee);
  if (callee.type === 'Identifier') return tf.named.get(callee.name) === 'stack' && !isShadowed(call, callee.name);
  if (!isMember(callee) || propertyName(callee) !== 'stack') return false;
  const object = unwrap(callee.object);
  return object.type === 'Identifier' && object.name === tf.namespace && !isShadowed(call, object.name);
}

/** No loop between the call and the block, and no function but a tf.tidy callback (run once, in place). */
function runsAtMostOnce(path: AnyPath, blockNode: any): boolean {
  for (const ancestor of ancestors(path)) {
    if (ancestor.node === blockNode) return true;
    if (isLoopNode(ancestor.node)) return false;
    if (isFunctionNode(ancestor.node)) {
      const call = ancestor.parent?.node;
      const callee = isCall(call) ? unwrap(call.callee) : undefined;
      const tidy = callee && ((isMember(callee) && propertyName(callee) === 'tidy') || (callee.type === 'Identifier' && callee.name === 'tidy'));
      if (!tidy || call.arguments[call.arguments.length - 1] !== ancestor.node) return false;
    }
  }
  return false;
}

/**
 * `const hidden = tf.stack(outputs, 1);` as a statement of the loop's block: the sequence can be
 * declared as `hidden` where the loop was, provided nothing in the block mentions `hidden` before
 * that declaration (moving it up then changes nothing that runs, and the stack had no effect).
 */
function adoptingDeclaration(j: JSCodeshift, stackCall: AnyPath, siblings: any[], blockPath: AnyPath, loopIndex: number): StackedCollect['into'] {
  const declarator = stackCall.parent;
  const declaration = declarator?.parent;
  if (declarator?.node.type !== 'VariableDeclarator' || declarator.node.init !== stackCall.node || declarator.node.id.type !== 'Identifier') return undefined;
  const node = declaration.node;
  if (node.type !== 'VariableDeclaration' || (node.kind !== 'const' && node.kind !== 'let') || node.declarations.length !== 1) return undefined;
  const index = siblings.indexOf(node);
  if (index <= loopIndex) return undefined;
  const name: string = declarator.node.id.name;
  const earlier = identifierMentions(j, blockPath, name).filter((mention) => (mention.node.start ?? 0) < (node.start ?? 0));
  if (earlier.length > 0) return undefined;
  const into: NonNullable<StackedCollect['into']> = { declaration, name, kind: node.kind };
  if (declarator.node.id.typeAnnotation) into.typeAnnotation = declarator.node.id.typeAnnotation;
  return into;
}
