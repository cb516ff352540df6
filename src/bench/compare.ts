// `sweep bench --compare previous.json`: this run against an earlier --json report. Throughput
// falling or p99 rising by more than the allowance is a regression (exit 1); the other rows are
// shown for context. Pure.

import { UsageError } from '../errors.js';
import { BENCH_SCHEMA, type BenchReport } from './report-types.js';

/** "10%", "10" (percent) or "0.1%"; returns a fraction (0.1). */
export function parseAllowance(raw: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$/.exec(raw);
  if (m === null) throw new UsageError('Expected a percentage such as 10%.');
  return Number(m[1]) / 100;
}

type Direction = 'higher' | 'lower';

export interface CompareRow {
  label: string;
  previous: number | null;
  current: number | null;
  /** (current - previous) / previous, or null when either is missing or previous is 0. */
  change: number | null;
  better: Direction;
  /** Only throughput and p99 can fail the comparison. */
  gated: boolean;
  regressed: boolean;
}

export interface Comparison {
  allowance: number;
  rows: CompareRow[];
  regressed: boolean;
  /** Notes for the reader, e.g. the two reports were made differently. */
  notes: string[];
}

/** Checks that a parsed JSON document is a bench report this version can read. */
export function asBenchReport(doc: unknown, path: string): BenchReport {
  const d = doc as Partial<BenchReport> | null;
  if (d === null || typeof d !== 'object' || d.schema !== BENCH_SCHEMA || typeof d.metrics !== 'object' || d.metrics === null) {
    throw new UsageError(`--compare: '${path}' is not a sweep bench --json report (expected "schema": "${BENCH_SCHEMA}")`);
  }
  return d as BenchReport;
}

const row = (label: string, previous: number | null | undefined, current: number | null | undefined, better: Direction, gated: boolean, allowance: number): CompareRow => {
  const p = typeof previous === 'number' ? previous : null;
  const c = typeof current === 'number' ? current : null;
  const change = p !== null && c !== null && p !== 0 ? (c - p) / p : null;
  const regressed =
    gated && p !== null && c !== null && (better === 'higher' ? c < p * (1 - allowance) : c > p * (1 + allowance));
  return { label, previous: p, current: c, change, better, gated, regressed };
};

export function compareReports(previous: BenchReport, current: BenchReport, allowance: number): Comparison {
  const pm = previous.metrics;
  const cm = current.metrics;
  const rows = [
    row('requests/s', pm.rps, cm.rps, 'higher', true, allowance),
    row('p50 ms', pm.p50, cm.p50, 'lower', false, allowance),
    row('p99 ms', pm.p99, cm.p99, 'lower', true, allowance),
    row('CPU ms / 1k req', previous.throughput?.cpuMsPer1k.median, current.throughput?.cpuMsPer1k.median, 'lower', false, allowance),
    row('speedup', pm.speedup, cm.speedup, 'higher', false, allowance),
    row('efficiency', pm.efficiency, cm.efficiency, 'higher', false, allowance),
  ];
  const notes: string[] = [];
  if (previous.mode !== current.mode) notes.push(`the previous report is a ${previous.mode} bench, this one a ${current.mode} bench`);
  if (previous.machine.cpus !== current.machine.cpus || previous.machine.node !== current.machine.node) {
    notes.push(`machines differ: previous ${previous.machine.node} on ${previous.machine.cpus} CPUs, now ${current.machine.node} on ${current.machine.cpus}`);
  }
  if (rows.filter((r) => r.gated).every((r) => r.change === null)) notes.push('neither requests/s nor p99 could be compared');
  return { allowance, rows, regressed: rows.some((r) => r.regressed), notes };
}
