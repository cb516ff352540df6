// How much Redis memory a distributed queue costs per URL, on a real redis-server of its own:
// queued (enqueued, not yet read), in flight (read by a worker, not acknowledged), done (its
// record in the results stream) and after `sweep results --trim`. Each figure is the growth of
// INFO memory `used_memory` over the phase divided by the URLs, next to MEMORY USAGE (SAMPLES 0:
// every element) of the queue's keys. Also Redis's CPU per URL for a worker run on a fresh queue
// (INFO commandstats: every command the worker sent, scripts included).
//
//   npm run build && node scripts/redis-memory.mjs [urls=100000]
//   SWEEP=/tmp/before/bin/sweep.js node scripts/redis-memory.mjs    # another build's figures
//
// Needs redis-server on PATH (Debian: apt-get install redis-server). Crawls the loopback testbed.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startTestbedProcess } from '../dist/testbed-thread.js';

const n = Number(process.argv[2] ?? 100_000);
const sweep = process.env.SWEEP ?? fileURLToPath(new URL('../bin/sweep.js', import.meta.url));
const run = promisify(execFile);

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => server.stdout.on('data', (d) => String(d).includes('Ready to accept') && resolve()));
const url = `redis://127.0.0.1:${port}`;
const redis = new Redis(url);
const testbed = await startTestbedProcess();
const dir = mkdtempSync(join(tmpdir(), 'sweep-redis-memory-'));

try {
  const urls = Array.from({ length: n }, (_, i) => `${testbed.url}/p/catalog/item-${String(i).padStart(7, '0')}?s=1`);
  const list = join(dir, 'urls.txt');
  writeFileSync(list, urls.join('\n') + '\n');
  const avgUrl = urls.reduce((a, u) => a + u.length, 0) / n;
  const cli = (...args) => run(process.execPath, [sweep, ...args, '--redis', url, '--queue', 'm'], { maxBuffer: 1 << 26 });
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
  const dataset = async () => Number(/used_memory_dataset:(\d+)/.exec(await redis.info('memory'))[1]);
  const usage = async (key) => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const keysOf = async () => {
    const out = {};
    for (const key of (await redis.keys('sweep:{m}:*')).sort()) out[key.slice('sweep:{m}:'.length)] = await usage(key);
    return out;
  };
  const perUrl = (bytes) => Math.round((bytes / n) * 10) / 10;
  const rows = [];
  const phase = async (name, base) => {
    const now = await used();
    const keys = await keysOf();
    const data = (await dataset()) - base.dataset;
    rows.push({
      phase: name,
      usedMemoryPerUrl: perUrl(now - base.used),
      datasetPerUrl: perUrl(data),
      keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, `${v} B (${perUrl(v)}/URL)`])),
    });
  };
  const mark = async () => ({ used: await used(), dataset: await dataset() });

  await redis.config('SET', 'save', '');
  const empty = await mark();
  await cli('enqueue', list);
  await phase('queued (after enqueue)', empty);
  // Read every entry without acknowledging it, as workers in flight would hold them.
  const beforeRead = await mark();
  await redis.xreadgroup('GROUP', 'sweep', 'probe', 'COUNT', n, 'STREAMS', 'sweep:{m}:jobs', '>');
  await phase('in flight (read, not acknowledged): growth over queued', beforeRead);
  // The same consumer name: the worker resumes what the probe read, then acknowledges all.
  await cli('work', '--consumer', 'probe', '-c', '64', '-q');
  await phase('done (all crawled, not exported)', empty);
  // Without --trim if the build has none: its figures are then those of an export that deletes nothing.
  await cli('results', '--trim', '-o', join(dir, 'out.ndjson')).catch(() => cli('results', '-o', join(dir, 'out.ndjson')));
  await phase('after results --trim', empty);

  // --dedupe: the set of digests, on a queue of its own.
  const beforeDedupe = await used();
  await run(process.execPath, [sweep, 'enqueue', '--redis', url, '--queue', 'md', '--dedupe', list]);
  const seen = await usage('sweep:{md}:seen');
  const dedupeGrowth = (await used()) - beforeDedupe;

  // Redis's CPU for one worker's run, on a fresh queue.
  await run(process.execPath, [sweep, 'enqueue', '--redis', url, '--queue', 'mc', list]);
  await redis.config('RESETSTAT');
  const started = performance.now();
  await run(process.execPath, [sweep, 'work', '--redis', url, '--queue', 'mc', '-c', '64', '-q']);
  const seconds = (performance.now() - started) / 1000;
  const stats = await redis.info('commandstats');
  // A script's time includes the commands it calls, which are also counted on their own.
  const byCommand = {};
  for (const m of stats.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) {
    byCommand[m[1]] = { calls: Number(m[2]), usPerUrl: Math.round((Number(m[3]) / n) * 100) / 100 };
  }
  const us = (c) => byCommand[c]?.usPerUrl ?? 0;

  console.log(`sweep ${sweep}; ${n} URLs, ${avgUrl.toFixed(1)} bytes on average; redis-server ${(await redis.info('server')).match(/redis_version:(\S+)/)[1]}`);
  for (const r of rows) console.log(JSON.stringify(r));
  console.log(JSON.stringify({ dedupe: { seenSetPerUrl: perUrl(seen), usedMemoryPerUrlWithItsJobs: perUrl(dedupeGrowth) } }));
  console.log(
    JSON.stringify({
      work: {
        seconds: Math.round(seconds * 10) / 10,
        // What the worker sent: scripts (acknowledgements, records, reclaims) and its reads.
        redisCpuUsPerUrl: Math.round((us('evalsha') + us('xreadgroup') + us('xautoclaim')) * 100) / 100,
        byCommand,
      },
    }),
  );
} finally {
  redis.disconnect();
  server.kill('SIGKILL');
  await testbed.close();
}
