// `--shard i/n`: each file belongs to exactly one shard, chosen from a stable hash of its
// repository-relative path. Every CI machine decides alone, from the path only, so the shards
// neither overlap nor leave a gap, whatever order the files were found in, and a baseline entry
// for a deleted file is still owned by exactly one shard.
import { createHash } from 'node:crypto';
import type { Shard } from '../run-options.js';

export class ShardSyntaxError extends Error {}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new ShardSyntaxError(`--shard expects i/n (for example 1/3), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) {
    throw new ShardSyntaxError(`--shard ${text}: i must be between 1 and n, and n at least 1`);
  }
  return { index, count };
}

/** The 1-based shard that owns a repository-relative, '/'-separated path. */
export function shardOf(relPath: string, count: number): number {
  if (count === 1) return 1;
  const digest = createHash('sha1').update(relPath).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function inShard(relPath: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOf(relPath, shard.count) === shard.index;
}
