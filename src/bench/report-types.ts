// The shape of a bench report: what --json writes (schemas/bench.schema.json describes it for
// readers; bump `schema` on any incompatible change) and what the table and markdown print.

import type { Metrics } from '../gates.js';

export const BENCH_SCHEMA = 'sweep.bench/1';

/** A figure over repeated runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface LatencyRun {
  sequentialMs: number;
  pooledMs: number;
  speedup: number;
  /** Requests in flight at once, as the testbed counted them. */
  sequentialMaxInFlight: number;
  pooledMaxInFlight: number;
  failed: number;
}

export interface LatencyRow {
  n: number;
  sequentialS: Spread;
  pooledS: Spread;
  speedup: Spread;
  idealSpeedup: number;
  efficiency: Spread;
  runs: LatencyRun[];
}

export interface LatencyScenario {
  delayMs: number;
  rows: LatencyRow[];
}

export interface ThroughputRun {
  elapsedMs: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  cpuMsPer1k: number;
  records: number;
  failed: number;
  errorRate: number;
  serverMaxInFlight: number;
}

export interface ThroughputScenario {
  count: number;
  concurrency: number;
  requestsPerSec: Spread;
  latencyMs: { p50: Spread; p90: Spread; p99: Spread; max: Spread };
  cpuMsPer1k: Spread;
  errorRate: Spread;
  failed: Spread;
  /** [upper bound ms, count] of the median run (by requests/s). */
  histogram: [number, number][];
  runs: ThroughputRun[];
}

export interface FilePass {
  urls: number;
  concurrency: number;
  elapsedMs: number;
  /** elapsedMs / urls: what one URL costs in this mode. */
  perUrlMs: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  failed: number;
  errorRate: number;
}

export interface FileScenario {
  file: string;
  sequential: FilePass;
  pooled: FilePass;
  /** sequential perUrlMs / pooled perUrlMs. */
  speedup: number;
  /** min(concurrency, urls): the speedup of a perfect pool. */
  idealSpeedup: number;
  efficiency: number;
  histogram: [number, number][];
}

export interface BenchReport {
  schema: typeof BENCH_SCHEMA;
  sweepVersion: string;
  createdAt: string;
  mode: 'testbed' | 'file';
  machine: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; totalMemoryMiB: number };
  settings: {
    runs: number;
    warmup: boolean;
    delayMs: number | null;
    sizes: number[] | null;
    count: number | null;
    concurrency: number;
    baselineSample: number | null;
    timeoutMs: number;
  };
  latency: LatencyScenario | null;
  throughput: ThroughputScenario | null;
  file: FileScenario | null;
  /** Peak resident set size of the sweep process over the whole bench, MiB. */
  peakRssMiB: number;
  /** The values --fail-on and --compare read (medians in testbed mode). */
  metrics: Required<{ [K in keyof Metrics]: number | null }>;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!) };
}

export const round = (n: number, digits = 4): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
