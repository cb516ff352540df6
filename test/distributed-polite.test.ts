// The politeness options of `sweep work`, measured at loopback servers with a real redis-server
// and the real CLI: --per-host and --robots (per worker), host pause after 429, and
// --per-host-rate (one schedule per origin in Redis, shared by every worker of the queue).

import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli } from './helpers.js';
import { enqueueUrls, exportedRecords, until, useRedisQueue } from './distributed-helpers.js';
import { startRecorder, type Recorder } from './polite-helpers.js';

// One queue per test (p1, p2, ...).
const Q = useRedisQueue('p');
const haveRedis = Q.haveRedis;
let tbs: Testbed[] = [];
const recorders: Recorder[] = [];

beforeAll(async () => {
  if (haveRedis) tbs = await Promise.all([startTestbed(), startTestbed()]);
});
afterAll(async () => {
  if (haveRedis) await Promise.all(tbs.map((t) => t.close()));
});
beforeEach(() => {
  for (const t of tbs) t.resetCounters();
});
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});

const q = (): string[] => Q.args();
const byLine = (records: CrawlRecord[]): CrawlRecord[] => [...records].sort((a, b) => a.line - b.line);
const exported = () => exportedRecords(Q);
const enqueue = (urls: string[]) => enqueueUrls(Q, urls);

/** The most arrivals any 1 s window holds (windows start at each arrival). */
function busiestSecond(arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + 1000) j++;
    worst = Math.max(worst, j - i);
  }
  return worst;
}

