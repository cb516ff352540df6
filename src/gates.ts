// `--fail-on` gates for CI: "p99>250ms,error_rate>1%" is parsed once at the boundary (a bad
// expression is a usage error before anything is fetched) and evaluated against the run's
// metrics at the end. A gate fails the run when its expression is TRUE. Pure functions.

import { UsageError } from './errors.js';
import type { StatsSnapshot } from './stats.js';

export type Op = '<' | '<=' | '>' | '>=';

/** How a metric's values are written: the suffixes it takes and how they scale. */
type Kind = 'ms' | 'ratio' | 'count' | 'times';

export const METRICS = {
  rps: { kind: 'count', what: 'requests per second' },
  p50: { kind: 'ms', what: 'median latency' },
  p90: { kind: 'ms', what: '90th percentile latency' },
  p99: { kind: 'ms', what: '99th percentile latency' },
  max: { kind: 'ms', what: 'slowest request' },
  error_rate: { kind: 'ratio', what: 'failed / records' },
  failed: { kind: 'count', what: 'failed records' },
  speedup: { kind: 'times', what: 'sequential time / pooled time' },
  efficiency: { kind: 'ratio', what: 'speedup / ideal speedup' },
} as const satisfies Record<string, { kind: Kind; what: string }>;

export type MetricName = keyof typeof METRICS;
export type Metrics = Partial<Record<MetricName, number | null>>;

export const ALL_METRICS = Object.keys(METRICS) as MetricName[];
/** What a plain crawl measures: speedup and efficiency need a sequential baseline (sweep bench). */
export const CRAWL_METRICS: readonly MetricName[] = ['rps', 'p50', 'p90', 'p99', 'max', 'error_rate', 'failed'];

export interface Gate {
  metric: MetricName;
  op: Op;
  /** In the metric's base unit: ms, a 0..1 ratio, a count, a factor. */
  value: number;
  /** The suffix as written ('' when none), to print values the way the user wrote them. */
  suffix: string;
  /** The expression as written (trimmed). */
  text: string;
}

// Spaces and tabs may separate the parts; a line break may not (the gate is echoed on one line).
const EXPR = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(<=|>=|<|>|==?|!=)[ \t]*([+-]?(?:\d+(?:\.\d*)?|\.\d+))[ \t]*([A-Za-z%]*)$/;

/** The expression as typed, quoted for a one-line message: control characters escaped. */
const quote = (text: string): string => JSON.stringify(text);

const SUFFIXES: Record<Kind, Record<string, number>> = {
  ms: { '': 1, ms: 1, s: 1000 },
  ratio: { '': 1, '%': 0.01 },
  count: { '': 1 },
  times: { '': 1, x: 1 },
};

function parseOne(raw: string, allowed: readonly MetricName[]): Gate {
  const text = raw.trim();
  if (text === '') throw new UsageError('Expected "<metric><op><value>", e.g. "p99>250ms"; got an empty expression.');
  const m = EXPR.exec(text);
  if (m === null) throw new UsageError(`Expected "<metric><op><value>" such as "p99>250ms" or "error_rate>1%", got ${quote(text)}.`);
  const [, name, op, number, suffix] = m as unknown as [string, string, string, string, string];
  // Own keys only: `name in METRICS` took 'constructor' or 'toString' for a metric.
  if (!Object.hasOwn(METRICS, name)) {
    throw new UsageError(`unknown metric '${name}' in ${quote(text)} (known: ${allowed.join(', ')})`);
  }
  const metric = name as MetricName;
  if (!allowed.includes(metric)) {
    throw new UsageError(`metric '${metric}' in ${quote(text)} is measured only by \`sweep bench\` (here: ${allowed.join(', ')})`);
  }
  if (op !== '<' && op !== '<=' && op !== '>' && op !== '>=') {
    throw new UsageError(`operator '${op}' in ${quote(text)}: use <, <=, > or >=`);
  }
  const kind = METRICS[metric].kind;
  const unit = suffix.toLowerCase();
  // Own keys only: 'p99>5constructor' looked up Object's constructor and made the value NaN.
  const scale = Object.hasOwn(SUFFIXES[kind], unit) ? SUFFIXES[kind][unit] : undefined;
  if (scale === undefined) {
    const ok = Object.keys(SUFFIXES[kind]).filter((s) => s !== '');
    throw new UsageError(
      `'${suffix}' does not fit ${metric} in ${quote(text)}` + (ok.length > 0 ? ` (write a number, or use ${ok.join(' or ')})` : ' (write a plain number)'),
    );
  }
  const value = Number(number) * scale;
  // 400 digits are a valid decimal, and Infinity: a limit no measure can be compared with.
  if (!Number.isFinite(value)) throw new UsageError(`the value in ${quote(text)} is too large`);
  return { metric, op, value, suffix: unit, text };
}

/**
 * Parses a comma-separated list of gate expressions and appends them to `previous` (the option
 * is repeatable). Throws a UsageError that names the bad part.
 */
export function parseGates(raw: string, allowed: readonly MetricName[] = ALL_METRICS, previous: readonly Gate[] = []): Gate[] {
  return [...previous, ...raw.split(',').map((part) => parseOne(part, allowed))];
}

export interface GateResult {
  gate: Gate;
  /** The measured value, or null when the run could not measure it (counts as a failure). */
  actual: number | null;
  failed: boolean;
}

function holds(actual: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
  }
}

export function evaluateGates(gates: readonly Gate[], metrics: Metrics): GateResult[] {
  return gates.map((gate) => {
    const v = metrics[gate.metric];
    const actual = typeof v === 'number' && Number.isFinite(v) ? v : null;
    return { gate, actual, failed: actual === null || holds(actual, gate.op, gate.value) };
  });
}

const trim = (n: number, digits = 2): string => String(Number(n.toFixed(digits)));

/** A value in the unit the gate was written in. */
function show(gate: Gate, v: number): string {
  switch (gate.suffix) {
    case '%':
      return `${trim(v * 100)}%`;
    case 's':
      return `${trim(v / 1000, 3)} s`;
    case 'x':
      return `${trim(v)}x`;
    default:
      return METRICS[gate.metric].kind === 'ms' ? `${trim(v)} ms` : trim(v, 4);
  }
}

/** One line per failed gate: which one, the value, and by how much it crossed the limit. */
export function describeFailure(r: GateResult): string {
  const { gate, actual } = r;
  if (actual === null) return `gate failed: ${gate.text} (${gate.metric} was not measured in this run)`;
  const diff = Math.abs(actual - gate.value);
  const side = actual >= gate.value ? 'above' : 'below';
  return `gate failed: ${gate.text} (${gate.metric} was ${show(gate, actual)}, ${show(gate, diff)} ${side} the limit ${show(gate, gate.value)})`;
}

/** Lines for stderr: every failed gate, or one line saying all passed. */
export function formatGateResults(results: readonly GateResult[]): string {
  if (results.length === 0) return '';
  const failed = results.filter((r) => r.failed);
  if (failed.length === 0) return `sweep: gates passed: ${results.map((r) => r.gate.text).join(', ')}\n`;
  return failed.map((r) => `sweep: ${describeFailure(r)}\n`).join('');
}

/** The gate metrics of a plain crawl. */
export function crawlMetrics(s: StatsSnapshot): Metrics {
  return {
    rps: s.requestsPerSec,
    p50: s.latencyMs.p50,
    p90: s.latencyMs.p90,
    p99: s.latencyMs.p99,
    max: s.latencyMs.max,
    error_rate: s.records > 0 ? s.failed / s.records : 0,
    failed: s.failed,
  };
}
