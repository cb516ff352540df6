// The local crawl: input files / stdin as the job source, stdout or -o (or --resume's file) as
// the sink, and the run core (run/core.ts) in between. Everything else a run does lives there.

import type { CrawlConfig } from './config.js';
import type { ExchangeTap } from './exchange.js';
import { readJobs, totalInputBytes, type InputProgress, type Job } from './input.js';
import { createLogger } from './logger.js';
import { RecordSink } from './output.js';
import { Run, type RunOutcome } from './run/core.js';
import type { Interrupts, StopSignal } from './run/interrupts.js';
import { lineSink, type LineWriter } from './run/line-sink.js';
import { reportOutcome } from './run/summary.js';
import type { StatsSnapshot } from './stats.js';

export interface CrawlResult {
  snapshot: StatsSnapshot;
  /** 0 completed; 1 the records could not be written; 130 / 143 interrupted by SIGINT / SIGTERM. */
  exitCode: number;
}

export interface CrawlIo {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The record writer as crawl() uses it: RecordSink, or a stand-in that discards (sweep bench). */
export type RecordWriter = LineWriter;

/**
 * Injection points for callers other than the CLI (sweep bench): a job source instead of
 * reading cfg.inputs, a record sink instead of stdout / -o, and what stops the run (the CLI
 * forwards SIGINT / SIGTERM; without it nothing but the end of the input stops the run).
 */
export interface CrawlSources {
  /** Yields batches of Jobs and keeps `input.linesRead` (and `done`) current. */
  jobs?: (input: InputProgress) => AsyncIterable<Job[]>;
  sink?: RecordWriter;
  interrupts?: Interrupts;
  /** Observers of every exchange (src/exchange.ts). */
  taps?: readonly ExchangeTap[];
}

export async function crawl(cfg: CrawlConfig, io: CrawlIo = { stdin: process.stdin, stderr: process.stderr }, sources: CrawlSources = {}): Promise<CrawlResult> {
  const logger = createLogger(cfg.logLevel);
  if (cfg.insecure) io.stderr.write('sweep: warning: --insecure: TLS certificates are not verified\n');
  // Headers go to the log at debug only; pino redacts Authorization, Cookie and Proxy-Authorization.
  logger.info({ inputs: cfg.inputs, concurrency: cfg.concurrency, timeoutMs: cfg.timeoutMs }, 'crawl started');
  logger.debug({ headers: cfg.headers, method: cfg.method }, 'request settings');

  const input: InputProgress = {
    bytesRead: 0,
    bytesTotal: sources.jobs ? null : await totalInputBytes(cfg.inputs),
    linesRead: 0,
    skipped: 0,
    done: false,
  };
  const readsStdin = sources.jobs === undefined && cfg.inputs.includes('-');
  // --resume: read the previous records (cutting a torn tail) before the file is appended to.
  const resume = cfg.resume === null ? null : await (await import('./polite/resume.js')).scanResume(cfg.resume);
  const writer: RecordWriter = sources.sink ?? new RecordSink(cfg.resume ?? cfg.output, cfg.resume !== null);
  const run = await Run.create({
    cfg,
    stderr: io.stderr,
    input,
    jobs: sources.jobs ? sources.jobs(input) : readJobs(cfg.inputs, input, io.stdin as never),
    sink: lineSink(writer),
    resume,
    interrupts: sources.interrupts,
    taps: sources.taps,
    parkedAtStop: 'record',
    stopMessage(signal: StopSignal, inFlight: number, graceMs: number): string {
      // An open pipe on stdin would keep the process alive after the last record.
      if (readsStdin) (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return `\nsweep: ${signal}: stopped reading input; ${inFlight} requests in flight get ${graceMs} ms to finish (${signal} again aborts them now)\n`;
    },
  });
  const outcome: RunOutcome = await run.execute();
  await reportOutcome(cfg, outcome, io.stderr);
  logger.info({ records: outcome.snapshot.records, elapsedMs: outcome.snapshot.elapsedMs }, 'crawl finished');
  return { snapshot: outcome.snapshot, exitCode: outcome.exitCode };
}
