import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf, ShardSyntaxError } from '../../../src/cli/discovery/shard.js';

describe('--shard', () => {
  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '1/2/3', '-1/2']) {
      expect(() => parseShard(bad), bad).toThrow(ShardSyntaxError);
    }
  });

  it('puts every path in exactly one shard, spread evenly', () => {
    const paths = Array.from({ length: 3000 }, (_, i) => `packages/p${i % 37}/src/file${i}.ts`);
    const sizes = [0, 0, 0];
    for (const path of paths) {
      const owners = [1, 2, 3].filter((index) => inShard(path, { index, count: 3 }));
      expect(owners).toHaveLength(1);
      sizes[shardOf(path, 3) - 1]!++;
    }
    for (const size of sizes) expect(size).toBeGreaterThan(900);
    expect(inShard('any/path.ts', undefined)).toBe(true);
  });
});
