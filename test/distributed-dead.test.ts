// Dead letters (--max-deliveries) against a real redis-server and the real CLI: an entry whose
// workers keep dying (SIGKILL while its request hangs) is not delivered again after the limit;
// it gets one `max_deliveries` record, written with its acknowledgement, and the queue finishes.

import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP } from '../src/distributed/redis.js';
import { defineScripts } from '../src/distributed/scripts.js';
import { toJob } from '../src/distributed/source.js';
import { encodeParent } from '../src/follow/via.js';
import { unfetchedRecord } from '../src/record.js';
import { runCli } from './helpers.js';
import { enqueueUrls, exportedRecords, range, sortedLines, until, useRedisQueue } from './distributed-helpers.js';
import { startRecorder, type Recorder } from './polite-helpers.js';

const q = useRedisQueue('d');
/** /hang/... never answers; anything else is a 200. */
let site: Recorder;

beforeAll(async () => {
  if (!q.haveRedis) return;
  site = await startRecorder((req, res) => {
    if (!req.url?.startsWith('/hang/')) res.end('ok\n');
  });
});
afterAll(async () => {
  if (q.haveRedis) await site.close();
});

const hits = (path: string): number => site.arrivals.filter((a) => a.path === path).length;

/** Runs a worker until the server has seen `path` `n` times and `records` are written, then SIGKILLs it. */
async function killWhenHit(args: string[], path: string, n: number, records = 0): Promise<void> {
  let child!: ChildProcess;
  const running = runCli(args, { onSpawn: (c) => (child = c) });
  await until(async () => hits(path) >= n && (await q.redis.xlen(q.keys.results)) >= records, child);
  child.kill('SIGKILL');
  expect((await running).signal).toBe('SIGKILL');
}

