// `sweep demo` (what `npm start` runs): a real crawl of ~20,000 URLs against the embedded
// testbed, with mixed latencies, flaky routes that succeed on retry and a few that hang until
// the timeout, so every part of the summary has something to show. No internet needed.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from './config.js';
import { crawl } from './crawl.js';
import { startTestbedThread, type TestbedThread } from './testbed-thread.js';

/** The demo's URL list: deterministic, so two runs crawl the same mix. */
export function demoUrls(base: string, count: number): string[] {
  const urls: string[] = ['# sweep demo list: generated, one URL per line'];
  const hangs = Math.min(10, Math.floor(count / 2000));
  for (let i = 0; i < count; i++) {
    const k = i % 100;
    if (i % Math.floor(count / Math.max(1, hangs)) === 7 && hangs > 0) urls.push(`${base}/hang/${i}`);
    else if (k < 80) urls.push(`${base}/p/${i}`);
    else if (k < 92) urls.push(`${base}/delay/${[5, 10, 25, 50, 100][k % 5]}/${i}`);
    else if (k < 97) urls.push(`${base}/flaky/1/${i}`);
    else if (k < 98) urls.push(`${base}/redirect/2/${i}`);
    else urls.push(`${base}/status/404/${i}`);
  }
  return urls;
}

export async function demo(opts: { count: number }): Promise<number> {
  const testbed = await startTestbedThread();
  try {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-demo-'));
    const list = join(dir, 'urls.txt');
    const records = join(dir, 'records.ndjson');
    await writeFile(list, demoUrls(testbed.url, opts.count).join('\n') + '\n');
    process.stderr.write(
      `sweep demo: crawling ${opts.count.toLocaleString('en-US')} URLs of the embedded testbed at ${testbed.url}\n` +
        `  (mixed latencies, 503-then-200 routes, redirects, 404s and a few that hang until the 1 s timeout)\n`,
    );
    const cfg = buildConfig([list], { output: records, timeout: 1000, retries: 2, retryDelay: 100 });
    const { withProcessSignals } = await import('./run/interrupts.js');
    const result = await withProcessSignals((interrupts) => crawl(cfg, undefined, { interrupts }));
    process.stderr.write(`Records: ${records}\n  try: jq -c 'select(.ok | not)' ${records} | head\n`);
    if (result.exitCode !== 0) return result.exitCode;
    const site = await recursiveCrawl(testbed.url, dir);
    if (site !== 0) return site;
    return await latencyTable(testbed);
  } finally {
    await testbed.close();
  }
}

/** A recursive crawl of the testbed's generated site: what --depth does, on loopback. */
async function recursiveCrawl(base: string, dir: string): Promise<number> {
  const seeds = join(dir, 'seeds.txt');
  const records = join(dir, 'site.ndjson');
  await writeFile(seeds, `${base}/site/2000/\n`);
  process.stderr.write(`\nsweep demo: a recursive crawl: one seed, --depth 20, a generated site of 2,000 linked pages (gzip)\n`);
  const cfg = buildConfig([seeds], { output: records, depth: 20 });
  const { withProcessSignals } = await import('./run/interrupts.js');
  const result = await withProcessSignals((interrupts) => crawl(cfg, undefined, { interrupts }));
  process.stderr.write(`Records: ${records}\n  try: jq -c '{url, depth, parent, links}' ${records} | head\n`);
  return result.exitCode;
}

/**
 * The classic table after the crawl: N URLs of 100 ms, one at a time vs all at once. One run after a
 * short warm-up (under a second; without it the first row measured a cold delay route), so
 * `npm start` stays under ~30 s; `sweep bench` repeats runs and adds the throughput scenario.
 */
async function latencyTable(testbed: TestbedThread): Promise<number> {
  const { latencyScenario, Interrupted, benchInterrupts } = await import('./bench/scenarios.js');
  const { forwardProcessSignals } = await import('./run/interrupts.js');
  const { makeReport, BENCH_DEFAULTS } = await import('./bench/index.js');
  const { formatBenchText } = await import('./bench/format.js');
  const sizes = BENCH_DEFAULTS.sizes;
  process.stderr.write(`\nsweep demo: sequential vs pooled, N URLs answering after 100 ms, N = ${sizes.join(', ')} (about 20 s)\n`);
  const cfg = buildConfig([], {});
  const stopForwarding = forwardProcessSignals(benchInterrupts);
  try {
    const latency = await latencyScenario(testbed, cfg, { sizes, delayMs: 100, runs: 1, warmup: true }, () => {});
    const settings = { runs: 1, warmup: true, delayMs: 100, sizes, count: null, concurrency: cfg.concurrency, baselineSample: null, timeoutMs: cfg.timeoutMs };
    process.stderr.write(formatBenchText(makeReport(settings, { latency })));
    process.stderr.write('More: sweep bench (repeated runs, throughput, --json, --fail-on); see README.\n');
    return 0;
  } catch (err) {
    if (err instanceof Interrupted) return err.exitCode;
    throw err;
  } finally {
    stopForwarding();
  }
}
