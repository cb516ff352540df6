// A host pause seen by one worker holds for every worker of the queue: a 429 with Retry-After
// answered to one worker keeps the other one from sending to that host until the pause ends.
// Asserted at the server, with a real redis-server and two real worker processes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { enqueueUrls, exportedRecords, useRedisQueue } from './distributed-helpers.js';
import { startRecorder, type Recorder } from './polite-helpers.js';

const q = useRedisQueue('h');
const servers: Recorder[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PAUSE_S = 2;

/**
 * One origin. Pages take 30 ms. Once both workers have sent a request (paths /a/... and
 * /b/...), the next request gets a 429 with Retry-After: 2, once; then pages again.
 */
async function throttlingSite(): Promise<{ site: Recorder; throttled: () => { at: number; path: string } | null }> {
  const seen = new Set<string>();
  let throttled: { at: number; path: string } | null = null;
  const site = await startRecorder((req: IncomingMessage, res: ServerResponse) => {
    if (throttled === null && seen.size === 2) {
      throttled = { at: performance.now(), path: req.url! };
      res.writeHead(429, { 'retry-after': String(PAUSE_S), 'content-length': 0 });
      res.end();
      return;
    }
    seen.add(req.url!.slice(0, 3));
    setTimeout(() => res.end('ok\n'), 30);
  });
  servers.push(site);
  return { site, throttled: () => throttled };
}

/** 40 URLs for worker a, then 40 for worker b, handed out before the workers start. */
async function splitQueue(site: Recorder): Promise<void> {
  const urls = [...Array.from({ length: 40 }, (_, i) => `${site.url}/a/${i}`), ...Array.from({ length: 40 }, (_, i) => `${site.url}/b/${i}`)];
  await enqueueUrls(q, urls);
  // Each worker resumes the entries its consumer name holds: which worker has which is known.
  for (const consumer of ['a', 'b']) await q.redis.xreadgroup('GROUP', 'sweep', consumer, 'COUNT', 40, 'STREAMS', q.keys.jobs, '>');
}

describe.runIf(q.haveRedis)('sweep work: a 429 pauses the host for every worker (the pause is in Redis)', () => {
  for (const limit of [['--per-host', '1'], ['--per-host-rate', '20']]) {
    it(`with ${limit[0]}: no worker sends to the host while the pause of another worker's 429 runs`, async () => {
      const { site, throttled: which } = await throttlingSite();
      await splitQueue(site);
      // --claim-idle: nothing is taken over during the test; each worker crawls its own 40.
      const work = (consumer: string): ReturnType<typeof runCli> =>
        runCli(['work', ...q.args(), '-c', '4', ...limit, '--consumer', consumer, '--claim-idle', '600000']);
      const [a, b] = await Promise.all([work('a'), work('b')]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect(which()).not.toBeNull();
      const t0 = which()!.at;
      const throttled = which()!.path.slice(0, 3);
      const other = throttled === '/a/' ? '/b/' : '/a/';
      const after = (path: string): number[] => site.arrivals.filter((x) => x.path.startsWith(path) && x.at > t0).map((x) => x.at - t0);
      // Requests already on their way when the 429 was answered may land in its first moments
      // (the other worker hears of the pause about a round trip later); none may come in the
      // rest of the pause. Wide margins for a loaded machine.
      const inPause = (ms: number): boolean => ms > 300 && ms < PAUSE_S * 1000 - 300;
      expect(after(other).filter(inPause)).toEqual([]);
      expect(after(throttled).filter(inPause)).toEqual([]);
      // The other worker still had most of its 40 URLs when the pause began: it sent them after.
      expect(after(other).filter((ms) => ms >= PAUSE_S * 1000 - 300).length).toBeGreaterThan(10);
      const records = await exportedRecords(q);
      expect(records).toHaveLength(80);
      expect(records.every((r) => r.ok)).toBe(true);
    });
  }
});
