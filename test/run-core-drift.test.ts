// The drift between the local crawl and the Redis worker, fixed by one run core (run/core.ts):
// each test drives `sweep work` through the real CLI the way a user would and checks that it
// behaves as a local crawl does (--grace, HTTP_PROXY, --summary-json keys).

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';
import { startProxy, type LoopbackProxy } from './polite-helpers.js';
import { redisOrSkip, startRedis, type RedisServer } from './redis-helper.js';

const haveRedis = redisOrSkip();
const NO_ENV_PROXY = { HTTP_PROXY: '', http_proxy: '', HTTPS_PROXY: '', https_proxy: '', NO_PROXY: '', no_proxy: '' };

let server: RedisServer;
let tb: Testbed;
let proxy: LoopbackProxy;
let queueNo = 0;
let queue = '';

beforeAll(async () => {
  if (!haveRedis) return;
  [server, tb, proxy] = await Promise.all([startRedis(), startTestbed(), startProxy()]);
});
afterAll(async () => {
  if (!haveRedis) return;
  await Promise.all([server.stop(), tb.close(), proxy.close()]);
});
beforeEach(() => {
  queue = `drift${++queueNo}`;
  if (haveRedis) proxy.seen.length = 0;
});

const q = (): string[] => ['--redis', server.url, '--queue', queue];

describe.runIf(haveRedis)('sweep work behaves as a local crawl', () => {
  it('--grace 300: a worker with hanging requests exits soon after one SIGINT, its requests recorded aborted', async () => {
    await runCli(['enqueue', ...q(), tempList(Array.from({ length: 4 }, (_, i) => `${tb.url}/hang/g${i}`))]);
    let child!: ChildProcess;
    let signalledAt = 0;
    const done = runCli(['work', ...q(), '-c', '4', '--grace', '300', '--summary-json', join(tempDir(), 's.json')], {
      onSpawn: (c) => {
        child = c;
        // SIGINT once every request is in flight at the server (an event, not a sleep).
        const poll = setInterval(() => {
          if ((tb.counters.inFlight >= 4 || tb.counters.requests >= 4) && signalledAt === 0) {
            signalledAt = performance.now();
            child.kill('SIGINT');
            clearInterval(poll);
          }
        }, 10);
        c.once('exit', () => clearInterval(poll));
      },
    });
    const r = await done;
    const afterSignal = performance.now() - signalledAt;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: finishing 4 requests in flight for 300 ms/);
    expect(r.stderr).toMatch(/interrupted\s+by SIGINT: 4 requests aborted/);
    // The default grace is 5000 ms: a worker that ignored --grace would take over 5 s here.
    expect(afterSignal).toBeLessThan(4_000);
  });

  it('HTTP_PROXY set in the environment: the worker goes through the proxy, as a local crawl does', async () => {
    await runCli(['enqueue', ...q(), tempList([`${tb.url}/p/proxy-1`, `${tb.url}/p/proxy-2`])]);
    const r = await runCli(['work', ...q(), '-c', '2'], { env: { ...NO_ENV_PROXY, HTTP_PROXY: proxy.url, http_proxy: proxy.url } });
    expect(r.code).toBe(0);
    expect(proxy.seen.length).toBe(2);
  });

  it('--summary-json of a worker has every key a local crawl writes (plus the worker)', async () => {
    const dir = tempDir();
    const list = tempList([`${tb.url}/p/keys-1`, `${tb.url}/status/404/keys-2`]);
    const local = await runCli(['-q', '--summary-json', join(dir, 'local.json'), list], { env: NO_ENV_PROXY });
    expect(local.code).toBe(0);
    await runCli(['enqueue', ...q(), list]);
    const worker = await runCli(['work', ...q(), '-q', '--summary-json', join(dir, 'worker.json')], { env: NO_ENV_PROXY });
    expect(worker.code).toBe(0);
    const localDoc = JSON.parse(readFileSync(join(dir, 'local.json'), 'utf8')) as Record<string, unknown>;
    const workerDoc = JSON.parse(readFileSync(join(dir, 'worker.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(workerDoc).sort()).toEqual([...Object.keys(localDoc), 'worker'].sort());
    expect(workerDoc).toMatchObject({ schema: 'sweep.summary/1', records: 2, ok: 1, failed: 1, interrupted: null });
    expect(workerDoc['peakRssBytes']).toBeGreaterThan(0);
  });
});
