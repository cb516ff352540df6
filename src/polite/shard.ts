// --shard k/n: which input lines this run takes. A line belongs to shard
// (xxh32(url, seed 0) mod n) + 1, where url is the line as given, trimmed (with any password
// already replaced by *** as in the record's `url`). xxHash32 is fixed by its spec, so every
// machine, OS and Node version agrees: n jobs with 1/n ... n/n cover a list exactly once.
// (Check one by hand: `echo -n "$url" | xxhsum -H0` prints the hash in hex.)

import { UsageError } from '../errors.js';
import type { Hasher } from './hash.js';

export interface ShardSpec {
  /** 1-based. */
  readonly k: number;
  readonly n: number;
}

/** Parses "k/n"; the CLI names the option when this throws. */
export function parseShard(raw: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  if (m === null) throw new UsageError('Expected k/n, such as 1/4.');
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) throw new UsageError('Expected n >= 1 in k/n (and at most 4294967295, the hash range).');
  if (!Number.isSafeInteger(k) || k < 1 || k > n) throw new UsageError(`Expected 1 <= k <= n in k/n (n is ${n}).`);
  return { k, n };
}

/** The 1-based shard of one URL. */
export function shardOf(url: string, n: number, hasher: Hasher): number {
  return (hasher.h32(url, 0) % n) + 1;
}

export function inShard(url: string, spec: ShardSpec, hasher: Hasher): boolean {
  return shardOf(url, spec.n, hasher) === spec.k;
}
