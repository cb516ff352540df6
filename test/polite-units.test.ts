// Unit tests of the politeness modules (src/polite/*), without the CLI.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { makeJob, type Job } from '../src/input.js';
import { Pool } from '../src/pool.js';
import { Deduper, HashSet64 } from '../src/polite/dedupe.js';
import { loadHasher } from '../src/polite/hash.js';
import { HostGate, type GateOptions, type HostRules } from '../src/polite/host-gate.js';
import { isFinal, LineSet, scanResume } from '../src/polite/resume.js';
import { productToken, RobotsCache } from '../src/polite/robots.js';
import { inShard, parseShard, shardOf } from '../src/polite/shard.js';
import { TokenBucket } from '../src/polite/token-bucket.js';
import { tempDir } from './helpers.js';

describe('TokenBucket', () => {
  it('spaces requests 1/rate apart and does not drift when callers come late', () => {
    const b = new TokenBucket(10); // 100 ms apart
    let now = 0;
    const starts: number[] = [];
    for (let i = 0; i < 50; i++) {
      const wait = b.wait(now);
      now += wait + 3; // every timer fires 3 ms late
      expect(b.wait(now)).toBe(0);
      b.take(now);
      starts.push(now);
    }
    // 49 intervals of 100 ms, less the 50 ms slack at the start: lateness is absorbed instead of
    // accumulating (no 49 * 3 ms drift).
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(4900 - 50);
    expect(starts.at(-1)! - starts[0]!).toBeLessThanOrEqual(4900 + 3);
  });

  it('allows no burst after an idle spell beyond its small slack', () => {
    const b = new TokenBucket(2); // 500 ms apart, slack 50 ms
    b.take(0);
    let now = 10_000; // idle for 10 s
    expect(b.wait(now)).toBe(0);
    b.take(now);
    expect(b.wait(now)).toBeCloseTo(450, 5);
    now += 450;
    b.take(now);
    expect(b.wait(now)).toBeCloseTo(500, 5);
  });

  it('holdUntil pushes the next slot back', () => {
    const b = new TokenBucket(100);
    b.holdUntil(1000);
    expect(b.wait(0)).toBe(1000);
  });
});

describe('HashSet64 and Deduper', () => {
  it('adds pairs once, grows, and keeps every member', () => {
    const set = new HashSet64(16);
    let added = 0;
    for (let i = 1; i <= 100_000; i++) if (set.add(i * 2654435761, i)) added++;
    for (let i = 1; i <= 100_000; i++) if (set.add(i * 2654435761, i)) added++;
    expect(added).toBe(100_000);
    expect(set.size).toBe(100_000);
    // 16 bytes per entry at load factor <= 1/2: 262,144 slots of 8 bytes for 100,000 entries.
    expect(set.byteLength / set.size).toBeLessThanOrEqual(32);
    expect(set.add(0, 0)).toBe(true);
    expect(set.add(0, 0)).toBe(false);
  });

  it('treats scheme/host case, the default port and the fragment as the same URL', async () => {
    const d = new Deduper(await loadHasher());
    const seen = (url: string): boolean => d.seen(makeJob(1, url).target!);
    expect(seen('http://Example.COM/a?x=1')).toBe(false);
    expect(seen('HTTP://example.com:80/a?x=1#frag')).toBe(true);
    expect(seen('http://example.com/a?x=2')).toBe(false);
    expect(seen('https://example.com/a?x=1')).toBe(false);
    expect(seen('http://example.com/A?x=1')).toBe(false); // paths are case-sensitive
    expect(d.duplicates).toBe(1);
    expect(d.distinct).toBe(4);
  });
});

describe('shards', () => {
  it('parses k/n and refuses k outside 1..n', () => {
    expect(parseShard('2/5')).toEqual({ k: 2, n: 5 });
    expect(() => parseShard('0/3')).toThrow(/1 <= k <= n/);
    expect(() => parseShard('4/3')).toThrow(/1 <= k <= n/);
    expect(() => parseShard('1/0')).toThrow(/n >= 1/);
    expect(() => parseShard('x')).toThrow(/k\/n/);
  });

  it('partitions a list exactly, and the hash is the fixed xxHash32 (stable across machines)', async () => {
    const h = await loadHasher();
    // xxHash32 reference values (seed 0): the empty string and "a".
    expect(h.h32('', 0)).toBe(0x02cc5d05);
    expect(h.h32('a', 0)).toBe(0x550d7456);
    const urls = Array.from({ length: 3000 }, (_, i) => `https://host${i % 17}.example/p/${i}`);
    const counts = [0, 0, 0, 0];
    for (const url of urls) {
      const owners = [1, 2, 3, 4].filter((k) => inShard(url, { k, n: 4 }, h));
      expect(owners).toHaveLength(1);
      counts[owners[0]! - 1]!++;
      expect(shardOf(url, 4, h)).toBe(owners[0]);
    }
    for (const c of counts) expect(c).toBeGreaterThan(600); // roughly even
  });
});

