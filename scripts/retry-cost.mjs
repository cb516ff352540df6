// Measures what wrapping every request in p-retry would cost, against sweep's way (p-retry only
// after a first retryable failure). Same Agent, same fetcher, same testbed thread; the two
// variants alternate A B A B ... and the medians are compared as a ratio in one run.
//
//   npm run build && node scripts/retry-cost.mjs [count=20000] [rounds=5]

import pRetry from 'p-retry';
import { buildConfig } from '../dist/config.js';
import { createAgent } from '../dist/net/dispatcher.js';
import { DeadlineQueue } from '../dist/deadlines.js';
import { UrlTask } from '../dist/fetcher.js';
import { makeJob } from '../dist/input.js';
import { startTestbedThread } from '../dist/testbed-thread.js';

const count = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const concurrency = 64;
const testbed = await startTestbedThread();
const cfg = buildConfig([], { concurrency });
const agent = createAgent(cfg);
const settings = {
  dispatcher: agent,
  method: 'GET',
  headers: cfg.headers,
  timeoutMs: cfg.timeoutMs,
  retries: cfg.retries,
  backoff: { baseMs: 200, maxMs: 10_000 },
  maxBody: cfg.maxBody,
  maxRedirects: 5,
  deadlines: new DeadlineQueue(cfg.timeoutMs),
  signal: new AbortController().signal,
};
const jobs = Array.from({ length: count }, (_, i) => makeJob(i + 1, `${testbed.url}/p/${i}`));

/** Runs every job at `concurrency`; `wrap` decides how one job is started. */
async function run(wrap) {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await new Promise((resolve) => {
    let active = 0;
    const pump = () => {
      while (active < concurrency && next < jobs.length) {
        active++;
        wrap(jobs[next++], (task) => {
          if (task.error) failed++;
          active--;
          if (next === jobs.length && active === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  if (failed) throw new Error(`${failed} requests failed`);
  return count / ((performance.now() - started) / 1000);
}

const direct = (job, done) => new UrlTask(job, settings, done).start();
const wrapped = (job, done) => {
  // What a naive design does: a Promise and a p-retry call around every request.
  pRetry(() => new Promise((resolve) => new UrlTask(job, settings, resolve).start()), { retries: 2 }).then(done);
};

await run(direct); // warm-up
const a = [];
const b = [];
for (let i = 0; i < rounds; i++) {
  a.push(await run(direct));
  b.push(await run(wrapped));
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`${count} URLs x ${rounds} rounds, concurrency ${concurrency}, testbed on a worker thread`);
console.log(`  p-retry only after a failure (sweep): median ${fmt(median(a))} req/s  [${a.map(fmt).join(', ')}]`);
console.log(`  p-retry around every request:         median ${fmt(median(b))} req/s  [${b.map(fmt).join(', ')}]`);
console.log(`  ratio sweep / wrapped: ${(median(a) / median(b)).toFixed(3)}`);
settings.deadlines.stop();
await agent.destroy();
await testbed.close();
