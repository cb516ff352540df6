// Counters for the summary. Recording is O(1) and allocation-free per request (typed-array
// histogram, small maps keyed by status/error code); everything else happens in snapshot().

import { createRequire } from 'node:module';
import type * as hdr from 'hdr-histogram-js';
import type { ErrorCode } from './errors.js';

// The package index also loads its WebAssembly build (a base64 blob, ~30-70 ms of start-up);
// the JS Int32Histogram is what hdr.build({ useWebAssembly: false }) returns anyway. The package
// has no "exports" map, so the file path is public.
const Int32Histogram = (
  createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as { default: typeof hdr.Int32Histogram }
).default;

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface StatsSnapshot {
  linesRead: number;
  skipped: number;
  records: number;
  ok: number;
  failed: number;
  aborted: number;
  retries: number;
  bytes: number;
  elapsedMs: number;
  requestsPerSec: number;
  concurrency: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
  /** [upper bound ms, count] pairs for an ASCII histogram; empty when no request was timed. */
  latencyBuckets: [number, number][];
}

export class Stats {
  records = 0;
  ok = 0;
  failed = 0;
  retries = 0;
  bytes = 0;
  readonly statuses = new Map<number, number>();
  readonly errors = new Map<ErrorCode, number>();
  // Microseconds, 1 us .. 1 h at 3 significant digits: ~0.1% error on any percentile.
  readonly #latencyUs: hdr.JsHistogram = Object.assign(new Int32Histogram(1, 3_600_000_000, 3), { autoResize: true });
  // The mean from an exact running sum: the histogram's own `mean` walks every bucket of the
  // 1 us .. 1 h range through an iterator object per value (~5-10 ms at the end of every run).
  #latencySumUs = 0;
  readonly #startedAt = performance.now();
  #endedAt: number | null = null;

  /** One finished URL. `latencyMs` is NaN for lines that sent no request. */
  record(ok: boolean, status: number | null, error: ErrorCode | null, attempts: number, bytes: number, latencyMs: number): void {
    this.records++;
    if (ok) this.ok++;
    else this.failed++;
    if (attempts > 1) this.retries += attempts - 1;
    this.bytes += bytes;
    if (status !== null) this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (error !== null) this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
    if (latencyMs === latencyMs) {
      const us = Math.max(1, Math.round(latencyMs * 1000));
      this.#latencyUs.recordValue(us);
      this.#latencySumUs += us;
    }
  }

  end(): void {
    this.#endedAt ??= performance.now();
  }

  get elapsedMs(): number {
    return (this.#endedAt ?? performance.now()) - this.#startedAt;
  }

  snapshot(input: { linesRead: number; skipped: number }, concurrency: number): StatsSnapshot {
    const h = this.#latencyUs;
    const elapsedMs = this.elapsedMs;
    const timed = h.totalCount > 0;
    // A percentile is its bucket's highest equivalent value, which can pass the exact max that
    // is printed beside it (one 9.97 ms request read "p50 9.98 max 9.97"): capped at the max.
    const pct = (p: number): number => (timed ? round2(Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000) : 0);
    return {
      linesRead: input.linesRead,
      skipped: input.skipped,
      records: this.records,
      ok: this.ok,
      failed: this.failed,
      aborted: this.errors.get('aborted') ?? 0,
      retries: this.retries,
      bytes: this.bytes,
      elapsedMs: round2(elapsedMs),
      requestsPerSec: elapsedMs > 0 ? round2((this.records * 1000) / elapsedMs) : 0,
      concurrency,
      statuses: Object.fromEntries([...this.statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
      errors: Object.fromEntries([...this.errors].sort((a, b) => b[1] - a[1])),
      latencyMs: {
        p50: pct(50),
        p90: pct(90),
        p99: pct(99),
        max: timed ? round2(h.maxValue / 1000) : 0,
        mean: timed ? round2(this.#latencySumUs / h.totalCount / 1000) : 0,
      },
      latencyBuckets: timed ? buckets(h) : [],
    };
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Ten buckets between min and max, as hey and oha print them. One pass over the histogram's
 * counts: the bisection over getValueAtPercentile it replaces cost ~300 passes (~30 ms at the
 * end of every run, a few % of a one-second crawl's wall time).
 */
function buckets(h: hdr.JsHistogram): [number, number][] {
  const min = h.minNonZeroValue;
  const max = h.maxValue;
  const step = Math.max(1, (max - min) / 10);
  const out: [number, number][] = [];
  for (let i = 1; i <= 10; i++) out.push([round2((i === 10 ? max : min + step * i) / 1000), 0]);
  for (let index = 0; index < h.countsArrayLength; index++) {
    const count = h.getCountAtIndex(index);
    if (count === 0) continue;
    // Bucket i holds (min + step * (i - 1), min + step * i]; min itself goes in the first.
    const b = Math.ceil((h.valueFromIndex(index) - min) / step) - 1;
    out[b < 0 ? 0 : b > 9 ? 9 : b]![1] += count;
  }
  return out;
}