describe.runIf(haveRedis)('sweep work: politeness per worker', () => {
  it('--per-host 2 keeps at most 2 requests in flight at each of two servers, and reaches 2 on each', async () => {
    const [a, b] = tbs as [Testbed, Testbed];
    const urls: string[] = [];
    for (let i = 0; i < 30; i++) urls.push(`${a.url}/delay/40/${i}`, `${b.url}/delay/40/${i}`);
    await enqueue(urls);
    const w = await runCli(['work', ...q(), '-c', '16', '--per-host', '2']);
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/per host\s+at most 2 in flight/);
    expect(a.counters.maxInFlight).toBe(2);
    expect(b.counters.maxInFlight).toBe(2);
    const recs = await exported();
    expect(recs).toHaveLength(60);
    expect(recs.every((r) => r.ok)).toBe(true);
  });

  it('--robots: disallowed URLs get robots_disallowed records in the results stream and no request', async () => {
    const site = await startRecorder((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/robots.txt') res.end('User-agent: *\nDisallow: /private\n');
      else res.end('page\n');
    });
    recorders.push(site);
    await enqueue([`${site.url}/open/1`, `${site.url}/private/1`, `${site.url}/open/2`, `${site.url}/private/2`]);
    const w = await runCli(['work', ...q(), '-c', '4', '--robots']);
    expect(w.code).toBe(0);
    const recs = byLine(await exported());
    expect(recs.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'robots_disallowed', 'ok', 'robots_disallowed']);
    expect(recs[1]!.error!.message).toMatch(/robots\.txt/);
    const paths = site.arrivals.map((x) => x.path);
    expect(paths.filter((p) => p === '/robots.txt')).toHaveLength(1);
    expect(paths.some((p) => p.startsWith('/private'))).toBe(false);
  });

  it('a 429 with Retry-After pauses the host in the worker: its other URLs wait it out', async () => {
    const [t] = tbs as [Testbed];
    await enqueue([`${t.url}/retry-after/1/a`, `${t.url}/retry-after/1/b`, `${t.url}/retry-after/1/c`]);
    const w = await runCli(['work', ...q(), '-c', '4', '--per-host', '1', '--retry-delay', '1']);
    expect(w.code).toBe(0);
    expect((await exported()).filter((r) => r.ok)).toHaveLength(3);
    const first = (path: string): number => t.counters.arrivals.get(path)![0]!;
    expect(first('/retry-after/1/b') - first('/retry-after/1/a')).toBeGreaterThanOrEqual(900);
    // Each path answers 429 once: three pauses, one after another.
    expect(w.stderr).toMatch(/host pauses\s+3 /);
  });

  it('--rate with --per-host still holds across two workers: the Redis bucket is asked when the gate starts a job', async () => {
    const site = await startRecorder();
    recorders.push(site);
    const n = 60;
    const rate = 20;
    await enqueue(Array.from({ length: n }, (_, i) => `${site.url}/${i}`));
    const [a, b] = await Promise.all([
      runCli(['work', ...q(), '-c', '8', '--per-host', '4', '--rate', String(rate)]),
      runCli(['work', ...q(), '-c', '8', '--per-host', '4', '--rate', String(rate)]),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(site.arrivals).toHaveLength(n);
    expect(site.maxInFlight).toBeLessThanOrEqual(8);
    // Two workers of 20/s each would put ~40 in a second; the shared bucket allows 20, plus its
    // burst of 2 and two leases of 1, with margin for arrivals bunched by a stalled loop.
    expect(busiestSecond(site.arrivals.map((x) => x.at))).toBeLessThanOrEqual(rate * 1.5);
  });

  it('SIGINT with jobs parked for a busy host: exit 130 without records for them; another worker finishes them', async () => {
    const [t] = tbs as [Testbed];
    const n = 60;
    await enqueue(Array.from({ length: n }, (_, i) => `${t.url}/delay/100/${i}`));
    let first!: ChildProcess;
    const stopped = runCli(['work', ...q(), '-c', '16', '--per-host', '1'], { onSpawn: (c) => (first = c) });
    const results = Q.keys.results;
    await until(async () => (await Q.redis.xlen(results)) >= 3, first);
    first.kill('SIGINT');
    const r = await stopped;
    expect(r.code).toBe(130);
    // It held (parked) far more entries than it finished; none of them got a record from it.
    const written = await Q.redis.xlen(results);
    expect(written).toBeLessThan(n);
    const rest = await runCli(['work', ...q(), '-c', '16', '--per-host', '4', '--claim-idle', '300']);
    expect(rest.code).toBe(0);
    const recs = await exported();
    expect(recs.map((x) => x.line).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(recs.every((x) => x.ok)).toBe(true);
  });
});

describe.runIf(haveRedis)('sweep work --per-host-rate: one schedule per origin in Redis', () => {
  /** The worker's closing line: its records written. */
  const written = (stderr: string): number => Number(/(\d+) records written/.exec(stderr)?.[1] ?? NaN);

  /** Resolves once `n` connections are blocked in XREADGROUP (workers waiting for entries). */
  async function blockedReaders(n: number, workers: ChildProcess[]): Promise<void> {
    for (;;) {
      const list = (await Q.redis.client('LIST')) as string;
      const blocked = list.split('\n').filter((l) => / flags=b /.test(l) && / cmd=xreadgroup /.test(l)).length;
      if (blocked >= n) return;
      if (workers.some((w) => w.exitCode !== null)) throw new Error('a worker ended before anything was enqueued');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('two workers sharing one origin stay near the rate, not twice it', async () => {
    const site = await startRecorder();
    recorders.push(site);
    const n = 30;
    const rate = 10;
    // A small --claim-idle makes each worker read a few entries at a time (a quarter of
    // --claim-idle at the rate), so both hold entries of the one origin.
    const args = ['work', ...q(), '-c', '8', '--per-host-rate', String(rate), '--claim-idle', '2000'];
    const children: ChildProcess[] = [];
    const running = [0, 1].map(() => runCli(args, { onSpawn: (c) => children.push(c) }));
    while (children.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    // Both wait on the empty queue: the entries of one enqueue are then served to both.
    await blockedReaders(2, children);
    await enqueue(Array.from({ length: n }, (_, i) => `${site.url}/${i}`));
    const [a, b] = await Promise.all(running);
    expect([a!.code, b!.code]).toEqual([0, 0]);
    expect(written(a!.stderr)).toBeGreaterThan(0);
    expect(written(b!.stderr)).toBeGreaterThan(0);
    expect(written(a!.stderr) + written(b!.stderr)).toBe(n);
    expect(a!.stderr).toMatch(/per-host rate\s+at most 10\/s to each origin across all workers/);
    const at = site.arrivals.map((x) => x.at);
    expect(at).toHaveLength(n);
    // Starts are spaced 100 ms apart whichever worker makes them: a 1 s window holds about 10
    // (two per-process limits would let about 20 through). 15 leaves room for arrivals bunched
    // by a stalled loop on a loaded machine.
    expect(busiestSecond(at)).toBeLessThanOrEqual(rate * 1.5);
    // 30 starts on a 100 ms schedule span 2.9 s; at twice the rate they would span ~1.5 s. The
    // first arrival may be late (a slow first connection), which only shortens this span.
    const sorted = [...at].sort((x, y) => x - y);
    expect(sorted[n - 1]! - sorted[0]!).toBeGreaterThanOrEqual(2_000);
  });

  it('each origin has its own schedule: two origins at 10/s each run side by side', async () => {
    const sites = [await startRecorder(), await startRecorder()];
    recorders.push(...sites);
    const urls: string[] = [];
    for (let i = 0; i < 15; i++) for (const site of sites) urls.push(`${site.url}/${i}`);
    await enqueue(urls);
    const w = await runCli(['work', ...q(), '-c', '8', '--per-host-rate', '10']);
    expect(w.code).toBe(0);
    const [x, y] = sites.map((site) => site.arrivals.map((a) => a.at).sort((p, r) => p - r)) as [number[], number[]];
    expect([x.length, y.length]).toEqual([15, 15]);
    for (const at of [x, y]) expect(busiestSecond(at)).toBeLessThanOrEqual(15);
    // Side by side, not one after the other: each origin's first request comes before the other's last.
    expect(x[0]!).toBeLessThan(y[14]!);
    expect(y[0]!).toBeLessThan(x[14]!);
  });

  it('rejects a bad --per-host-rate with exit 2 naming the option', async () => {
    const r = await runCli(['work', ...q(), '--per-host-rate', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--per-host-rate <r>/);
  });
});
