// The politeness options through the real CLI, measured at loopback servers: per-host limits,
// rates, host pause, dedupe, shards, usage errors.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';
import { startRecorder, type Recorder } from './polite-helpers.js';

let tbs: Testbed[] = [];
beforeAll(async () => {
  tbs = await Promise.all([startTestbed(), startTestbed(), startTestbed()]);
});
afterAll(async () => {
  await Promise.all(tbs.map((t) => t.close()));
});
beforeEach(() => {
  for (const t of tbs) t.resetCounters();
});

const recorders: Recorder[] = [];
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});

/** Interleaves lists: a1 b1 c1 a2 b2 c2 ... */
function interleave(...lists: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(...lists.map((l) => l.length)); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

describe('--per-host', () => {
  it('never has more than --per-host in flight at any one server, and reaches it on each', async () => {
    const lists = tbs.map((t) => Array.from({ length: 12 }, (_, i) => `${t.url}/delay/150/${i}`));
    const r = await runCli(['-q', '-c', '20', '--per-host', '3', tempList(interleave(...lists))]);
    expect(r.code).toBe(0);
    expect(r.records.filter((x) => x.ok)).toHaveLength(36);
    for (const t of tbs) {
      expect(t.counters.requests).toBe(12);
      expect(t.counters.maxInFlight).toBe(3);
    }
  });

  it('the global -c still applies over all hosts', async () => {
    let now = 0;
    let most = 0;
    const slow = (_req: unknown, res: import('node:http').ServerResponse): void => {
      most = Math.max(most, ++now);
      setTimeout(() => {
        now--;
        res.end('ok\n');
      }, 150);
    };
    const recs = await Promise.all([startRecorder(slow), startRecorder(slow), startRecorder(slow)]);
    recorders.push(...recs);
    const lists = recs.map((rec) => Array.from({ length: 8 }, (_, i) => `${rec.url}/d/${i}`));
    const r = await runCli(['-q', '-c', '4', '--per-host', '3', tempList(interleave(...lists))]);
    expect(r.records.filter((x) => x.ok)).toHaveLength(24);
    expect(most).toBe(4);
    for (const rec of recs) expect(rec.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('a slow host does not stall the others: the fast host finishes while the slow one is still at its second URL', async () => {
    const [slow, fast] = tbs as [Testbed, Testbed];
    const slowUrls = Array.from({ length: 3 }, (_, i) => `${slow.url}/delay/2000/${i}`);
    const fastUrls = Array.from({ length: 40 }, (_, i) => `${fast.url}/p/${i}`);
    const r = await runCli(['-q', '-c', '4', '--per-host', '1', tempList(interleave(slowUrls, fastUrls))]);
    expect(r.code).toBe(0);
    const order = r.records.map((x) => (x.url.startsWith(slow.url) ? 'slow' : 'fast'));
    const lastFast = order.lastIndexOf('fast');
    const secondSlow = order.indexOf('slow', order.indexOf('slow') + 1);
    expect(order.filter((o) => o === 'fast')).toHaveLength(40);
    expect(lastFast).toBeLessThan(secondSlow);
    expect(slow.counters.maxInFlight).toBe(1);
  });
});

describe('--rate and --per-host-rate', () => {
  it('--rate spaces request starts: 61 URLs at 30/s take about 2 s at the server, never much less', async () => {
    const rec = await startRecorder();
    recorders.push(rec);
    const dir = tempDir();
    const summary = join(dir, 's.json');
    const urls = Array.from({ length: 61 }, (_, i) => `${rec.url}/r/${i}`);
    const r = await runCli(['-q', '-c', '16', '--rate', '30', '--summary-json', summary, tempList(urls)]);
    expect(r.records.filter((x) => x.ok)).toHaveLength(61);
    const times = rec.arrivals.map((a) => a.at);
    const span = times.at(-1)! - times[0]!;
    // 60 intervals of 33.3 ms = 2,000 ms of starts. The server sees less when the first arrival
    // comes late (a new connection on a busy machine), so the bound leaves 600 ms for that;
    // without the limit, 61 requests at -c 16 arrive within a few tens of ms.
    expect(span).toBeGreaterThanOrEqual(1400);
    expect(span).toBeLessThan(6000);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s.polite.rate.target).toBe(30);
    expect(s.polite.rate.achieved).toBeLessThanOrEqual(30 * 1.05);
    expect(s.polite.rate.achieved).toBeGreaterThan(10);
  });

  it('--per-host-rate limits each host on its own: two hosts at 20/s each run side by side', async () => {
    const [a, b] = [await startRecorder(), await startRecorder()];
    recorders.push(a, b);
    const urls = interleave(
      Array.from({ length: 31 }, (_, i) => `${a.url}/r/${i}`),
      Array.from({ length: 31 }, (_, i) => `${b.url}/r/${i}`),
    );
    const t0 = performance.now();
    const r = await runCli(['--per-host-rate', '20', tempList(urls)]);
    const elapsed = performance.now() - t0;
    expect(r.records.filter((x) => x.ok)).toHaveLength(62);
    for (const rec of [a, b]) {
      // The limiter spaces the 31 starts by 30 x 50 ms = 1.5 s. At the server the first arrival
      // can come late (a new connection on a busy machine) and compress what the server sees,
      // so the bound leaves room for that; without the limit all 31 arrive within tens of ms.
      const span = rec.arrivals.at(-1)!.at - rec.arrivals[0]!.at;
      expect(span).toBeGreaterThanOrEqual(1000);
    }
    // Side by side, not one after the other (that would be >= 3 s of spacing alone).
    const overlapStart = Math.max(a.arrivals[0]!.at, b.arrivals[0]!.at);
    const overlapEnd = Math.min(a.arrivals.at(-1)!.at, b.arrivals.at(-1)!.at);
    expect(overlapEnd - overlapStart).toBeGreaterThan(1000);
    expect(elapsed).toBeGreaterThan(1400);
    expect(r.stderr).toMatch(/per-host rate\s+target 20\/s/);
  });
});

describe('host backoff', () => {
  it('a 429 with Retry-After pauses the whole host, not just that URL; other hosts go on', async () => {
    const [t, other] = tbs as [Testbed, Testbed];
    const list = [`${t.url}/retry-after/1/a`, `${t.url}/retry-after/1/b`, `${t.url}/retry-after/1/c`, `${other.url}/retry-after/1/z`];
    const r = await runCli(['-q', '--per-host', '1', '--retry-delay', '1', tempList(list)]);
    expect(r.records.filter((x) => x.ok)).toHaveLength(4);
    const first = (path: string): number => t.counters.arrivals.get(path)![0]!;
    // b and c are other URLs of the paused host: their first request waits out a's Retry-After.
    expect(first('/retry-after/1/b') - first('/retry-after/1/a')).toBeGreaterThanOrEqual(900);
    // The other host is not paused by t's 429.
    expect(other.counters.arrivals.get('/retry-after/1/z')![0]! - first('/retry-after/1/a')).toBeLessThan(900);
    expect(r.records.find((x) => x.url.endsWith('/a'))).toMatchObject({ attempts: 2 });
  });

  it('the pause is capped by --retry-max-delay', async () => {
    const [t] = tbs as [Testbed];
    const list = [`${t.url}/retry-after/30/a`, `${t.url}/retry-after/30/b`];
    const r = await runCli(['-q', '--per-host', '1', '--retry-delay', '1', '--retry-max-delay', '200', tempList(list)]);
    expect(r.records.filter((x) => x.ok)).toHaveLength(2);
    const gap = t.counters.arrivals.get('/retry-after/30/b')![0]! - t.counters.arrivals.get('/retry-after/30/a')![0]!;
    expect(gap).toBeGreaterThanOrEqual(180);
    expect(gap).toBeLessThan(20_000);
  });
});

describe('--dedupe', () => {
  it('fetches a URL once; later copies (case, default port, fragment) say skipped: duplicate', async () => {
    const [t] = tbs as [Testbed];
    const upper = t.url.replace('http://', 'HTTP://');
    const list = [`${t.url}/p/1`, `${upper}/p/1#top`, `${t.url}/p/2`, `${t.url}/p/1`, 'http://127.0.0.1:1/x', 'http://127.0.0.1:1/x'];
    const r = await runCli(['-q', '-r', '0', '--dedupe', tempList(list)]);
    expect(r.code).toBe(0);
    const recs = [...r.records].sort((a, b) => a.line - b.line);
    expect(recs.map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(recs.map((x) => x.skipped ?? null)).toEqual([null, 'duplicate', null, 'duplicate', null, 'duplicate']);
    expect(recs[1]).toMatchObject({ ok: false, status: null, attempts: 0, error: null });
    expect(t.counters.requests).toBe(2);
  });

  it('without --dedupe every copy is fetched', async () => {
    const [t] = tbs as [Testbed];
    const r = await runCli(['-q', tempList([`${t.url}/p/1`, `${t.url}/p/1`])]);
    expect(r.records).toHaveLength(2);
    expect(t.counters.requests).toBe(2);
  });
});

describe('--shard', () => {
  it('n shards cover a list exactly once, and each run fetches only its own lines', async () => {
    const [t] = tbs as [Testbed];
    const list = tempList([...Array.from({ length: 150 }, (_, i) => `${t.url}/p/${i}`), 'not a url', '# comment']);
    const lines: number[] = [];
    let requests = 0;
    for (let k = 1; k <= 3; k++) {
      t.resetCounters();
      const r = await runCli(['-q', '--shard', `${k}/3`, list]);
      expect(r.code).toBe(0);
      expect(r.records.length).toBeGreaterThan(20);
      lines.push(...r.records.map((x) => x.line));
      requests += t.counters.requests;
    }
    expect(lines.sort((a, b) => a - b)).toEqual(Array.from({ length: 151 }, (_, i) => i + 1));
    expect(requests).toBe(150);
  });
});

describe('usage errors of the new options: exit 2, one line naming the option', () => {
  for (const [args, pattern] of [
    [['--shard', '0/3'], /--shard.*'0\/3'.*1 <= k <= n/],
    [['--shard', '4/3'], /--shard.*'4\/3'/],
    [['--shard', 'half'], /--shard.*'half'/],
    [['--rate', '0'], /--rate.*'0'/],
    [['--per-host-rate', 'fast'], /--per-host-rate.*'fast'/],
    [['--per-host', '0'], /--per-host.*'0'/],
    [['--proxy', 'socks://x'], /--proxy.*'socks:\/\/x'/],
    [['--cacert', 'missing.pem'], /--cacert file 'missing.pem'/],
    [['--resume', 'x.ndjson', '-o', 'y.ndjson'], /--resume/],
    [['--resume', '/'], /--resume file '\/' is not a regular file/],
    [['--resume', '/no/such/dir/out.ndjson'], /--resume file.*directory does not exist/],
  ] as const) {
    it(args.join(' '), async () => {
      const [t] = tbs as [Testbed];
      const r = await runCli([...args, '-'], { stdin: `${t.url}/p/1\n` });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(t.counters.requests).toBe(0);
    });
  }
});
