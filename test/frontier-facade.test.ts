// Frontier (src/frontier/index.ts): admit pages of links, hand URLs out once each, breadth first,
// at the smallest depth they were found at, with and without spilling.

import { readdirSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Frontier, type FrontierEntry } from '../src/frontier/index.js';
import { drain, fcParams, hasher, keyPool, urlKey } from './frontier-helpers.js';
import { tempDir } from './helpers.js';

describe('Frontier', () => {
  it('admits each URL once, counting duplicates within and across pages once', async () => {
    const f = await Frontier.open({ logPath: null, spillDir: null, hasher });
    expect(f.admit('https://a.example/', 1, ['https://a.example/x', 'https://a.example/x', 'https://a.example/y'])).toBe(2);
    expect(f.admit('https://a.example/y', 2, ['https://a.example/x', 'https://a.example/z'])).toBe(1);
    expect(f.pending).toBe(3);
    expect(f.seenCount).toBe(3);
    expect(drain(f)).toEqual([
      { url: 'https://a.example/x', depth: 1, parent: 'https://a.example/' },
      { url: 'https://a.example/y', depth: 1, parent: 'https://a.example/' },
      { url: 'https://a.example/z', depth: 2, parent: 'https://a.example/y' },
    ]);
    expect(f.pending).toBe(0);
    // Handed out once: finding them again admits nothing.
    expect(f.admit('https://a.example/z', 3, ['https://a.example/x', 'https://a.example/y'])).toBe(0);
    expect(f.next()).toBeUndefined();
    f.close();
  });

  it('hands out a URL found again nearer at the smaller depth, in its first place', async () => {
    const f = await Frontier.open({ logPath: null, spillDir: null, hasher });
    f.admit('https://a.example/d2', 3, ['https://a.example/p', 'https://a.example/q']);
    f.admit('https://a.example/d0', 1, ['https://a.example/q', 'https://a.example/r']);
    expect(drain(f)).toEqual([
      { url: 'https://a.example/p', depth: 3, parent: 'https://a.example/d2' },
      { url: 'https://a.example/q', depth: 1, parent: 'https://a.example/d2' },
      { url: 'https://a.example/r', depth: 1, parent: 'https://a.example/d0' },
    ]);
    f.close();
  });

  it('skips a waiting URL once an input line claims it, and pending says so', async () => {
    const f = await Frontier.open({ logPath: null, spillDir: null, hasher });
    f.admit('https://a.example/', 1, ['https://a.example/1', 'https://a.example/2', 'https://a.example/3']);
    expect(f.claim('https://a.example/2')).toBe(true); // waiting: the input line fetches it now
    expect(f.claim('https://a.example/2')).toBe(false); // a duplicate line
    expect(f.claim('https://a.example/seed')).toBe(true);
    expect(f.pending).toBe(2);
    expect(f.admit('https://a.example/1', 2, ['https://a.example/seed'])).toBe(0);
    expect(drain(f).map((e) => e.url)).toEqual(['https://a.example/1', 'https://a.example/3']);
    expect(f.pending).toBe(0);
    expect(f.claim('https://a.example/1')).toBe(false); // already handed out
    f.close();
  });

  it('counts its memory: the seen table and the queue segments', async () => {
    const f = await Frontier.open({ logPath: null, spillDir: null, hasher, initialCapacity: 1 << 12 });
    expect(f.memoryBytes).toBe((1 << 13) * 12);
    f.admit(null, 0, ['https://a.example/']);
    expect(f.memoryBytes).toBe((1 << 13) * 12 + (1 << 20));
    f.close();
  });

  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ admit: fc.record({ parent: fc.option(keyPool(10), { nil: null }), depth: fc.nat(4), urls: fc.array(fc.oneof(keyPool(60), urlKey), { maxLength: 12 }) }) }) },
    { weight: 2, arbitrary: fc.record({ next: fc.integer({ min: 1, max: 10 }) }) },
    { weight: 1, arbitrary: fc.record({ claim: fc.record({ url: keyPool(60), depth: fc.nat(2) }) }) },
  );

  it('matches a Map and an array for any sequence of admits, claims and nexts, spilling or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), fc.boolean(), async (ops, spill) => {
        const dir = spill ? tempDir() : null;
        const f = await Frontier.open({ logPath: null, spillDir: dir, hasher, segmentBytes: 128, memoryBudget: 0 });
        const seen = new Map<string, { depth: number; started: boolean }>();
        const queue: { url: string; parent: string | null }[] = [];
        let head = 0;
        const modelNext = (): FrontierEntry | undefined => {
          while (head < queue.length) {
            const { url, parent } = queue[head++]!;
            const m = seen.get(url)!;
            if (m.started) continue;
            m.started = true;
            return { url, depth: m.depth, parent };
          }
          return undefined;
        };
        for (const o of ops) {
          if ('admit' in o) {
            const { parent, depth, urls } = o.admit;
            let fresh = 0;
            for (const url of urls) {
              const m = seen.get(url);
              if (m === undefined) {
                seen.set(url, { depth, started: false });
                queue.push({ url, parent });
                fresh++;
              } else if (!m.started && depth < m.depth) {
                m.depth = depth;
              }
            }
            expect(f.admit(parent, depth, urls)).toBe(fresh);
          } else if ('claim' in o) {
            const { url, depth } = o.claim;
            const m = seen.get(url);
            if (m === undefined) seen.set(url, { depth, started: true });
            else if (!m.started) seen.set(url, { depth: Math.min(depth, m.depth), started: true });
            expect(f.claim(url, depth)).toBe(m === undefined || !m.started);
          } else {
            for (let k = 0; k < o.next; k++) expect(f.next()).toEqual(modelNext());
          }
          const waiting = queue.slice(head).filter((e) => !seen.get(e.url)!.started).length;
          expect(f.pending).toBe(waiting);
          expect(f.seenCount).toBe(seen.size);
        }
        const rest: FrontierEntry[] = [];
        for (let e = modelNext(); e !== undefined; e = modelNext()) rest.push(e);
        expect(drain(f)).toEqual(rest);
        f.close();
        if (dir !== null) {
          expect(readdirSync(dir)).toEqual([]);
          rmSync(dir, { recursive: true });
        }
      }),
      fcParams(60),
    );
  });
});
