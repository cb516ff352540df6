// Pure formatting of a stats snapshot for people (stderr) and machines (--summary-json).

import type { StatsSnapshot } from './stats.js';

const num = (n: number): string => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function counts(map: Record<string, number>): string {
  const entries = Object.entries(map);
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}: ${num(v)}`).join(', ');
}

/** A small ASCII latency histogram, as hey and oha print them. */
export function formatHistogram(buckets: readonly [number, number][], width = 40): string[] {
  const peak = Math.max(1, ...buckets.map(([, c]) => c));
  const labelWidth = Math.max(...buckets.map(([ms]) => ms.toFixed(2).length));
  return buckets.map(([ms, c]) => {
    const bar = '■'.repeat(Math.round((c / peak) * width));
    return `  ${ms.toFixed(2).padStart(labelWidth)} ms [${num(c)}]\t|${bar}`;
  });
}

export function formatSummary(s: StatsSnapshot, opts: { histogram?: boolean } = {}): string {
  const lines = [
    'Summary:',
    `  lines read     ${num(s.linesRead)} (${num(s.skipped)} skipped: blank or comment)`,
    `  records        ${num(s.records)}  ok ${num(s.ok)}  failed ${num(s.failed)}` +
      (s.aborted > 0 ? `  (aborted ${num(s.aborted)})` : ''),
    `  retries        ${num(s.retries)}`,
    `  statuses       ${counts(s.statuses)}`,
    `  errors         ${counts(s.errors)}`,
    `  bytes          ${formatBytes(s.bytes)}`,
    `  elapsed        ${(s.elapsedMs / 1000).toFixed(2)} s at concurrency ${s.concurrency}`,
    `  requests/s     ${num(Math.round(s.requestsPerSec))}`,
    `  latency (ms)   p50 ${s.latencyMs.p50}  p90 ${s.latencyMs.p90}  p99 ${s.latencyMs.p99}  max ${s.latencyMs.max}`,
  ];
  if (opts.histogram && s.latencyBuckets.length > 0) {
    lines.push('  latency histogram:', ...formatHistogram(s.latencyBuckets).map((l) => '  ' + l));
  }
  return lines.join('\n') + '\n';
}

/** The --summary-json document: the snapshot plus a schema version for readers. */
export function summaryJson(s: StatsSnapshot): string {
  const { latencyBuckets: _buckets, ...rest } = s;
  return JSON.stringify({ schema: 'sweep.summary/1', ...rest }, null, 2) + '\n';
}
