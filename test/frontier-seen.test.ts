// SeenSet (src/frontier/seen.ts): the visited set with a depth and a started bit per URL.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, SeenSet } from '../src/frontier/seen.js';
import { fcParams, hasher, keyPool, urlKey } from './frontier-helpers.js';

describe('SeenSet', () => {
  it('admits a key once and keeps the smallest depth while it has not started', () => {
    const s = new SeenSet(hasher);
    expect(s.admit('https://a.example/', 3)).toBe('new');
    expect(s.admit('https://a.example/', 3)).toBe('seen');
    expect(s.admit('https://a.example/', 5)).toBe('seen');
    expect(s.depthOf('https://a.example/')).toBe(3);
    expect(s.admit('https://a.example/', 1)).toBe('lowered');
    expect(s.depthOf('https://a.example/')).toBe(1);
    expect(s.size).toBe(1);
    expect(s.depthOf('https://b.example/')).toBeUndefined();
    expect(s.has('https://b.example/')).toBe(false);
  });

  it('does not lower a started key: it keeps the depth it was fetched at', () => {
    const s = new SeenSet(hasher);
    s.admit('https://a.example/x', 4);
    expect(s.markStarted('https://a.example/x')).toBe(4);
    expect(s.markStarted('https://a.example/x')).toBe(-1);
    expect(s.admit('https://a.example/x', 0)).toBe('seen');
    expect(s.depthOf('https://a.example/x')).toBe(4);
    expect(s.isStarted('https://a.example/x')).toBe(true);
    expect(s.markStarted('https://absent.example/')).toBe(-1);
  });

  it('claim() adds a started key, or starts a waiting one at the smaller depth', () => {
    const s = new SeenSet(hasher);
    expect(s.claim('https://a.example/seed', 0)).toBe('new');
    expect(s.isStarted('https://a.example/seed')).toBe(true);
    expect(s.claim('https://a.example/seed', 0)).toBe('started');
    s.admit('https://a.example/found', 2);
    expect(s.claim('https://a.example/found', 0)).toBe('pending');
    expect(s.depthOf('https://a.example/found')).toBe(0);
    expect(s.markStarted('https://a.example/found')).toBe(-1);
  });

  it('holds the largest depth and refuses what does not fit in 31 bits', () => {
    const s = new SeenSet(hasher);
    expect(s.admit('https://a.example/deep', MAX_DEPTH)).toBe('new');
    expect(s.depthOf('https://a.example/deep')).toBe(MAX_DEPTH);
    expect(s.markStarted('https://a.example/deep')).toBe(MAX_DEPTH);
    expect(() => s.admit('https://a.example/x', MAX_DEPTH + 1)).toThrow(RangeError);
    expect(() => s.admit('https://a.example/x', -1)).toThrow(RangeError);
    expect(() => s.admit('https://a.example/x', 1.5)).toThrow(RangeError);
    expect(() => s.admit('https://a.example/x', Number.NaN)).toThrow(RangeError);
  });

  it('keeps every key and depth across many doublings, at 12 bytes a slot and load <= 1/2', () => {
    const s = new SeenSet(hasher, 1);
    const n = 50_000;
    let fresh = 0;
    for (let i = 0; i < n; i++) if (s.admit(`https://h${i % 7}.example/p/${i}`, i % 13) === 'new') fresh++;
    expect(fresh).toBe(n);
    expect(s.size).toBe(n);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (s.depthOf(`https://h${i % 7}.example/p/${i}`) !== i % 13) wrong++;
    expect(wrong).toBe(0);
    expect(s.byteLength).toBe(131_072 * 12); // the smallest power of two >= 2n slots
  });

  it('behaves like a Map of key -> {depth, started} for any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('admit' as const), key: fc.oneof(keyPool(40), urlKey), depth: fc.nat(6) }),
      fc.record({ kind: fc.constant('claim' as const), key: keyPool(40), depth: fc.nat(6) }),
      fc.record({ kind: fc.constant('start' as const), key: keyPool(40), depth: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const s = new SeenSet(hasher, 1);
        const model = new Map<string, { depth: number; started: boolean }>();
        for (const { kind, key, depth } of ops) {
          const m = model.get(key);
          if (kind === 'admit') {
            const want = m === undefined ? 'new' : !m.started && depth < m.depth ? 'lowered' : 'seen';
            if (m === undefined) model.set(key, { depth, started: false });
            else if (want === 'lowered') m.depth = depth;
            expect(s.admit(key, depth)).toBe(want);
          } else if (kind === 'claim') {
            const want = m === undefined ? 'new' : m.started ? 'started' : 'pending';
            if (m === undefined) model.set(key, { depth, started: true });
            else if (!m.started) model.set(key, { depth: Math.min(depth, m.depth), started: true });
            expect(s.claim(key, depth)).toBe(want);
          } else {
            const want = m === undefined || m.started ? -1 : m.depth;
            if (m !== undefined) m.started = true;
            expect(s.markStarted(key)).toBe(want);
          }
        }
        expect(s.size).toBe(model.size);
        for (const [key, m] of model) {
          expect(s.depthOf(key)).toBe(m.depth);
          expect(s.isStarted(key)).toBe(m.started);
        }
      }),
      fcParams(),
    );
  });
});
