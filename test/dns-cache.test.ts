// The --dns-server resolver's cache (src/net/resolver.ts) against the loopback DNS testbed:
// TTLs with a clock moved by hand (no sleeps), one query for many concurrent lookups, the LRU
// bound, negative caching, failures that are not kept, and the hosts table in front.

import type { LookupAddress, LookupOptions } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorCode } from '../src/errors.js';
import { parseHosts } from '../src/net/hosts-file.js';
import { CachingResolver, type DnsQuery, type ResolverOptions } from '../src/net/resolver.js';
import { startDnsTestbed, type DnsTestbed } from '../src/testbed-dns.js';

let dns: DnsTestbed;
beforeAll(async () => {
  dns = await startDnsTestbed({ ttl: 30 });
});
afterAll(() => dns.close());

/** A clock the test moves; starts far from 0 (lru-cache reads a start of 0 as "no TTL"). */
function manualClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function resolver(extra: Partial<ResolverOptions> = {}): CachingResolver {
  return new CachingResolver({ servers: [{ host: dns.host, port: dns.port }], hosts: new Map(), ...extra });
}

function lookup(r: CachingResolver, name: string, options: LookupOptions = { all: true }): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    r.lookup(name, options, (err, address, family) => {
      if (err) reject(err);
      else resolve(Array.isArray(address) ? address : [{ address, family: family ?? 4 }]);
    });
  });
}

let n = 0;
/** A name no other test has asked for, so the testbed's per-name counts start at 0. */
const fresh = (): string => `h${1000 + n++}.crawl.test`;

describe('DNS cache', () => {
  it('answers from the cache until the TTL runs out, then asks again', async () => {
    const clock = manualClock();
    const r = resolver({ clock });
    const name = fresh();
    expect(await lookup(r, name)).toEqual([{ address: '127.0.0.1', family: 4 }]);
    clock.advance(29_999);
    await lookup(r, name);
    expect(dns.queriesFor(name)).toBe(1);
    clock.advance(2);
    await lookup(r, name);
    expect(dns.queriesFor(name)).toBe(2);
  });

  it('sends one query for 50 concurrent lookups of one name', async () => {
    const r = resolver();
    const name = fresh();
    const answers = await Promise.all(Array.from({ length: 50 }, () => lookup(r, name.toUpperCase())));
    expect(answers.every((a) => a[0]?.address === '127.0.0.1')).toBe(true);
    expect(dns.queriesFor(name)).toBe(1);
    expect(r.stats).toMatchObject({ lookups: 50, resolved: 1 });
  });

  it('holds at most maxEntries names, dropping the least recently used', async () => {
    const r = resolver({ maxEntries: 3 });
    const names = [fresh(), fresh(), fresh(), fresh(), fresh()];
    for (const name of names) await lookup(r, name);
    expect(r.size).toBe(3);
    await lookup(r, names[4]!); // still held
    await lookup(r, names[0]!); // pushed out: asked again
    expect(names.map((name) => dns.queriesFor(name))).toEqual([2, 1, 1, 1, 1]);
  });

  it('keeps "no such name" for the negative TTL, as a dns error', async () => {
    const clock = manualClock();
    const r = resolver({ clock, negativeTtlMs: 5_000 });
    const name = `nope${n++}.crawl.test`;
    const err = await lookup(r, name).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOTFOUND' });
    expect(toErrorCode(err)).toBe('dns');
    clock.advance(4_999);
    await expect(lookup(r, name)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(dns.queriesFor(name)).toBe(1);
    clock.advance(2);
    await expect(lookup(r, name)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(dns.queriesFor(name)).toBe(2);
  });

  it('does not keep a server failure: the next lookup (a retry) asks again', async () => {
    let calls = 0;
    const failing: DnsQuery = {
      resolve4: () => {
        calls++;
        return Promise.reject(Object.assign(new Error('queryA ETIMEOUT x'), { code: 'ETIMEOUT' }));
      },
      resolve6: () => Promise.reject(Object.assign(new Error('queryAaaa ETIMEOUT x'), { code: 'ETIMEOUT' })),
    };
    const r = resolver({ query: failing });
    const err = await lookup(r, 'slow.example').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EAI_AGAIN' });
    expect(toErrorCode(err)).toBe('dns');
    await expect(lookup(r, 'slow.example')).rejects.toMatchObject({ code: 'EAI_AGAIN' });
    expect(calls).toBe(2);
  });

  it('does not keep an answer with TTL 0 beyond its query', async () => {
    const clock = manualClock();
    let calls = 0;
    const zeroTtl: DnsQuery = {
      resolve4: async () => (calls++, [{ address: '10.0.0.1', ttl: 0 }]),
      resolve6: async () => [],
    };
    const r = resolver({ clock, query: zeroTtl });
    await Promise.all([lookup(r, 'zero.example'), lookup(r, 'zero.example')]);
    expect(calls).toBe(1);
    clock.advance(2);
    await lookup(r, 'zero.example');
    expect(calls).toBe(2);
  });

  it('answers names of the hosts table without a query, any case, trailing dot or not', async () => {
    const hosts = parseHosts('10.1.2.3 MyHost alias\n::1 localhost\n127.0.0.1 localhost\n');
    const r = resolver({ hosts });
    expect(await lookup(r, 'myhost.')).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(await lookup(r, 'LOCALHOST')).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(await lookup(r, 'localhost', { family: 6 })).toEqual([{ address: '::1', family: 6 }]);
    await expect(lookup(r, 'alias', { family: 6 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(r.stats).toMatchObject({ resolved: 0, fromHosts: 4 });
    expect(dns.counts.other).toBe(0);
  });

  it('resolves at most maxQueries names at once; the rest wait their turn, in order', async () => {
    let active = 0;
    let peak = 0;
    const order: string[] = [];
    const releases: (() => void)[] = [];
    const gated: DnsQuery = {
      resolve4: (name) => {
        order.push(name);
        peak = Math.max(peak, ++active);
        return new Promise((resolve) => releases.push(() => (active--, resolve([{ address: '10.0.0.9', ttl: 60 }]))));
      },
      resolve6: async () => [],
    };
    const r = resolver({ query: gated, maxQueries: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `q${i}.example`);
    const all = Promise.all(names.map((name) => lookup(r, name)));
    // Release answers one at a time as they are asked for: each frees a slot for the next name.
    while (order.length < names.length || releases.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    expect((await all).every((a) => a[0]?.address === '10.0.0.9')).toBe(true);
    expect(peak).toBe(3);
    expect(order).toEqual(names);
  });

  it('gives one address (net.connect without autoSelectFamily) or all of them', async () => {
    const r = resolver();
    const name = fresh();
    const one = await new Promise<[string, number]>((resolve, reject) =>
      r.lookup(name, {}, (err, address, family) => (err ? reject(err) : resolve([address as string, family ?? 0]))),
    );
    expect(one).toEqual(['127.0.0.1', 4]);
  });
});
