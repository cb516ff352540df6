// What a queue leaves in Redis, against a real redis-server and the real CLI: acknowledged job
// entries are deleted with their record, `sweep results --trim -o FILE` appends what it exports
// and deletes exactly that once the file is synced, and a worker that holds nothing leaves the group.

import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { parseRecords, runCli, tempDir } from './helpers.js';
import { enqueueUrls, exportedRecords, range, sortedLines, until, useRedisQueue } from './distributed-helpers.js';

const q = useRedisQueue('t');
let tb: Testbed;

beforeAll(async () => {
  if (q.haveRedis) tb = await startTestbed();
});
afterAll(async () => {
  if (q.haveRedis) await tb.close();
});

const urls = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `${tb.url}/p/${from + i}`);
const readRecords = (path: string): CrawlRecord[] => parseRecords(readFileSync(path, 'utf8'));

/** `sweep results --trim -o file`; `meanwhile` runs while it does. */
async function trimTo(file: string, extra: string[] = [], meanwhile?: () => Promise<void>): Promise<{ code: number | null; stderr: string }> {
  const exporting = runCli(['results', ...q.args(), '--trim', '-o', file, ...extra]);
  await meanwhile?.();
  return exporting;
}

describe.runIf(q.haveRedis)('what a queue keeps in Redis', () => {
  it('acknowledged job entries are deleted with their record; a finished worker leaves the consumer group', async () => {
    await enqueueUrls(q, urls(0, 500));
    expect(await q.redis.xlen(q.keys.jobs)).toBe(500);
    const w = await runCli(['work', ...q.args(), '-c', '16', '--consumer', 'tidy']);
    expect(w.code).toBe(0);
    expect(await q.redis.xlen(q.keys.jobs)).toBe(0);
    expect(await q.redis.xlen(q.keys.results)).toBe(500);
    // The group's own counters still say where the queue stands.
    const status = JSON.parse((await runCli(['status', ...q.args(), '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ finished: true, added: 500, queued: 0, pending: 0, done: 500, ok: 500 });
    expect(await q.redis.call('XINFO', 'CONSUMERS', q.keys.jobs, 'sweep')).toEqual([]);
  });

  it('results --trim -o appends what it exports and deletes exactly that; the next export appends only what is new', async () => {
    await enqueueUrls(q, [...urls(0, 99), 'not a url']);
    expect((await runCli(['work', ...q.args(), '-c', '8'])).code).toBe(0);
    const file = join(tempDir(), 'shop.ndjson');
    const first = await trimTo(file);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/100 records appended to .*shop\.ndjson; 100 entries deleted from queue/);
    expect(sortedLines(readRecords(file))).toEqual(range(100));
    expect(await q.redis.xlen(q.keys.results)).toBe(0);
    // Nothing left to export a second time; status still counts what was done.
    expect(await exportedRecords(q)).toEqual([]);
    let status = JSON.parse((await runCli(['status', ...q.args(), '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ finished: true, done: 100, exported: 100, ok: 99, failed: 1 });

    // A second enqueue run: its lines number from 1 again (one queue per list keeps them unique).
    await enqueueUrls(q, urls(1000, 30));
    expect((await runCli(['work', ...q.args(), '-c', '8'])).code).toBe(0);
    expect((await trimTo(file)).code).toBe(0);
    const all = readRecords(file);
    expect(all).toHaveLength(130);
    expect(all.slice(100).map((r) => r.url).sort()).toEqual(urls(1000, 30).sort());
    status = JSON.parse((await runCli(['status', ...q.args(), '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ done: 130, exported: 130 });
    expect((await runCli(['status', ...q.args()])).stdout).toMatch(/^ {2}exported +130 \(trimmed from Redis by sweep results --trim\)$/m);
  });

  it('results --trim cuts a torn last line left by a killed export before it appends', async () => {
    await enqueueUrls(q, urls(0, 20));
    expect((await runCli(['work', ...q.args(), '-c', '8'])).code).toBe(0);
    const file = join(tempDir(), 'out.ndjson');
    const earlier = '{"line":1,"url":"earlier","ok":true}\n';
    writeFileSync(file, earlier);
    appendFileSync(file, '{"line":7,"url":"torn'); // no newline: a write cut short
    expect((await trimTo(file)).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(earlier + '{"line":')).toBe(true);
    const records = parseRecords(text);
    expect(records).toHaveLength(21);
    expect(sortedLines(records.slice(1))).toEqual(range(20));
  });

  it('results --follow --trim trims while workers run, and ends with every record in the file once and nothing left in Redis', async () => {
    // At least 8 s of work: the export syncs and trims on its way (every 5 s), not only at the end.
    const n = 640;
    await enqueueUrls(q, Array.from({ length: n }, (_, i) => `${tb.url}/delay/50/${i}`));
    const file = join(tempDir(), 'follow.ndjson');
    let worker!: ChildProcess;
    const working = runCli(['work', ...q.args(), '-c', '4'], { onSpawn: (c) => (worker = c) });
    const follow = await trimTo(file, ['--follow'], async () => {
      await until(async () => Number(await q.redis.hget(q.keys.meta, 'exported')) > 0, worker);
    });
    const w = await working;
    expect(w.code).toBe(0);
    expect(follow.code).toBe(0);
    expect(sortedLines(readRecords(file))).toEqual(range(n));
    expect(await q.redis.xlen(q.keys.results)).toBe(0);
    expect(await q.redis.xlen(q.keys.jobs)).toBe(0);
  });

  it('one --trim export of a queue at a time: a second is refused and touches nothing; the lease is let go at the end, and a killed one lets go by itself', async () => {
    await enqueueUrls(q, urls(0, 30));
    expect((await runCli(['work', ...q.args(), '-c', '8'])).code).toBe(0);
    // A lease held by another export (taken by hand: a stand-in for one running elsewhere, or
    // killed less than 30 s ago).
    await q.redis.set(q.keys.exporter, 'other-host-4242-abcd', 'PX', 60_000);
    const file = join(tempDir(), 'busy.ndjson');
    writeFileSync(file, '{"line":1,"url":"earlier","ok":true}\n{"line":2,"url":"being wri');
    const refused = await trimTo(file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^sweep: another 'sweep results --trim' is exporting queue '\w+' \(other-host-4242-abcd, its lease ends in \d+ s unless renewed\): one --trim export at a time/);
    // Nothing cut, nothing appended, nothing trimmed.
    expect(readFileSync(file, 'utf8')).toBe('{"line":1,"url":"earlier","ok":true}\n{"line":2,"url":"being wri');
    expect(await q.redis.xlen(q.keys.results)).toBe(30);
    // Once the other export's lease has run out, the next one runs, and lets go of its own.
    await q.redis.pexpire(q.keys.exporter, 50);
    await until(async () => (await q.redis.exists(q.keys.exporter)) === 0);
    expect((await trimTo(file)).code).toBe(0);
    expect(sortedLines(readRecords(file).slice(1))).toEqual(range(30));
    expect(await q.redis.exists(q.keys.exporter)).toBe(0);
    expect(await q.redis.xlen(q.keys.results)).toBe(0);
  });

  it('an export whose lease went to another exporter stops at the next renewal, exit 1, and trims nothing more', async () => {
    await enqueueUrls(q, urls(0, 30));
    expect((await runCli(['work', ...q.args(), '-c', '8'])).code).toBe(0);
    await enqueueUrls(q, urls(30, 1)); // never crawled: the queue is not finished, --follow waits
    const file = join(tempDir(), 'lost.ndjson');
    const r = await trimTo(file, ['--follow'], async () => {
      await until(async () => (await q.redis.exists(q.keys.exporter)) === 1);
      await until(() => {
        try {
          return readFileSync(file, 'utf8').split('\n').length > 30;
        } catch {
          return false;
        }
      });
      await q.redis.set(q.keys.exporter, 'thief-1-0000'); // what an expiry and another export's take would leave
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sweep: lost the export lease of queue '\w+' .*: stopping; what was not trimmed stays in Redis$/m);
    expect(sortedLines(readRecords(file))).toEqual(range(30));
    // At least once: the records it wrote were not trimmed, so the next export writes them again.
    expect(await q.redis.xlen(q.keys.results)).toBe(30);
    expect(await q.redis.get(q.keys.exporter)).toBe('thief-1-0000');
  });

  it('SIGINT ends a --follow --trim export: exit 130, what it wrote is synced and trimmed, its lease let go', async () => {
    await enqueueUrls(q, urls(0, 10));
    expect((await runCli(['work', ...q.args(), '-c', '8'])).code).toBe(0);
    await enqueueUrls(q, urls(10, 1)); // never crawled: --follow would wait for ever
    const file = join(tempDir(), 'interrupted.ndjson');
    let child!: ChildProcess;
    const exporting = runCli(['results', ...q.args(), '--follow', '--trim', '-o', file], { onSpawn: (c) => (child = c) });
    await until(() => {
      try {
        return readFileSync(file, 'utf8').split('\n').length > 10;
      } catch {
        return false;
      }
    }, child);
    child.kill('SIGINT');
    const r = await exporting;
    expect(r.code).toBe(130);
    expect(sortedLines(readRecords(file))).toEqual(range(10));
    expect(await q.redis.xlen(q.keys.results)).toBe(0);
    expect(await q.redis.exists(q.keys.exporter)).toBe(0);
  });

  it('--trim -o onto a directory: one line naming the problem, exit 1, the lease let go', async () => {
    await enqueueUrls(q, urls(0, 3));
    const r = await trimTo(tempDir());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sweep: cannot write records: EISDIR/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await q.redis.exists(q.keys.exporter)).toBe(0);
  });

  it('--trim without -o is refused with exit 2 naming --trim (a pipe cannot say it kept the records)', async () => {
    const r = await runCli(['results', ...q.args(), '--trim']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sweep: --trim needs -o <file>/);
  });
});
