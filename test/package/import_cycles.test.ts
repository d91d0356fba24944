/**
 * The import graph of src/ has no cycles (dependencies point one way: cli → codemods; legacy →
 * runtime → kernels). Every relative import and re-export counts, type-only ones included: a
 * cycle of types is still two modules that cannot be read one after the other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative modules a file imports or re-exports, as absolute .ts paths. */
export function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  const bare = [...text.matchAll(/(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return [...specifiers, ...bare].map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
}

/** One cycle of `graph` if there is any (as the files around it), else null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined && graph.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return null;
}

describe('the import graph of src/', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeNull();
    expect(importsOf('/x/a.ts', "import type { T } from './b.js';\nexport { u } from '../c.js';\nimport './d.js';")).toEqual(['/x/b.ts', '/c.ts', '/x/d.ts']);
  });

  it('has no cycles', () => {
    const files = sourceFiles(src);
    const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));
    const cycle = findCycle(graph);
    expect(cycle?.map((file) => relative(root, file)) ?? null).toBeNull();
  });
});