describe('resume scan', () => {
  it('finds the final lines, ignores aborted ones, and cuts a torn last line', async () => {
    const path = join(tempDir(), 'prev.ndjson');
    const lines = [
      '{"line":1,"url":"u1","ok":true,"error":null}',
      '{"line":2,"url":"u2","ok":false,"error":{"code":"aborted","message":"x"}}',
      '{"line":3,"url":"u3","ok":false,"error":{"code":"timeout","message":"x"}}',
      '{"line":5,"url":"u5","ok":false,"error":null,"skipped":"duplicate"}',
    ];
    writeFileSync(path, lines.join('\n') + '\n{"line":4,"url":"u4","ok":tr');
    const state = await scanResume(path);
    expect([1, 2, 3, 4, 5].filter((l) => state.final.has(l))).toEqual([1, 3, 5]);
    expect(state.records).toBe(4);
    expect(state.tornBytes).toBe('{"line":4,"url":"u4","ok":tr'.length);
    expect(readFileSync(path, 'utf8')).toBe(lines.join('\n') + '\n');
    // A clean file is left alone.
    const again = await scanResume(path);
    expect(again.tornBytes).toBe(0);
    expect(again.final.size).toBe(3);
  });

  it('a missing file is an empty state', async () => {
    const state = await scanResume(join(tempDir(), 'none.ndjson'));
    expect(state.final.size).toBe(0);
  });

  it('isFinal and LineSet', () => {
    expect(isFinal({ error: null })).toBe(true);
    expect(isFinal({ error: { code: 'http_status' } })).toBe(true);
    expect(isFinal({ error: { code: 'aborted' } })).toBe(false);
    const s = new LineSet();
    s.add(1_000_003);
    s.add(1_000_003);
    expect(s.has(1_000_003)).toBe(true);
    expect(s.has(1_000_002)).toBe(false);
    expect(s.size).toBe(1);
  });
});

describe('RobotsCache', () => {
  it('fetches at most maxConcurrent robots.txt at once, and reads 404 as allow-all', async () => {
    let active = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const dispatcher = {
      request: async () => {
        most = Math.max(most, ++active);
        await new Promise<void>((r) => release.push(r));
        active--;
        return { statusCode: 404, headers: {}, body: { dump: async () => {} } };
      },
    };
    const cache = new RobotsCache({ dispatcher: dispatcher as never, headers: {}, timeoutMs: 1000, maxConcurrent: 2 });
    const loads = Array.from({ length: 6 }, (_, i) => cache.load(`http://h${i}.test`));
    while (release.length > 0 || active > 0) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    const rules = await Promise.all(loads);
    expect(most).toBe(2);
    expect(rules.every((r) => r.allowed(makeJob(1, 'http://h0.test/x')))).toBe(true);
    expect(cache.outcomes.allowAll).toBe(6);
  });
});

describe('RobotsCache: the latest origins used', () => {
  it('keeps the rules of the maxOrigins origins used last; an origin used again after that is fetched again', async () => {
    const fetched: string[] = [];
    const dispatcher = {
      request: async (o: { origin: string }) => {
        fetched.push(new URL(o.origin).hostname.split('.')[0]!);
        return { statusCode: 404, headers: {}, body: { dump: async () => {} } };
      },
    };
    const cache = new RobotsCache({ dispatcher: dispatcher as never, headers: {}, timeoutMs: 1000, maxConcurrent: 4, maxOrigins: 2 });
    const use = (host: string): Promise<unknown> => cache.rules(`http://${host}.test`);
    await use('a');
    await use('b');
    await use('a'); // a hit: a is now the latest used
    await use('c'); // b goes
    expect(cache.size).toBe(2);
    await use('a');
    await use('c');
    expect(fetched).toEqual(['a', 'b', 'c']);
    await use('b');
    expect(fetched).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.size).toBe(2);
  });
});

