// Wires the stages: input -> pool -> fetcher -> record sink + stats, then the summary.
// Owns the run's lifecycle: the Agent, the deadline sweep, signals, EPIPE and the exit code.

import { setMaxListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent } from 'undici';
import type { CrawlConfig } from './config.js';
import { DeadlineQueue } from './deadlines.js';
import { UrlTask, type FetchSettings } from './fetcher.js';
import { readJobs, totalInputBytes, type InputProgress, type Job } from './input.js';
import { createLogger } from './logger.js';
import { RecordSink } from './output.js';
import { Pool } from './pool.js';
import { startProgress, type ProgressHandle } from './progress.js';
import { taskRecord, unfetchedRecord } from './record.js';
import { formatSummary, summaryJson } from './report.js';
import { Stats, type StatsSnapshot } from './stats.js';
import type { Target } from './target.js';

// undici's index loads fetch, WebSocket, caches, mocks...: ~70 ms of start-up on a loaded box,
// when the Agent alone (~20 ms) is what a crawl uses. undici has no "exports" map, so the file
// path is public; the crawl tests fail loudly if a release moves it.
const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

export interface CrawlResult {
  snapshot: StatsSnapshot;
  /** 0 completed; 130 / 143 interrupted by SIGINT / SIGTERM. */
  exitCode: number;
}

export interface CrawlIo {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createAgent(cfg: CrawlConfig): UndiciAgent {
  return new Agent({
    // At least as many sockets per origin as requests in flight, so a one-host list reaches
    // full concurrency; keep-alive reuses them.
    connections: cfg.concurrency,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    // Idle timeouts as a cheap backstop; the per-attempt total is the DeadlineQueue's.
    headersTimeout: cfg.timeoutMs,
    bodyTimeout: cfg.timeoutMs,
    connect: { timeout: cfg.timeoutMs, rejectUnauthorized: !cfg.insecure },
  });
}

export async function crawl(cfg: CrawlConfig, io: CrawlIo = { stdin: process.stdin, stderr: process.stderr }): Promise<CrawlResult> {
  const logger = createLogger(cfg.logLevel);
  if (cfg.insecure) io.stderr.write('sweep: warning: --insecure: TLS certificates are not verified\n');
  logger.info({ inputs: cfg.inputs, concurrency: cfg.concurrency, timeoutMs: cfg.timeoutMs }, 'crawl started');

  const input: InputProgress = {
    bytesRead: 0,
    bytesTotal: await totalInputBytes(cfg.inputs),
    linesRead: 0,
    skipped: 0,
    done: false,
  };
  const stats = new Stats();
  const sink = new RecordSink(cfg.output);
  const agent = createAgent(cfg);
  const shutdown = new AbortController();
  // Every URL waiting to retry listens for shutdown (and lets go after its wait): many at once is normal.
  setMaxListeners(0, shutdown.signal);
  const settings: FetchSettings = {
    dispatcher: agent,
    method: cfg.method,
    headers: cfg.headers as Record<string, string>,
    timeoutMs: cfg.timeoutMs,
    retries: cfg.retries,
    backoff: { baseMs: cfg.retryDelayMs, maxMs: cfg.retryMaxDelayMs },
    maxBody: cfg.maxBody,
    maxRedirects: cfg.maxRedirects,
    deadlines: new DeadlineQueue(cfg.timeoutMs),
    signal: shutdown.signal,
  };

  const onTaskDone = (task: UrlTask): void => {
    sink.write(taskRecord(task));
    const error = task.error;
    stats.record(error === null, task.status, error === null ? null : error.code, task.attempts, task.bytes, task.endedAt - task.startedAt);
    pool.release();
  };

  const pool: Pool<Job> = new Pool(readJobs(cfg.inputs, input, io.stdin as never), cfg.concurrency, {
    start(job) {
      if (job.target === null) {
        sink.write(unfetchedRecord(job, 'invalid_url', job.invalid ?? 'invalid URL'));
        stats.record(false, null, 'invalid_url', 0, 0, NaN);
        pool.release();
        return;
      }
      new UrlTask(job as Job & { target: Target }, settings, onTaskDone).start();
    },
    paused: () => sink.backedUp,
  });
  sink.onDrain = () => pool.pump();

  let exitCode = 0;
  let quiet = false;
  const abortInFlight = (): void => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    void agent.destroy().catch(() => {});
  };
  sink.onBroken = () => {
    // The reader went away (`sweep big.txt | head`): stop quietly, as Unix tools do.
    quiet = true;
    pool.stop();
    abortInFlight();
  };
  sink.onError = (err) => {
    io.stderr.write(`sweep: cannot write records: ${err.message}\n`);
    exitCode = 1;
    pool.stop();
    abortInFlight();
  };

  let graceTimer: NodeJS.Timeout | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (exitCode === code || exitCode === 130 || exitCode === 143) {
      // Second signal: abort what is in flight now.
      abortInFlight();
      return;
    }
    exitCode = code;
    io.stderr.write(`\nsweep: ${signal}: finishing ${pool.activeCount} requests in flight (again to abort)\n`);
    pool.stop();
    graceTimer = setTimeout(abortInFlight, 5_000);
    graceTimer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const wantProgress = cfg.progress === 'auto' ? io.stderr.isTTY === true : cfg.progress;
  const progress: ProgressHandle | null = wantProgress ? await startProgress(stats, input) : null;

  try {
    await pool.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (graceTimer !== null) clearTimeout(graceTimer);
    settings.deadlines.stop();
    stats.end();
    progress?.stop();
    await sink.close();
    // Every request has ended; idle keep-alive sockets are unref'd by undici, so close() could
    // still be pending when the loop empties. destroy() ends them now.
    if (!shutdown.signal.aborted) await agent.destroy();
  }

  const snapshot = stats.snapshot(input, cfg.concurrency);
  if (!cfg.quiet && !quiet) io.stderr.write(formatSummary(snapshot));
  if (cfg.summaryJson !== null) await writeFile(cfg.summaryJson, summaryJson(snapshot));
  logger.info({ records: snapshot.records, elapsedMs: snapshot.elapsedMs }, 'crawl finished');
  return { snapshot, exitCode };
}
