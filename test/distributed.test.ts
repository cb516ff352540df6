// The distributed crawl against a real redis-server (a child per file, see redis-helper.ts) and
// the real CLI: enqueue, several workers as separate processes, SIGKILL, restart, a global rate.

import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { parseRecords, runCli, tempDir, tempList, type RunResult } from './helpers.js';
import { exportedRecords, range, sortedLines as lines, until, useRedisQueue, workerLine } from './distributed-helpers.js';
import { startRedis } from './redis-helper.js';

// One queue per test (q1, q2, ...): tests never see each other's entries.
const Q = useRedisQueue('q');
const haveRedis = Q.haveRedis;
let tb: Testbed;

beforeAll(async () => {
  if (haveRedis) tb = await startTestbed();
});
afterAll(async () => {
  if (haveRedis) await tb.close();
});

const q = (): string[] => Q.args();
const exported = () => exportedRecords(Q);

/** Resolves once the results stream of the current queue holds at least n records. */
async function resultsReach(n: number, child: ChildProcess): Promise<void> {
  await until(async () => (await Q.redis.xlen(Q.keys.results)) >= n, child);
}

describe.runIf(haveRedis)('distributed crawl on Redis Streams', () => {
  it('enqueue applies the crawl input rules: comments and blanks skipped, invalid lines recorded at once, --dedupe', async () => {
    const list = tempList([`${tb.url}/p/1`, '', '# comment', 'not a url', `${tb.url}/status/404/x`, `${tb.url}/p/1`, `${tb.url}/p/2`]);
    const e = await runCli(['enqueue', ...q(), '--dedupe', list]);
    expect(e.code).toBe(0);
    expect(e.stderr).toMatch(/enqueued 3 URLs .*; 1 duplicates skipped, 1 invalid lines recorded/);
    // Before any worker ran, the invalid line and the duplicate already have their records.
    const early = await exported();
    expect(lines(early)).toEqual([4, 6]);
    expect(early.find((r) => r.line === 4)).toMatchObject({ line: 4, url: 'not a url', ok: false, error: { code: 'invalid_url' } });

    const w = await runCli(['work', ...q(), '-c', '4']);
    expect(w.code).toBe(0);
    const recs = await exported();
    // Every line has its record, as in a local --dedupe crawl: the duplicate says so.
    expect(lines(recs)).toEqual([1, 4, 5, 6, 7]);
    expect(recs.find((r) => r.line === 6)).toEqual({
      line: 6, url: `${tb.url}/p/1`, ok: false, status: null, bytes: 0, attempts: 0, ms: 0, ttfbMs: null, redirects: 0, finalUrl: null, error: null, skipped: 'duplicate',
    });
    expect(recs.find((r) => r.line === 5)).toMatchObject({ ok: false, status: 404, error: { code: 'http_status' } });
    expect(recs.find((r) => r.line === 7)).toMatchObject({ ok: true, status: 200, url: `${tb.url}/p/2` });

    const s = await runCli(['status', ...q(), '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ finished: true, queued: 0, pending: 0, done: 5, ok: 2, failed: 2, duplicates: 1, invalid: 1 });
  });

  it('two workers drain 20,000 URLs with exactly one result per line, sharing the work', async () => {
    const n = 20_000;
    const list = tempList(Array.from({ length: n }, (_, i) => `${tb.url}/p/${i}`));
    const e = await runCli(['enqueue', ...q(), list]);
    expect(e.code).toBe(0);
    tb.resetCounters();
    const dir = tempDir();
    const [a, b] = await Promise.all(
      ['a', 'b'].map((name) => runCli(['work', ...q(), '-c', '32', '-o', join(dir, `${name}.ndjson`)])),
    );
    expect([a!.code, b!.code]).toEqual([0, 0]);
    const wa = workerLine(a!.stderr);
    const wb = workerLine(b!.stderr);
    expect(wa.written).toBeGreaterThan(0);
    expect(wb.written).toBeGreaterThan(0);
    expect(wa.written + wb.written).toBe(n);
    // Each worker's -o file holds the records it wrote: together, every line once.
    const own = ['a', 'b'].map((name) => parseRecords(readFileSync(join(dir, `${name}.ndjson`), 'utf8')));
    expect(own.map((r) => r.length)).toEqual([wa.written, wb.written]);
    expect(lines([...own[0]!, ...own[1]!])).toEqual(range(n));
    const recs = await exported();
    expect(recs).toHaveLength(n);
    expect(lines(recs)).toEqual(range(n));
    expect(recs.every((r) => r.ok)).toBe(true);
    expect(tb.counters.requests).toBe(n);
  });

  it('a worker killed with SIGKILL mid-run loses nothing: another reclaims its entries after --claim-idle', async () => {
    const n = 600;
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/40/${i}`))]);
    let victim!: ChildProcess;
    const killed = runCli(['work', ...q(), '-c', '20', '--consumer', 'victim'], { onSpawn: (c) => (victim = c) });
    await resultsReach(100, victim);
    victim.kill('SIGKILL');
    const dead: RunResult = await killed;
    expect(dead.signal).toBe('SIGKILL');
    // What the dead worker held: delivered to it, never acknowledged.
    const [held] = (await Q.redis.xpending(Q.keys.jobs, 'sweep')) as [number];
    expect(held).toBeGreaterThan(0);

    const rescuer = await runCli(['work', ...q(), '-c', '20', '--claim-idle', '300']);
    expect(rescuer.code).toBe(0);
    expect(workerLine(rescuer.stderr).reclaimed).toBeGreaterThanOrEqual(held);
    const recs = await exported();
    expect(recs).toHaveLength(n);
    expect(lines(recs)).toEqual(range(n));
  });

  it('an entry crawled twice (its worker stalled and was taken over) still gets one record', async () => {
    const n = 200;
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/100/${i}`))]);
    tb.resetCounters();
    let slow!: ChildProcess;
    const stalled = runCli(['work', ...q(), '-c', '20', '--consumer', 'slow'], { onSpawn: (c) => (slow = c) });
    await resultsReach(20, slow);
    // Frozen, not dead: its requests are in flight and it will try to record them when it wakes.
    slow.kill('SIGSTOP');
    const held = Number(((await Q.redis.xpending(Q.keys.jobs, 'sweep', '-', '+', 1000, 'slow')) as unknown[]).length);
    expect(held).toBeGreaterThan(0);
    const other = await runCli(['work', ...q(), '-c', '20', '--claim-idle', '300']);
    expect(other.code).toBe(0);
    expect(workerLine(other.stderr).reclaimed).toBeGreaterThan(0);
    slow.kill('SIGCONT');
    const woke = await stalled;
    expect(woke.code).toBe(0);
    const w = workerLine(woke.stderr);
    // It finished requests another worker had already recorded: fetched twice, recorded once.
    expect(w.dropped).toBeGreaterThan(0);
    expect(tb.counters.requests).toBeGreaterThan(n);
    const recs = await exported();
    expect(recs).toHaveLength(n);
    expect(lines(recs)).toEqual(range(n));
  });

  it('SIGINT stops a worker gracefully (exit 130, its requests in flight recorded); another finishes the queue', async () => {
    const n = 300;
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/100/${i}`))]);
    let first!: ChildProcess;
    const stopped = runCli(['work', ...q(), '-c', '20'], { onSpawn: (c) => (first = c) });
    await resultsReach(40, first);
    first.kill('SIGINT');
    const r = await stopped;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: finishing \d+ requests in flight/);
    const before = await Q.redis.xlen(Q.keys.results);
    // Everything it recorded is acknowledged: what it still holds was never started.
    expect(workerLine(r.stderr).written).toBe(before);
    const rest = await runCli(['work', ...q(), '-c', '20', '--claim-idle', '300']);
    expect(rest.code).toBe(0);
    expect(lines(await exported())).toEqual(range(n));
  });

  it('a worker restarted under the same --consumer name resumes the entries it held', async () => {
    const n = 400;
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/40/${i}`))]);
    let first!: ChildProcess;
    const killed = runCli(['work', ...q(), '-c', '20', '--consumer', 'w1'], { onSpawn: (c) => (first = c) });
    await resultsReach(60, first);
    first.kill('SIGKILL');
    await killed;
    // A claim-idle no entry reaches during the test: only resuming its own entries can finish the queue.
    const again = await runCli(['work', ...q(), '-c', '20', '--consumer', 'w1', '--claim-idle', '600000']);
    expect(again.code).toBe(0);
    const w = workerLine(again.stderr);
    expect(w.resumed).toBeGreaterThan(0);
    expect(w.reclaimed).toBe(0);
    const recs = await exported();
    expect(lines(recs)).toEqual(range(n));
  });

  it('--rate holds across two workers: the bucket is in Redis, not per process', async () => {
    // A server of our own that notes when each request arrives.
    const arrivals: number[] = [];
    const http: Server = createServer((_req, res) => {
      arrivals.push(performance.now());
      res.end('ok');
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      const n = 120;
      const rate = 40;
      await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${base}/${i}`))]);
      const [a, b] = await Promise.all([
        runCli(['work', ...q(), '-c', '16', '--rate', String(rate)]),
        runCli(['work', ...q(), '-c', '16', '--rate', String(rate)]),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect(workerLine(a.stderr).written + workerLine(b.stderr).written).toBe(n);
      expect(arrivals).toHaveLength(n);
      // The bucket holds rate/10 = 4 tokens: n requests need at least (n - 4) / rate seconds.
      // Two per-process limits of 40/s would take about half that.
      const spanS = (arrivals[n - 1]! - arrivals[0]!) / 1000;
      expect(spanS).toBeGreaterThan(((n - 4) / rate) * 0.9);
      // And no second sees two workers' worth (2 x 40): the limit allows 40 plus the bucket of 4
      // plus two leases of 2; the margin above that absorbs arrivals bunched by a stalled loop.
      let worst = 0;
      for (let i = 0, j = 0; j < n; j++) {
        while (arrivals[j]! - arrivals[i]! > 1000) i++;
        worst = Math.max(worst, j - i + 1);
      }
      expect(worst).toBeLessThanOrEqual(rate * 1.5);
    } finally {
      http.close();
    }
  });

  it('a worker started before anything is enqueued waits, then finishes what enqueue streams from stdin', async () => {
    let worker!: ChildProcess;
    const early = runCli(['work', ...q(), '-c', '8'], { onSpawn: (c) => (worker = c) });
    // Wait until it has joined the group (its heartbeat is in Redis) before enqueueing anything.
    while ((await Q.redis.hlen(Q.keys.workers)) === 0) {
      if (worker.exitCode !== null) throw new Error('worker ended before anything was enqueued');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const e = await runCli(['enqueue', ...q(), '-'], { stdin: Array.from({ length: 50 }, (_, i) => `${tb.url}/p/${i}`).join('\n') });
    expect(e.code).toBe(0);
    const w = await early;
    expect(w.code).toBe(0);
    expect(workerLine(w.stderr).written).toBe(50);
    expect(lines(await exported())).toEqual(range(50));
  });

  it('results --follow streams records while workers run and ends when the queue is finished', async () => {
    const n = 300;
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/20/${i}`))]);
    const [follow, w] = await Promise.all([runCli(['results', ...q(), '--follow']), runCli(['work', ...q(), '-c', '10'])]);
    expect(w.code).toBe(0);
    expect(follow.code).toBe(0);
    expect(lines(follow.records)).toEqual(range(n));
  });

  it('status shows queued, in flight, done and each running worker with its requests/s', async () => {
    // About 5 s of work for each worker: time for a few heartbeats (one a second).
    const n = 800;
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/50/${i}`))]);
    const names = ['alpha', 'beta'];
    let ended = 0;
    const running = names.map((name) => runCli(['work', ...q(), '-c', '4', '--consumer', name]).finally(() => ended++));
    type Status = { queued: number; pending: number; done: number; workers: { name: string; rps: number | null; pending: number }[] };
    let seen: Status | null = null;
    // Ask until both workers have sent a heartbeat with a rate, while both still run.
    while (seen === null && ended === 0) {
      const s = JSON.parse((await runCli(['status', ...q(), '--json'])).stdout) as Status;
      if (s.workers.length === 2 && s.workers.every((w) => (w.rps ?? 0) > 0)) seen = s;
    }
    const text = (await runCli(['status', ...q()])).stdout;
    await Promise.all(running);
    expect(seen).not.toBeNull();
    expect(seen!.workers.map((w) => w.name)).toEqual(names);
    expect(seen!.pending).toBeGreaterThan(0);
    expect(seen!.queued + seen!.pending + seen!.done).toBe(n);
    expect(text).toMatch(/^queue q\d+: (running|finished)\n  queued +\d+\n  in flight +\d+\n  done +\d+ \(ok \d+, failed 0\)/);
  });

  it('work --follow keeps serving the queue after it is finished, until SIGTERM', async () => {
    await runCli(['enqueue', ...q(), tempList([`${tb.url}/p/a`])]);
    let worker!: ChildProcess;
    const following = runCli(['work', ...q(), '--follow', '-c', '4'], { onSpawn: (c) => (worker = c) });
    await resultsReach(1, worker);
    // The queue is finished now; a later enqueue still gets crawled by the same worker.
    await runCli(['enqueue', ...q(), tempList([`${tb.url}/p/b`, `${tb.url}/p/c`])]);
    await resultsReach(3, worker);
    worker.kill('SIGTERM');
    const r = await following;
    expect(r.code).toBe(143);
    expect(workerLine(r.stderr).written).toBe(3);
  });

  it('rejects bad options with exit 2 naming the option, and an unreachable Redis with one line and exit 1', async () => {
    const noRedis = await runCli(['work', '--queue', 'x']);
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toMatch(/--redis <url>/);
    const badQueue = await runCli(['status', '--redis', Q.server.url, '--queue', 'a b{c}']);
    expect(badQueue.code).toBe(2);
    expect(badQueue.stderr).toMatch(/--queue <name>/);
    const badRate = await runCli(['work', ...q(), '--rate', '0']);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--rate <n>/);
    const closed = await startRedis();
    await closed.stop();
    const down = await runCli(['status', '--redis', closed.url, '--queue', 'x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^sweep: cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+: /);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });
});
