// --compare and the small pure helpers of sweep bench.

import { describe, expect, it } from 'vitest';
import { asBenchReport, compareReports, parseAllowance } from '../src/bench/compare.js';
import { formatComparison } from '../src/bench/format.js';
import { makeReport } from '../src/bench/index.js';
import { spread, type BenchReport } from '../src/bench/report-types.js';
import { evenSample } from '../src/bench/scenarios.js';
import { UsageError } from '../src/errors.js';

const settings: BenchReport['settings'] = { runs: 1, warmup: false, delayMs: 100, sizes: [5], count: 10, concurrency: 4, baselineSample: null, timeoutMs: 1000 };
const withMetrics = (rps: number, p99: number): BenchReport => {
  const r = makeReport(settings, {});
  return { ...r, metrics: { ...r.metrics, rps, p99 } };
};

describe('compareReports', () => {
  it('flags requests/s falling and p99 rising by more than the allowance, and nothing within it', () => {
    const prev = withMetrics(1000, 10);
    expect(compareReports(prev, withMetrics(901, 10.9), 0.1).regressed).toBe(false);
    expect(compareReports(prev, withMetrics(900, 11), 0.1).regressed).toBe(false);
    const slower = compareReports(prev, withMetrics(899, 10), 0.1);
    expect(slower.regressed).toBe(true);
    expect(slower.rows.find((r) => r.label === 'requests/s')).toMatchObject({ regressed: true, change: -0.101 });
    const laggier = compareReports(prev, withMetrics(1000, 11.1), 0.1);
    expect(laggier.rows.filter((r) => r.regressed).map((r) => r.label)).toEqual(['p99 ms']);
    // Faster and snappier is never a regression, however large the change.
    expect(compareReports(prev, withMetrics(5000, 1), 0).regressed).toBe(false);
  });

  it('prints a side-by-side table with the change and a verdict per gated row', () => {
    const text = formatComparison(compareReports(withMetrics(1000, 10), withMetrics(500, 10), 0.1), false).join('\n');
    expect(text).toMatch(/requests\/s\s+1,000\.00\s+500\.00\s+-50\.0%\s+REGRESSION/);
    expect(text).toMatch(/p99 ms\s+10\.00\s+10\.00\s+\+0\.0%\s+ok/);
  });

  it('refuses a document that is not a bench report', () => {
    expect(() => asBenchReport({ schema: 'sweep.summary/1' }, 'x.json')).toThrow(UsageError);
    expect(() => asBenchReport(null, 'x.json')).toThrow(/not a sweep bench --json report/);
    expect(asBenchReport(withMetrics(1, 1), 'x.json').metrics.rps).toBe(1);
  });

  it('reads the allowance as a percentage', () => {
    expect(parseAllowance('10%')).toBeCloseTo(0.1);
    expect(parseAllowance('2.5')).toBeCloseTo(0.025);
    expect(() => parseAllowance('-5%')).toThrow(UsageError);
    expect(() => parseAllowance('ten')).toThrow(UsageError);
  });
});

describe('bench helpers', () => {
  it('spread gives median, min and max (median of an even count is the mean of the middle two)', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('evenSample spreads the baseline sample over the whole list, deterministically', () => {
    const list = Array.from({ length: 100 }, (_, i) => i);
    expect(evenSample(list, 4)).toEqual([0, 25, 50, 75]);
    expect(evenSample(list, 200)).toHaveLength(100);
  });
});
