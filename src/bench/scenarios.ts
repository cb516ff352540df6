// The bench scenarios. Each timed figure is a real crawl (crawlList) against the loopback
// testbed, whose counters prove what the server saw (a sequential baseline is one request at a
// time); or, in file mode, against the user's own targets.

import { readFile } from 'node:fs/promises';
import type { CrawlConfig } from '../config.js';
import type { TestbedThread } from '../testbed-thread.js';
import type { StatsSnapshot } from '../stats.js';
import { Interrupts } from '../run/interrupts.js';
import { crawlList, type ListRun } from './crawl-list.js';
import {
  round,
  spread,
  type FilePass,
  type FileScenario,
  type LatencyRow,
  type LatencyRun,
  type LatencyScenario,
  type ThroughputRun,
  type ThroughputScenario,
} from './report-types.js';

/** Thrown when a signal interrupted a run: the bench stops with that exit code. */
export class Interrupted extends Error {
  constructor(readonly exitCode: number) {
    super(`interrupted (${exitCode})`);
  }
}

type Log = (line: string) => void;

/**
 * Set by bench's own signal handlers. A signal that arrives during a run stops that run (the
 * handlers forward it to `benchInterrupts`, which every crawlList run listens to); this catches
 * one that arrives between runs, so the next run does not start.
 */
export const interruption = { exitCode: 0 };

/** What stops the bench's runs: bench and demo forward SIGINT / SIGTERM here. */
export const benchInterrupts = new Interrupts();

function checkInterrupted(): void {
  if (interruption.exitCode !== 0) throw new Interrupted(interruption.exitCode);
}

let runId = 0;
/** Distinct paths per run, so nothing can be served from a cache keyed by URL. */
const urlsFor = (base: string, route: string, n: number): string[] => {
  const id = ++runId;
  return Array.from({ length: n }, (_, i) => `${base}/${route}/${id}-${i}`);
};

async function measured(tb: TestbedThread, cfg: CrawlConfig, urls: readonly string[]): Promise<ListRun & { maxInFlight: number }> {
  checkInterrupted();
  await tb.resetCounters();
  const run = await crawlList(cfg, urls, benchInterrupts);
  if (run.exitCode !== 0) throw new Interrupted(run.exitCode);
  const { maxInFlight } = await tb.counters();
  return { ...run, maxInFlight };
}

const withConcurrency = (cfg: CrawlConfig, concurrency: number): CrawlConfig => ({ ...cfg, concurrency });

export interface LatencyOptions {
  sizes: readonly number[];
  delayMs: number;
  runs: number;
  warmup: boolean;
}

/** For each N: N delayed URLs fetched one at a time, then all N at once, `runs` times. */
export async function latencyScenario(tb: TestbedThread, cfg: CrawlConfig, o: LatencyOptions, log: Log): Promise<LatencyScenario> {
  const route = `delay/${o.delayMs}`;
  if (o.warmup) {
    const largest = Math.max(...o.sizes);
    await measured(tb, withConcurrency(cfg, largest), urlsFor(tb.url, route, largest));
    await measured(tb, withConcurrency(cfg, 1), urlsFor(tb.url, route, Math.min(...o.sizes)));
  }
  const perSize = new Map<number, LatencyRun[]>(o.sizes.map((n) => [n, []]));
  for (let r = 1; r <= o.runs; r++) {
    for (const n of o.sizes) {
      log(`latency: run ${r}/${o.runs}, N=${n}: sequential, then pooled`);
      const seq = await measured(tb, withConcurrency(cfg, 1), urlsFor(tb.url, route, n));
      const pooled = await measured(tb, withConcurrency(cfg, n), urlsFor(tb.url, route, n));
      perSize.get(n)!.push({
        sequentialMs: seq.snapshot.elapsedMs,
        pooledMs: pooled.snapshot.elapsedMs,
        speedup: round(seq.snapshot.elapsedMs / pooled.snapshot.elapsedMs),
        sequentialMaxInFlight: seq.maxInFlight,
        pooledMaxInFlight: pooled.maxInFlight,
        failed: seq.snapshot.failed + pooled.snapshot.failed,
      });
    }
  }
  const rows: LatencyRow[] = o.sizes.map((n) => {
    const runs = perSize.get(n)!;
    return {
      n,
      sequentialS: spread(runs.map((x) => x.sequentialMs / 1000)),
      pooledS: spread(runs.map((x) => x.pooledMs / 1000)),
      speedup: spread(runs.map((x) => x.speedup)),
      idealSpeedup: n,
      efficiency: spread(runs.map((x) => x.speedup / n)),
      runs,
    };
  });
  return { delayMs: o.delayMs, rows };
}

export interface ThroughputOptions {
  count: number;
  concurrency: number;
  runs: number;
  warmup: boolean;
}

