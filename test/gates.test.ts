// --fail-on gates: the expression language and its verdicts (pure functions).

import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { ALL_METRICS, CRAWL_METRICS, crawlMetrics, describeFailure, evaluateGates, formatGateResults, parseGates } from '../src/gates.js';
import type { StatsSnapshot } from '../src/stats.js';

describe('parseGates', () => {
  it('reads comma-separated expressions, with spaces, and scales suffixes to base units', () => {
    const gates = parseGates(' p99 > 250ms , p50<=0.5s,error_rate>1%, efficiency < 0.8, speedup>=10x, rps<5000, failed>0');
    expect(gates.map((g) => [g.metric, g.op, g.value])).toEqual([
      ['p99', '>', 250],
      ['p50', '<=', 500],
      ['error_rate', '>', 0.01],
      ['efficiency', '<', 0.8],
      ['speedup', '>=', 10],
      ['rps', '<', 5000],
      ['failed', '>', 0],
    ]);
    expect(gates[0]!.text).toBe('p99 > 250ms');
  });

  it('accumulates when the option is repeated', () => {
    const first = parseGates('p99>1');
    expect(parseGates('max>2', ALL_METRICS, first).map((g) => g.metric)).toEqual(['p99', 'max']);
  });

  it('rejects an unknown metric, naming it and listing the known ones', () => {
    expect(() => parseGates('p95>100ms')).toThrow(UsageError);
    expect(() => parseGates('p95>100ms')).toThrow(/unknown metric 'p95'.*known: rps, p50/);
    expect(() => parseGates('p99>1,latency>2')).toThrow(/unknown metric 'latency'/);
  });

  it('rejects speedup and efficiency on a plain crawl: they need the bench baseline', () => {
    expect(() => parseGates('speedup<2', CRAWL_METRICS)).toThrow(/'speedup'.*only by `sweep bench`/);
    expect(parseGates('failed>0', CRAWL_METRICS)).toHaveLength(1);
  });

  it('rejects bad operators, missing values, suffixes that do not fit, and empty parts', () => {
    expect(() => parseGates('p99=5')).toThrow(/operator '='/);
    expect(() => parseGates('p99!=5')).toThrow(/operator '!='/);
    expect(() => parseGates('p99>')).toThrow(/Expected "<metric><op><value>"/);
    expect(() => parseGates('p99>>5')).toThrow(/Expected/);
    expect(() => parseGates('p99>5%')).toThrow(/'%' does not fit p99.*ms or s/);
    expect(() => parseGates('rps>5ms')).toThrow(/'ms' does not fit rps.*plain number/);
    expect(() => parseGates('error_rate>5ms')).toThrow(/does not fit error_rate/);
    expect(() => parseGates('p99>5,')).toThrow(/empty expression/);
  });

  // Found by test/gates.property.test.ts.
  it('takes no name every JS object has for a metric or a suffix (p99>5constructor was a gate with value NaN)', () => {
    expect(() => parseGates('p99>5constructor')).toThrow(/'constructor' does not fit p99/);
    expect(() => parseGates('p99>5__proto__')).toThrow(UsageError);
    expect(() => parseGates('toString<1')).toThrow(/unknown metric 'toString'/);
    expect(() => parseGates('constructor>1')).toThrow(/unknown metric 'constructor'/);
  });

  it('refuses a value that overflows to Infinity', () => {
    expect(() => parseGates('p99>' + '9'.repeat(400))).toThrow(/too large/);
  });

  it('keeps its messages on one line, whatever was typed', () => {
    expect(() => parseGates('p99\n>5')).toThrow(/got "p99\\n>5"/);
    expect(() => parseGates('p99 >\t5')).not.toThrow();
  });
});

describe('evaluateGates', () => {
  const metrics = { rps: 1000, p99: 250, error_rate: 0.02, efficiency: 0.75, failed: 0 };

  it('fails a gate exactly when its expression holds, at the boundary too', () => {
    const verdicts = evaluateGates(parseGates('p99>250ms,p99>=250ms,p99<250,p99<=250,rps<999,rps<1001,failed>0'), metrics);
    expect(verdicts.map((v) => v.failed)).toEqual([false, true, false, true, false, true, false]);
  });

  it('fails a gate whose metric the run did not measure, instead of passing it silently', () => {
    const [v] = evaluateGates(parseGates('speedup<2'), { rps: 1 });
    expect(v!.failed).toBe(true);
    expect(describeFailure(v!)).toMatch(/speedup was not measured/);
  });

  it('says which gate failed and by how much, in the unit it was written in', () => {
    const results = evaluateGates(parseGates('p99>200ms,error_rate>1%,efficiency<0.8,p99>0.1s'), metrics);
    const text = formatGateResults(results);
    expect(text).toContain('gate failed: p99>200ms (p99 was 250 ms, 50 ms above the limit 200 ms)');
    expect(text).toContain('gate failed: error_rate>1% (error_rate was 2%, 1% above the limit 1%)');
    expect(text).toContain('gate failed: efficiency<0.8 (efficiency was 0.75, 0.05 below the limit 0.8)');
    expect(text).toContain('gate failed: p99>0.1s (p99 was 0.25 s, 0.15 s above the limit 0.1 s)');
  });

  it('prints one line when every gate passed', () => {
    expect(formatGateResults(evaluateGates(parseGates('p99>1s,rps<10'), metrics))).toBe('sweep: gates passed: p99>1s, rps<10\n');
  });
});

describe('crawlMetrics', () => {
  it('derives error_rate from failed / records, and 0 for an empty run', () => {
    const snap = { records: 8, failed: 2, requestsPerSec: 50, latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1 } } as StatsSnapshot;
    expect(crawlMetrics(snap)).toEqual({ rps: 50, p50: 1, p90: 2, p99: 3, max: 4, error_rate: 0.25, failed: 2 });
    expect(crawlMetrics({ ...snap, records: 0, failed: 0 }).error_rate).toBe(0);
  });
});
