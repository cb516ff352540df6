// Pure formatting of a bench report: a table for people (stderr) and markdown for a CI job
// summary (appended, so each run is a self-contained section).

import type { GateResult } from '../gates.js';
import { formatHistogram } from '../report.js';
import type { Comparison } from './compare.js';
import type { BenchReport, Spread } from './report-types.js';

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** "1.23 (1.20-1.31)": median, then min-max when runs differ. */
const med = (s: Spread, digits: number, unit = ''): string =>
  s.min === s.max ? num(s.median, digits) + unit : `${num(s.median, digits)}${unit} (${num(s.min, digits)}-${num(s.max, digits)})`;
const pct = (n: number): string => `${(n * 100).toFixed(2)}%`;

function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function mdTable(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

const LATENCY_HEADER = ['N', 'sequential s', 'pooled s', 'speedup', 'ideal', 'efficiency'];

function latencyRows(r: BenchReport): string[][] {
  return (r.latency?.rows ?? []).map((row) => [
    String(row.n),
    med(row.sequentialS, 2),
    med(row.pooledS, 3),
    med(row.speedup, 1, 'x'),
    `${row.idealSpeedup}x`,
    med(row.efficiency, 2),
  ]);
}

function throughputLines(r: BenchReport): string[] {
  const t = r.throughput;
  if (t === null) return [];
  return [
    `  requests/s        ${med(t.requestsPerSec, 0)}`,
    `  latency (ms)      p50 ${med(t.latencyMs.p50, 2)}  p90 ${med(t.latencyMs.p90, 2)}  p99 ${med(t.latencyMs.p99, 2)}  max ${med(t.latencyMs.max, 2)}`,
    `  CPU per 1k req    ${med(t.cpuMsPer1k, 1)} ms (client process only; the testbed runs in its own)`,
    `  failed            ${med(t.failed, 0)} (error rate ${pct(t.errorRate.median)})`,
    `  peak RSS          ${num(r.peakRssMiB, 1)} MiB`,
  ];
}

function describe(r: BenchReport): string {
  const m = r.machine;
  const runs = r.mode === 'file' ? 'one pass each' : `${r.settings.runs} run${r.settings.runs === 1 ? '' : 's'}${r.settings.warmup ? ' after a warm-up' : ''}, median (min-max)`;
  return `sweep ${r.sweepVersion}, Node ${m.node}, ${m.platform}/${m.arch}, ${m.cpus} CPUs (${m.cpuModel}); ${runs}`;
}

export function formatComparison(c: Comparison, markdown: boolean): string[] {
  const header = ['metric', 'previous', 'current', 'change', 'verdict'];
  const rows = c.rows.map((row) => [
    row.label,
    row.previous === null ? '-' : num(row.previous, 2),
    row.current === null ? '-' : num(row.current, 2),
    row.change === null ? '-' : `${row.change >= 0 ? '+' : ''}${(row.change * 100).toFixed(1)}%`,
    !row.gated ? '' : row.regressed ? 'REGRESSION' : row.change === null ? 'n/a' : 'ok',
  ]);
  const title = `Compared with the previous report (allowance ${(c.allowance * 100).toFixed(1)}% on requests/s and p99):`;
  const verdict = c.regressed ? 'Result: regression beyond the allowance.' : 'Result: no regression beyond the allowance.';
  const notes = c.notes.map((n) => `Note: ${n}.`);
  return markdown ? [`**${title}**`, '', ...mdTable(header, rows), '', verdict, ...notes] : [title, ...textTable(header, rows), '  ' + verdict, ...notes.map((n) => '  ' + n)];
}

export function formatGatesMarkdown(results: readonly GateResult[]): string[] {
  if (results.length === 0) return [];
  return ['**Gates** (`--fail-on`):', '', ...results.map((g) => `- ${g.failed ? 'FAILED' : 'passed'}: \`${g.gate.text}\` (${g.gate.metric} = ${g.actual ?? 'not measured'})`)];
}

/** The people's version, for stderr. */
export function formatBenchText(r: BenchReport, comparison: Comparison | null = null): string {
  const out: string[] = [`sweep bench: ${describe(r)}`];
  if (r.latency !== null) {
    out.push('', `Latency-bound: N URLs answering after ${r.latency.delayMs} ms, one at a time vs all N at once`, ...textTable(LATENCY_HEADER, latencyRows(r)));
  }
  if (r.throughput !== null) {
    out.push('', `Throughput-bound: ${num(r.throughput.count)} zero-delay URLs at -c ${r.throughput.concurrency}`, ...throughputLines(r));
    if (r.throughput.histogram.length > 0) out.push('  latency histogram (median run):', ...formatHistogram(r.throughput.histogram).map((l) => '  ' + l));
  }
  if (r.file !== null) {
    const f = r.file;
    out.push(
      '',
      `Real targets: ${f.file}`,
      ...textTable(
        ['pass', 'URLs', 'elapsed s', 'ms per URL', 'requests/s', 'p50 ms', 'p99 ms', 'failed'],
        [f.sequential, f.pooled].map((p, i) => [
          i === 0 ? 'sequential (sample)' : `pooled (-c ${p.concurrency})`,
          num(p.urls),
          num(p.elapsedMs / 1000, 2),
          num(p.perUrlMs, 2),
          num(p.requestsPerSec, 0),
          num(p.latencyMs.p50, 2),
          num(p.latencyMs.p99, 2),
          num(p.failed),
        ]),
      ),
      `  speedup ${num(f.speedup, 1)}x of an ideal ${f.idealSpeedup}x: efficiency ${num(f.efficiency, 2)}`,
    );
    if (f.histogram.length > 0) out.push('  latency histogram (pooled pass):', ...formatHistogram(f.histogram).map((l) => '  ' + l));
  }
  if (comparison !== null) out.push('', ...formatComparison(comparison, false));
  return out.join('\n') + '\n';
}

/** A self-contained markdown section (for $GITHUB_STEP_SUMMARY and the like). */
export function formatBenchMarkdown(r: BenchReport, gates: readonly GateResult[], comparison: Comparison | null): string {
  const out: string[] = [`### sweep bench (${r.mode}), ${r.createdAt}`, '', describe(r) + '.', ''];
  if (r.latency !== null) {
    out.push(`**Latency-bound**: N URLs answering after ${r.latency.delayMs} ms, sequential vs pooled.`, '', ...mdTable(LATENCY_HEADER, latencyRows(r)), '');
  }
  if (r.throughput !== null) {
    const t = r.throughput;
    out.push(
      `**Throughput-bound**: ${num(t.count)} zero-delay URLs at -c ${t.concurrency}.`,
      '',
      ...mdTable(
        ['requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'CPU ms / 1k req', 'error rate', 'peak RSS MiB'],
        [[med(t.requestsPerSec, 0), med(t.latencyMs.p50, 2), med(t.latencyMs.p90, 2), med(t.latencyMs.p99, 2), med(t.latencyMs.max, 2), med(t.cpuMsPer1k, 1), pct(t.errorRate.median), num(r.peakRssMiB, 1)]],
      ),
      '',
    );
  }
  if (r.file !== null) {
    const f = r.file;
    out.push(
      `**Real targets** (\`${f.file}\`): ${num(f.sequential.urls)} URLs sequentially, ${num(f.pooled.urls)} pooled at -c ${f.pooled.concurrency}: ` +
        `${num(f.sequential.perUrlMs, 2)} vs ${num(f.pooled.perUrlMs, 2)} ms per URL, speedup ${num(f.speedup, 1)}x (ideal ${f.idealSpeedup}x), ` +
        `p99 ${num(f.pooled.latencyMs.p99, 2)} ms, ${num(f.pooled.failed)} failed.`,
      '',
    );
  }
  const g = formatGatesMarkdown(gates);
  if (g.length > 0) out.push(...g, '');
  if (comparison !== null) out.push(...formatComparison(comparison, true), '');
  return out.join('\n') + '\n';
}