describe('robots product token', () => {
  it('matches groups by the product token of the User-Agent', () => {
    expect(productToken('sweep/0.1.0')).toBe('sweep');
    expect(productToken('MyBot/2 (+https://x)')).toBe('MyBot');
    expect(productToken('')).toBe('*');
  });
});

// ---- the gate, driven by hand ----------------------------------------------------------------

const opts = (o: Partial<GateOptions> = {}): GateOptions => ({
  concurrency: 10,
  perHost: Infinity,
  rate: null,
  perHostRate: null,
  waitingRoom: 100,
  maxPauseMs: 10_000,
  defaultPauseMs: 100,
  ...o,
});

function harness(o: Partial<GateOptions>, rules?: (origin: string) => Promise<HostRules>) {
  const launched: Job[] = [];
  const refused: Job[] = [];
  let resumed = 0;
  const gate = new HostGate(opts(o), {
    launch: (job) => launched.push(job),
    refuse: (job) => refused.push(job),
    resume: () => resumed++,
    ...(rules ? { rules } : {}),
  });
  let line = 0;
  const job = (url: string): Job => makeJob(++line, url);
  return { gate, launched, refused, job, resumed: () => resumed };
}

describe('HostGate', () => {
  it('keeps at most --per-host in flight per origin while other hosts go', () => {
    const { gate, launched, job } = harness({ perHost: 2 });
    const a = Array.from({ length: 5 }, (_, i) => job(`http://a.test/${i}`));
    const b = Array.from({ length: 3 }, (_, i) => job(`http://b.test/${i}`));
    for (const j of [...a, ...b]) gate.admit(j);
    expect(launched.map((j) => j.url)).toEqual(['http://a.test/0', 'http://a.test/1', 'http://b.test/0', 'http://b.test/1']);
    expect(gate.parked).toBe(4);
    gate.finished(a[0]!);
    expect(launched.at(-1)!.url).toBe('http://a.test/2');
    gate.finished(b[0]!);
    expect(launched.at(-1)!.url).toBe('http://b.test/2');
    expect(gate.inFlight).toBe(4);
  });

  it('keeps -c over all hosts and starts parked jobs as slots free', () => {
    const { gate, launched, job } = harness({ concurrency: 2 });
    const jobs = ['http://a.test/1', 'http://b.test/1', 'http://c.test/1'].map(job);
    for (const j of jobs) gate.admit(j);
    expect(launched).toHaveLength(2);
    gate.finished(jobs[0]!);
    expect(launched.map((j) => j.url)).toEqual(['http://a.test/1', 'http://b.test/1', 'http://c.test/1']);
  });

  it('reports full when the waiting room is, and says so when it has room again', () => {
    const h = harness({ perHost: 1, waitingRoom: 3 });
    const jobs = Array.from({ length: 4 }, (_, i) => h.job(`http://a.test/${i}`));
    for (const j of jobs) h.gate.admit(j);
    expect(h.gate.parked).toBe(3);
    expect(h.gate.full).toBe(true);
    h.gate.finished(jobs[0]!);
    expect(h.gate.full).toBe(false);
    expect(h.resumed()).toBe(1);
  });

  it('pauses a whole host after a 429 for its Retry-After, capped, and lets other hosts go', async () => {
    const { gate, launched, job } = harness({ perHost: 1, maxPauseMs: 150 });
    const a = [job('http://a.test/1'), job('http://a.test/2')];
    gate.admit(a[0]!);
    gate.throttle('http://a.test', 429, '30'); // 30 s asked, capped at 150 ms
    gate.finished(a[0]!);
    const t0 = performance.now();
    gate.admit(a[1]!);
    gate.admit(job('http://b.test/1'));
    expect(launched.map((j) => j.url)).toEqual(['http://a.test/1', 'http://b.test/1']);
    // The host's own pause timer launches the parked job: wait for that launch, not for a time.
    await new Promise<void>((resolve) => {
      const push = launched.push.bind(launched);
      launched.push = (...jobs: Job[]) => {
        const n = push(...jobs);
        resolve();
        return n;
      };
    });
    expect(launched[2]!.url).toBe('http://a.test/2');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(gate.stats().pauses).toBe(1);
  });

  it('ignores a 503 without Retry-After', () => {
    const { gate, launched, job } = harness({});
    gate.throttle('http://a.test', 503, null);
    gate.admit(job('http://a.test/1'));
    expect(launched).toHaveLength(1);
    expect(gate.stats().pauses).toBe(0);
  });

  it('waits for a host\'s rules, refuses disallowed jobs without launching them', async () => {
    let loads = 0;
    const rules = async (): Promise<HostRules> => {
      loads++;
      return { allowed: (j) => !j.url.includes('/private'), crawlDelayMs: 0, reason: 'robots' };
    };
    const { gate, launched, refused, job } = harness({}, rules);
    for (const url of ['http://a.test/1', 'http://a.test/private/2', 'http://a.test/3']) gate.admit(job(url));
    expect(launched).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(loads).toBe(1);
    expect(launched.map((j) => j.url)).toEqual(['http://a.test/1', 'http://a.test/3']);
    expect(refused.map((j) => j.url)).toEqual(['http://a.test/private/2']);
  });

  it('forgets idle hosts, at once or at the next sweep once their pause or rate wait is over', () => {
    // A fake clock: on a loaded machine, admitting 5,000 jobs can take longer than the rate wait
    // itself, which made this test flaky with the real one.
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const { gate, job } = harness({ concurrency: 100_000, perHostRate: 5 });
      const jobs = Array.from({ length: 5000 }, (_, i) => job(`http://h${i}.test/`));
      for (const j of jobs) gate.admit(j);
      for (const j of jobs) gate.finished(j);
      // Just started: each host's next slot is 150 ms away (200 ms less the slack): remembered.
      expect(gate.hostCount).toBe(5000);
      vi.advanceTimersByTime(170);
      gate.sweep();
      expect(gate.hostCount).toBe(0);
      gate.drainParked();
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets an idle host whose robots rules are loaded, and asks for them again when it comes back', async () => {
    let asked = 0;
    const allowAll: HostRules = { allowed: () => true, crawlDelayMs: 0, reason: '' };
    const { gate, launched, job } = harness({}, async () => {
      asked++;
      return allowAll;
    });
    const first = job('http://a.test/1');
    gate.admit(first);
    expect(gate.hostCount).toBe(1); // parked while its rules load
    await new Promise((r) => setImmediate(r));
    expect(launched).toEqual([first]);
    gate.finished(first);
    expect(gate.hostCount).toBe(0);
    const again = job('http://a.test/2');
    gate.admit(again);
    await new Promise((r) => setImmediate(r));
    expect(launched).toEqual([first, again]);
    expect(asked).toBe(2); // the RobotsCache answers the second time without a fetch
    gate.finished(again);
    expect(gate.hostCount).toBe(0);
  });

  it('drainParked hands back every job that never started', () => {
    const { gate, job } = harness({ perHost: 1 });
    for (let i = 0; i < 4; i++) gate.admit(job(`http://a.test/${i}`));
    expect(gate.drainParked().map((j) => j.line)).toEqual([2, 3, 4]);
    expect(gate.parked).toBe(0);
  });

  it('bounds what the pool reads: input pauses while one slow host fills the waiting room', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Job[]> {
      for (let b = 0; b < 1000; b++) {
        const batch: Job[] = [];
        for (let i = 0; i < 10; i++) batch.push(makeJob(++pulled, `http://slow.test/${pulled}`));
        yield batch;
      }
    }
    const running: Job[] = [];
    let pool!: Pool<Job>;
    const gate = new HostGate(opts({ concurrency: 4, perHost: 1, waitingRoom: 50 }), {
      launch: (j) => running.push(j),
      refuse: () => pool.release(),
      resume: () => pool.pump(),
    });
    pool = new Pool(source(), 4 + 50, { start: (j) => gate.admit(j), paused: () => gate.full });
    const done = pool.run();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(running).toHaveLength(1);
    expect(gate.parked).toBe(50);
    expect(pulled).toBeLessThanOrEqual(4 + 50 + 10);
    // Finish everything one at a time: the pool drains the whole input, in order.
    let finished = 0;
    while (running.length > 0 || finished < 10_000) {
      const j = running.shift();
      if (j === undefined) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      finished++;
      gate.finished(j);
      pool.release();
    }
    await done;
    expect(finished).toBe(10_000);
  });
});
