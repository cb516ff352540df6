// `sweep bench`: the pool against a sequential baseline, on the embedded loopback testbed (no
// arguments) or on the user's own URL list; table on stderr, --json / --markdown for CI,
// --fail-on gates and --compare against an earlier report.

import { constants } from 'node:fs';
import { access, appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { arch, cpus, platform, totalmem } from 'node:os';
import { buildConfig, type CrawlConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { evaluateGates, formatGateResults, type Gate } from '../gates.js';
import { startTestbedProcess } from '../testbed-thread.js';
import { VERSION } from '../version.js';
export { BENCH_DEFAULTS } from './defaults.js';
import { asBenchReport, compareReports, type Comparison } from './compare.js';
import { formatBenchMarkdown, formatBenchText } from './format.js';
import { BENCH_SCHEMA, round, type BenchReport, type FileScenario, type LatencyScenario, type ThroughputScenario } from './report-types.js';
import { exitCodeOf, forwardProcessSignals } from '../run/interrupts.js';
import { benchInterrupts, fileScenario, interruption, Interrupted, latencyScenario, throughputScenario } from './scenarios.js';

export interface BenchOptions {
  /** A URL list of real targets; null runs the embedded testbed scenarios. */
  file: string | null;
  runs: number;
  warmup: boolean;
  delayMs: number;
  sizes: number[];
  count: number;
  concurrency: number;
  baselineSample: number;
  timeoutMs: number;
  json: string | null;
  markdown: string | null;
  failOn: Gate[];
  compare: string | null;
  /** A fraction: 0.1 for 10%. */
  maxRegression: number;
}

function machine(): BenchReport['machine'] {
  const list = cpus();
  return {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
  };
}

export function makeReport(
  settings: BenchReport['settings'],
  parts: { latency?: LatencyScenario | null; throughput?: ThroughputScenario | null; file?: FileScenario | null },
): BenchReport {
  const latency = parts.latency ?? null;
  const throughput = parts.throughput ?? null;
  const file = parts.file ?? null;
  // Speedup and efficiency of the largest N: the headline row, and the one most sensitive to
  // what the pool costs per request.
  const headline = latency?.rows.reduce((a, b) => (b.n > a.n ? b : a));
  const metrics: BenchReport['metrics'] = file
    ? {
        rps: file.pooled.requestsPerSec,
        p50: file.pooled.latencyMs.p50,
        p90: file.pooled.latencyMs.p90,
        p99: file.pooled.latencyMs.p99,
        max: file.pooled.latencyMs.max,
        error_rate: file.pooled.errorRate,
        failed: file.pooled.failed,
        speedup: file.speedup,
        efficiency: file.efficiency,
      }
    : {
        rps: throughput?.requestsPerSec.median ?? null,
        p50: throughput?.latencyMs.p50.median ?? null,
        p90: throughput?.latencyMs.p90.median ?? null,
        p99: throughput?.latencyMs.p99.median ?? null,
        max: throughput?.latencyMs.max.median ?? null,
        error_rate: throughput?.errorRate.median ?? null,
        failed: throughput?.failed.median ?? null,
        speedup: headline?.speedup.median ?? null,
        efficiency: headline?.efficiency.median ?? null,
      };
  return {
    schema: BENCH_SCHEMA,
    sweepVersion: VERSION,
    createdAt: new Date().toISOString(),
    mode: file ? 'file' : 'testbed',
    machine: machine(),
    settings,
    latency,
    throughput,
    file,
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    metrics,
  };
}

async function readPrevious(path: string): Promise<BenchReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--compare: cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`--compare: '${path}' is not JSON`);
  }
  return asBenchReport(doc, path);
}

/** Fails before measuring when an output file could not be written at the end. */
async function checkWritable(option: string, path: string): Promise<void> {
  try {
    const existing = await stat(path).catch(() => null);
    if (existing?.isDirectory()) throw new UsageError(`${option}: '${path}' is a directory`);
    await access(existing ? path : dirname(path), constants.W_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${option}: cannot write '${path}': ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : String(code)}`);
  }
}

/** Runs the bench and returns the exit code: 0, 1 (a gate failed or a regression), 130 / 143. */
export async function bench(o: BenchOptions): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`sweep bench: ${line}\n`);
  // Read what can be wrong before spending a minute measuring.
  const previous = o.compare === null ? null : await readPrevious(o.compare);
  if (o.json !== null) await checkWritable('--json', o.json);
  if (o.markdown !== null) await checkWritable('--markdown', o.markdown);
  if (o.file !== null) {
    if (o.file === '-') throw new UsageError('sweep bench FILE needs a file, not stdin: it reads the list twice (sample, then all)');
    const { checkInputs } = await import('../input.js');
    await checkInputs([o.file]);
  }
  const cfg: CrawlConfig = buildConfig([], { concurrency: o.concurrency, timeout: o.timeoutMs, quiet: true, progress: false });
  const settings: BenchReport['settings'] = {
    runs: o.file === null ? o.runs : 1,
    warmup: o.file === null && o.warmup,
    delayMs: o.file === null ? o.delayMs : null,
    sizes: o.file === null ? o.sizes : null,
    count: o.file === null ? o.count : null,
    concurrency: o.concurrency,
    baselineSample: o.file === null ? null : o.baselineSample,
    timeoutMs: o.timeoutMs,
  };

  const stopForwarding = forwardProcessSignals(benchInterrupts, (signal) => {
    interruption.exitCode ||= exitCodeOf(signal);
  });
  let report: BenchReport;
  try {
    if (o.file !== null) {
      process.stderr.write(`sweep bench: warning: this sends real load to the hosts in ${o.file} (${o.baselineSample} URLs one by one, then the whole list at -c ${o.concurrency})\n`);
      report = makeReport(settings, { file: await fileScenario(o.file, cfg, o.baselineSample, log) });
    } else {
      const tb = await startTestbedProcess();
      try {
        log(`testbed at ${tb.url} (a separate process)`);
        const latency = await latencyScenario(tb, cfg, { sizes: o.sizes, delayMs: o.delayMs, runs: o.runs, warmup: o.warmup }, log);
        const throughput = await throughputScenario(tb, cfg, { count: o.count, concurrency: o.concurrency, runs: o.runs, warmup: o.warmup }, log);
        report = makeReport(settings, { latency, throughput });
      } finally {
        await tb.close();
      }
    }
  } catch (err) {
    if (err instanceof Interrupted) {
      log('interrupted: no report');
      return err.exitCode;
    }
    throw err;
  } finally {
    stopForwarding();
  }

  const comparison: Comparison | null = previous === null ? null : compareReports(previous, report, o.maxRegression);
  const gates = evaluateGates(o.failOn, report.metrics);
  process.stderr.write('\n' + formatBenchText(report, comparison));
  let writeFailed = false;
  const write = async (option: string, path: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      writeFailed = true;
      process.stderr.write(`sweep: ${option}: cannot write '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    }
  };
  if (o.json !== null) await write('--json', o.json, () => writeFile(o.json!, JSON.stringify(report, null, 2) + '\n'));
  if (o.markdown !== null) await write('--markdown', o.markdown, () => appendFile(o.markdown!, formatBenchMarkdown(report, gates, comparison) + '\n'));
  process.stderr.write(formatGateResults(gates));
  const gateFailed = gates.some((g) => g.failed);
  return gateFailed || comparison?.regressed || writeFailed ? 1 : 0;
}
