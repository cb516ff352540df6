import { describe, expect, it } from 'vitest';
import { Stats } from '../src/stats.js';

describe('stats', () => {
  it('percentiles from the histogram are within its precision', () => {
    const s = new Stats();
    for (let i = 1; i <= 1000; i++) s.record(true, 200, null, 1, 10, i);
    const snap = s.snapshot({ linesRead: 1000, skipped: 0 }, 8);
    expect(snap.latencyMs.p50).toBeGreaterThan(499);
    expect(snap.latencyMs.p50).toBeLessThan(501.5);
    expect(snap.latencyMs.p99).toBeGreaterThan(989);
    expect(snap.latencyMs.p99).toBeLessThan(991.5);
    expect(snap.latencyMs.max).toBeGreaterThan(999);
    expect(snap.latencyMs.max).toBeLessThan(1001.5);
    expect(snap.latencyBuckets.reduce((n, [, c]) => n + c, 0)).toBe(1000);
  });

  it('the mean is the exact mean of the recorded latencies (to the microsecond), untimed lines aside', () => {
    const s = new Stats();
    s.record(true, 200, null, 1, 10, 1.5);
    s.record(true, 200, null, 1, 10, 2_000.25);
    s.record(false, null, 'invalid_url', 0, 0, NaN);
    s.record(true, 200, null, 1, 10, 0.0001); // counted as 1 us, the histogram's floor
    expect(s.snapshot({ linesRead: 3, skipped: 0 }, 1).latencyMs.mean).toBe(Math.round(((1_500 + 2_000_250 + 1) / 3 / 1000) * 100) / 100);
  });

  it('no percentile is printed above the max', () => {
    const s = new Stats();
    s.record(true, 200, null, 1, 10, 9.97);
    const { p50, p99, max } = s.snapshot({ linesRead: 1, skipped: 0 }, 1).latencyMs;
    expect(max).toBe(9.97);
    expect(p50).toBe(max);
    expect(p99).toBe(max);
  });

  it('latency buckets split min..max into ten equal ranges and count each value once', () => {
    const s = new Stats();
    for (let i = 1; i <= 1000; i++) s.record(true, 200, null, 1, 10, 100 + i / 10);
    for (let i = 0; i < 50; i++) s.record(true, 200, null, 1, 10, 200);
    const buckets = s.snapshot({ linesRead: 1050, skipped: 0 }, 8).latencyBuckets;
    expect(buckets).toHaveLength(10);
    expect(buckets[9]![0]).toBeCloseTo(200, 0);
    // 100 values per tenth of 100.1..200 ms (histogram precision moves a few across edges),
    // and the 50 values at the max all land in the last bucket.
    for (const [, count] of buckets.slice(0, 9)) expect(Math.abs(count - 100)).toBeLessThanOrEqual(3);
    expect(buckets[9]![1]).toBeGreaterThanOrEqual(147);
    expect(buckets.reduce((n, [, c]) => n + c, 0)).toBe(1050);
  });

  it('counts statuses, errors and retries', () => {
    const s = new Stats();
    s.record(true, 200, null, 1, 100, 1);
    s.record(false, 503, 'http_status', 3, 10, 5);
    s.record(false, null, 'invalid_url', 0, 0, NaN);
    const snap = s.snapshot({ linesRead: 4, skipped: 1 }, 8);
    expect(snap).toMatchObject({ records: 3, ok: 1, failed: 2, retries: 2, bytes: 110 });
    expect(snap.statuses).toEqual({ '200': 1, '503': 1 });
    expect(snap.errors).toEqual({ http_status: 1, invalid_url: 1 });
  });

  it('an empty run reports zeros', () => {
    const snap = new Stats().snapshot({ linesRead: 0, skipped: 0 }, 64);
    expect(snap).toMatchObject({ records: 0, ok: 0, failed: 0, latencyMs: { p50: 0, p99: 0, max: 0 } });
  });
});