const latencyOf = (s: StatsSnapshot) => ({ p50: s.latencyMs.p50, p90: s.latencyMs.p90, p99: s.latencyMs.p99, max: s.latencyMs.max });

/** `count` zero-delay URLs at -c: what the client itself can do per second and per CPU ms. */
export async function throughputScenario(tb: TestbedThread, cfg: CrawlConfig, o: ThroughputOptions, log: Log): Promise<ThroughputScenario> {
  const c = withConcurrency(cfg, o.concurrency);
  if (o.warmup) await measured(tb, c, urlsFor(tb.url, 'p', Math.min(o.count, 2_000)));
  const runs: ThroughputRun[] = [];
  const buckets: [number, number][][] = [];
  for (let r = 1; r <= o.runs; r++) {
    log(`throughput: run ${r}/${o.runs}, ${o.count.toLocaleString('en-US')} URLs at -c ${o.concurrency}`);
    const run = await measured(tb, c, urlsFor(tb.url, 'p', o.count));
    const s = run.snapshot;
    runs.push({
      elapsedMs: s.elapsedMs,
      requestsPerSec: s.requestsPerSec,
      latencyMs: latencyOf(s),
      cpuMsPer1k: round(run.cpuMs / (s.records / 1000), 2),
      records: s.records,
      failed: s.failed,
      errorRate: s.records > 0 ? round(s.failed / s.records, 6) : 0,
      serverMaxInFlight: run.maxInFlight,
    });
    buckets.push(s.latencyBuckets);
  }
  const byRps = runs.map((x, i) => [x.requestsPerSec, i] as const).sort((a, b) => a[0] - b[0]);
  const medianRun = byRps[(byRps.length - 1) >> 1]![1];
  return {
    count: o.count,
    concurrency: o.concurrency,
    requestsPerSec: spread(runs.map((x) => x.requestsPerSec)),
    latencyMs: {
      p50: spread(runs.map((x) => x.latencyMs.p50)),
      p90: spread(runs.map((x) => x.latencyMs.p90)),
      p99: spread(runs.map((x) => x.latencyMs.p99)),
      max: spread(runs.map((x) => x.latencyMs.max)),
    },
    cpuMsPer1k: spread(runs.map((x) => x.cpuMsPer1k)),
    errorRate: spread(runs.map((x) => x.errorRate)),
    failed: spread(runs.map((x) => x.failed)),
    histogram: buckets[medianRun]!,
    runs,
  };
}

/** The fetchable lines of a URL list, as input.ts reads them (trimmed; blanks and # skipped). */
export async function readUrlList(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** `sample` URLs spread evenly over the list (deterministic: the same list gives the same sample). */
export function evenSample<T>(list: readonly T[], sample: number): T[] {
  if (sample >= list.length) return [...list];
  const step = list.length / sample;
  return Array.from({ length: sample }, (_, i) => list[Math.floor(i * step)]!);
}

function filePass(run: ListRun, concurrency: number): FilePass {
  const s = run.snapshot;
  return {
    urls: s.records,
    concurrency,
    elapsedMs: s.elapsedMs,
    perUrlMs: s.records > 0 ? round(s.elapsedMs / s.records) : 0,
    requestsPerSec: s.requestsPerSec,
    latencyMs: latencyOf(s),
    failed: s.failed,
    errorRate: s.records > 0 ? round(s.failed / s.records, 6) : 0,
  };
}

/**
 * Real targets: a sequential pass over a sample, then the pool over the whole list, once each
 * (no warm-up, no repeats: this is load on someone's servers). Speedup compares per-URL times.
 */
export async function fileScenario(path: string, cfg: CrawlConfig, sample: number, log: Log): Promise<FileScenario> {
  const urls = await readUrlList(path);
  const picked = evenSample(urls, sample);
  checkInterrupted();
  log(`file: sequential over a sample of ${picked.length} URLs`);
  const seq = await crawlList(withConcurrency(cfg, 1), picked);
  if (seq.exitCode !== 0) throw new Interrupted(seq.exitCode);
  checkInterrupted();
  log(`file: pooled over all ${urls.length.toLocaleString('en-US')} URLs at -c ${cfg.concurrency}`);
  const pooled = await crawlList(cfg, urls);
  if (pooled.exitCode !== 0) throw new Interrupted(pooled.exitCode);
  const sequential = filePass(seq, 1);
  const pool = filePass(pooled, cfg.concurrency);
  const speedup = pool.perUrlMs > 0 ? round(sequential.perUrlMs / pool.perUrlMs) : 0;
  const idealSpeedup = Math.max(1, Math.min(cfg.concurrency, urls.length));
  return {
    file: path,
    sequential,
    pooled: pool,
    speedup,
    idealSpeedup,
    efficiency: round(speedup / idealSpeedup),
    histogram: pooled.snapshot.latencyBuckets,
  };
}
