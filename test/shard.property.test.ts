// Property: `--shard k/n` partitions any list. For every n and every line, exactly one k in 1..n
// takes it, and "k/n" as written parses to that shard.

import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { loadHasher, type Hasher } from '../src/polite/hash.js';
import { inShard, parseShard, shardOf } from '../src/polite/shard.js';
import { anyString, fc } from './property.js';

let hasher: Hasher;
beforeAll(async () => {
  hasher = await loadHasher();
});

const n = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 0xffffffff }));

describe('--shard (property)', () => {
  it('every line is in exactly one of n shards', () => {
    fc.assert(
      fc.property(fc.array(anyString(60), { maxLength: 10 }), fc.integer({ min: 1, max: 32 }), (lines, shards) => {
        for (const line of lines) {
          const owners = Array.from({ length: shards }, (_, i) => i + 1).filter((k) => inShard(line, { k, n: shards }, hasher));
          expect(owners).toEqual([shardOf(line, shards, hasher)]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('for any n up to 2^32-1, a line has one shard in 1..n, and k/n as written parses to it', () => {
    fc.assert(
      fc.property(anyString(60), n, fc.constantFrom('', ' '), (line, shards, space) => {
        const k = shardOf(line, shards, hasher);
        expect(Number.isInteger(k) && k >= 1 && k <= shards).toBe(true);
        const spec = parseShard(`${space}${k}${space}/${space}${shards}${space}`);
        expect(spec).toEqual({ k, n: shards });
        expect(inShard(line, spec, hasher)).toBe(true);
        if (shards > 1) expect(inShard(line, { k: (k % shards) + 1, n: shards }, hasher)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('anything else given to --shard is a UsageError', () => {
    fc.assert(
      fc.property(anyString(20), (raw) => {
        try {
          const { k, n: shards } = parseShard(raw);
          expect(Number.isSafeInteger(k) && Number.isSafeInteger(shards) && k >= 1 && k <= shards && shards <= 0xffffffff).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