describe.runIf(q.haveRedis)('dead letters: --max-deliveries', () => {
  it('an entry taken over after each of its workers was killed becomes a max_deliveries record after the limit', async () => {
    const path = `/hang/${q.name}`;
    await enqueueUrls(q, [`${site.url}/p/1`, `${site.url}${path}`, `${site.url}/p/2`]);
    const args = ['work', ...q.args(), '-c', '4', '--claim-idle', '300', '--max-deliveries', '2'];
    // Delivery 1 (read as new; killed once the other two are recorded) and delivery 2 (taken
    // over from the dead worker): both hang, both killed.
    await killWhenHit(args, path, 1, 2);
    await killWhenHit(args, path, 2);
    // The next worker finds it delivered twice: not a third time.
    const last = await runCli(args);
    expect(last.code).toBe(0);
    expect(last.stderr).toMatch(/, 1 dead letters \(delivered 2 times, never finished\)/);
    expect(hits(path)).toBe(2);

    const records = await exportedRecords(q);
    expect(sortedLines(records)).toEqual(range(3));
    const dead = records.find((r) => r.line === 2)!;
    expect(dead).toMatchObject({ url: `${site.url}${path}`, ok: false, status: null, attempts: 0, error: { code: 'max_deliveries' } });
    expect(dead.error!.message).toMatch(/delivered 2 times and never finished \(--max-deliveries 2\)/);

    const status = JSON.parse((await runCli(['status', ...q.args(), '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ finished: true, done: 3, ok: 2, failed: 1, deadLetters: 1, pending: 0 });
    const text = (await runCli(['status', ...q.args()])).stdout;
    expect(text).toMatch(/^ {2}dead +1 \(delivered --max-deliveries times, never finished: error max_deliveries; stream sweep:\{d\d+\}:dead\)$/m);
    // The dead-letter stream keeps what an operator needs to look into it, without credentials.
    const letters = (await q.redis.xrange(q.keys.dead, '-', '+')) as [string, string[]][];
    expect(letters).toHaveLength(1);
    const fields = Object.fromEntries(letters[0]![1].flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1]]] : [])));
    expect(fields).toMatchObject({ l: '2', u: `${site.url}${path}`, o: site.url, p: path, n: '2' });
    // Acknowledged and deleted with its record: nothing of the queue is left in the jobs stream.
    expect(await q.redis.xlen(q.keys.jobs)).toBe(0);
  });

  it('a worker restarted under the same --consumer name does not resume an entry it already took --max-deliveries times', async () => {
    const path = `/hang/${q.name}`;
    await enqueueUrls(q, [`${site.url}${path}`, `${site.url}/p/1`]);
    // A claim-idle no entry reaches in this test: only resuming its own entries can end them.
    const args = ['work', ...q.args(), '-c', '4', '--consumer', 'crashy', '--claim-idle', '600000', '--max-deliveries', '2'];
    await killWhenHit(args, path, 1, 1);
    await killWhenHit(args, path, 2);
    const last = await runCli(args);
    expect(last.code).toBe(0);
    expect(hits(path)).toBe(2);
    const records = await exportedRecords(q);
    expect(sortedLines(records)).toEqual(range(2));
    expect(records.find((r) => r.line === 1)!.error!.code).toBe('max_deliveries');
    expect(records.find((r) => r.line === 2)!.ok).toBe(true);
  });

  it("a dead letter's record is the one a worker writes for that entry unfetched (list line, seed, found page, sitemap URL); the dead-letter stream keeps the newest", async () => {
    // The Lua script writes it by hand (it must be atomic with the acknowledgement); this holds it
    // to record.ts and source.ts's reading of the entry: line null for found URLs, depth, parent, kind.
    const redis = defineScripts(q.redis.duplicate());
    const k = q.keys;
    const seed = 'http://a.test/';
    const entries = [
      ['l', '7', 'u', 'http://a.test/plain?q="x"', 'o', 'http://a.test', 'p', '/plain?q="x"'],
      ['l', '3', 'u', seed, 'o', 'http://a.test', 'p', '/', 'd', '0', 's', seed],
      ['l', '0', 'u', 'http://a.test/x', 'o', 'http://a.test', 'p', '/x', 'd', '2', 'pa', encodeParent('page', 'http://a.test/p/é', seed)],
      ['l', '0', 'u', 'http://a.test/s', 'o', 'http://a.test', 'p', '/s', 'd', '0', 'pa', encodeParent('sitemap', 'http://a.test/sitemap.xml', seed)],
      ['l', '0', 'u', 'http://a.test/own', 'o', 'http://a.test', 'p', '/own', 'd', '1', 'pa', encodeParent('page', seed, seed)],
    ];
    try {
      await redis.xgroup('CREATE', k.jobs, GROUP, '0', 'MKSTREAM');
      const ids: string[] = [];
      for (const fields of entries) ids.push((await redis.xadd(k.jobs, '*', ...fields))!);
      await redis.xreadgroup('GROUP', GROUP, 'c', 'COUNT', 10, 'STREAMS', k.jobs, '>');
      const [, , dead] = await redis.sweepReclaimOwn(k.jobs, k.results, k.meta, k.dead, GROUP, 'c', '0-0', 100, 1, 3);
      expect(dead).toBe(entries.length);
      // The dead-letter stream keeps the newest 3 (here), the results every record.
      const letters = (await redis.xrange(k.dead, '-', '+')) as [string, string[]][];
      expect(letters.map(([, f]) => f[f.indexOf('j') + 1])).toEqual(ids.slice(-3));
      const written = (await redis.xrange(k.results, '-', '+')) as [string, string[]][];
      expect(written).toHaveLength(entries.length);
      for (const [, fields] of written) {
        const entryId = fields[fields.indexOf('j') + 1]!;
        const record = JSON.parse(fields[fields.indexOf('r') + 1]!) as { error: { message: string } };
        const job = toJob([entryId, entries[ids.indexOf(entryId)]!]);
        expect(record).toEqual(JSON.parse(unfetchedRecord(job, 'max_deliveries', record.error.message)));
      }
    } finally {
      redis.disconnect();
    }
  });

  it('rejects a bad --max-deliveries with exit 2 naming the option', async () => {
    const r = await runCli(['work', ...q.args(), '--max-deliveries', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-deliveries <n>/);
  });
});
