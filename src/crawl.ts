// Wires the stages: input -> pool -> fetcher -> record sink + stats, then the summary.
// Owns the run's lifecycle: the Agent, the deadline sweep, signals, EPIPE and the exit code.

import { setMaxListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import type { CrawlConfig } from './config.js';
import { DeadlineQueue } from './deadlines.js';
import type { ErrorCode } from './errors.js';
import { UrlTask, type FetchSettings } from './fetcher.js';
import { readJobs, totalInputBytes, type InputProgress, type Job } from './input.js';
import { taggingConnector } from './keepalive.js';
import { createLogger } from './logger.js';
import { RecordSink } from './output.js';
import { Pool } from './pool.js';
import { startProgress, type ProgressHandle } from './progress.js';
import { skippedRecord, taskRecord, unfetchedRecord } from './record.js';
import type { Politeness } from './polite/politeness.js';
import { needsNetworkDispatcher, waitingRoomSize, wantsPoliteness } from './polite/wants.js';
import { formatSummary, summaryJson } from './report.js';
import { Stats, type StatsSnapshot } from './stats.js';
import type { Target } from './target.js';
import { Agent } from './undici-core.js';


export interface CrawlResult {
  snapshot: StatsSnapshot;
  /** 0 completed; 130 / 143 interrupted by SIGINT / SIGTERM. */
  exitCode: number;
}

export interface CrawlIo {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The record sink as crawl() uses it: RecordSink, or a stand-in that discards (sweep bench). */
export type RecordWriter = Pick<RecordSink, 'write' | 'close' | 'backedUp' | 'onDrain' | 'onBroken' | 'onError'>;

/**
 * Injection points for callers other than the CLI (sweep bench): a job source instead of
 * reading cfg.inputs, and a record sink instead of stdout / -o. Both default to the CLI's.
 */
export interface CrawlSources {
  /** Yields batches of Jobs and keeps `input.linesRead` (and `done`) current. */
  jobs?: (input: InputProgress) => AsyncIterable<Job[]>;
  sink?: RecordWriter;
}

export function createAgent(cfg: CrawlConfig): UndiciAgent {
  const options = agentOptions(cfg);
  // undici's connector, tagging errors of reused sockets (see keepalive.ts). The proxy and
  // --http2/--cacert dispatchers (polite/network.ts) keep undici's plain connector.
  const tls = options.connect as { timeout: number; rejectUnauthorized: boolean };
  return new Agent({ ...options, connect: taggingConnector({ ...tls, maxCachedSessions: 100 }) });
}

export function agentOptions(cfg: CrawlConfig): UndiciAgent.Options {
  return {
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
  };
}

/** What every UrlTask of a run shares: the crawl options, the Agent, the deadline sweep, shutdown. */
export function fetchSettings(cfg: CrawlConfig, dispatcher: Dispatcher, signal: AbortSignal): FetchSettings {
  return {
    dispatcher,
    method: cfg.method,
    headers: cfg.headers as Record<string, string>,
    timeoutMs: cfg.timeoutMs,
    retries: cfg.retries,
    backoff: { baseMs: cfg.retryDelayMs, maxMs: cfg.retryMaxDelayMs },
    maxBody: cfg.maxBody,
    maxRedirects: cfg.maxRedirects,
    deadlines: new DeadlineQueue(cfg.timeoutMs),
    signal,
  };
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
  const stats = new Stats();
  const agent: Dispatcher = needsNetworkDispatcher(cfg)
    ? (await import('./polite/network.js')).buildDispatcher(cfg, agentOptions(cfg))
    : createAgent(cfg);
  // --resume reads the previous records (and cuts a torn tail) before the file is appended to.
  const polite: Politeness | null = wantsPoliteness(cfg) ? await createPoliteness() : null;
  const sink: RecordWriter = sources.sink ?? new RecordSink(cfg.resume ?? cfg.output, cfg.resume !== null);
  const shutdown = new AbortController();
  // Every URL waiting to retry listens for shutdown (and lets go after its wait): many at once is normal.
  setMaxListeners(0, shutdown.signal);
  const settings = fetchSettings(cfg, agent, shutdown.signal);

  async function createPoliteness(): Promise<Politeness> {
    const { Politeness } = await import('./polite/politeness.js');
    return Politeness.create(
      cfg,
      {
        drop: () => pool.release(),
        duplicate(job) {
          sink.write(skippedRecord(job, 'duplicate'));
          pool.release();
        },
        launch: (job) => new UrlTask(job as Job & { target: Target }, settings, onTaskDone).start(),
        refuse: (job, reason) => unfetched(job, 'robots_disallowed', reason),
        resume: () => pool.pump(),
      },
      { dispatcher: agent, headers: cfg.headers as Record<string, string> },
    );
  }

  /** A line that ends without a request: its record, its count, and its pool slot back. */
  const unfetched = (job: Job, code: ErrorCode, message: string): void => {
    sink.write(unfetchedRecord(job, code, message));
    stats.record(false, null, code, 0, 0, NaN);
    pool.release();
  };

  const onTaskDone = (task: UrlTask): void => {
    sink.write(taskRecord(task));
    const error = task.error;
    stats.record(error === null, task.status, error === null ? null : error.code, task.attempts, task.bytes, task.endedAt - task.startedAt);
    if (gated) polite!.finished(task.job);
    pool.release();
  };

  const gate = polite?.gate ?? null;
  const gated = gate !== null;
  if (gate !== null) settings.onThrottle = (origin, status, retryAfter) => gate.throttle(origin, status, retryAfter);
  // With the gate, the pool admits -c plus the waiting room; the gate keeps -c in flight.
  const poolLimit = gate === null ? cfg.concurrency : cfg.concurrency + waitingRoomSize(cfg.concurrency);
  const jobs = sources.jobs ? sources.jobs(input) : readJobs(cfg.inputs, input, io.stdin as never);
  const pool: Pool<Job> = new Pool(jobs, poolLimit, {
    start(job) {
      if (polite !== null && polite.front(job)) return;
      if (job.target === null) {
        unfetched(job, 'invalid_url', job.invalid ?? 'invalid URL');
        return;
      }
      new UrlTask(job as Job & { target: Target }, settings, onTaskDone).start();
    },
    paused: gate === null ? () => sink.backedUp : () => sink.backedUp || gate.full,
  });
  sink.onDrain = () => pool.pump();

  let exitCode = 0;
  let quiet = false;
  /** Jobs the gate holds but never started get an `aborted` record (a resumed run redoes them). */
  const abortParked = (): void => {
    if (gate === null) return;
    for (const job of gate.drainParked()) unfetched(job, 'aborted', 'stopped before it was sent');
  };
  const abortInFlight = (): void => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    void agent.destroy().catch(() => {});
  };
  sink.onBroken = () => {
    // The reader went away (`sweep big.txt | head`): stop quietly, as Unix tools do.
    quiet = true;
    pool.stop();
    abortParked();
    abortInFlight();
  };
  sink.onError = (err) => {
    io.stderr.write(`sweep: cannot write records: ${err.message}\n`);
    exitCode = 1;
    pool.stop();
    abortParked();
    abortInFlight();
  };

  let graceTimer: NodeJS.Timeout | null = null;
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== null) {
      // Second signal: abort what is in flight now.
      abortInFlight();
      return;
    }
    interrupted = signal;
    exitCode = signal === 'SIGINT' ? 130 : 143;
    const graceMs = cfg.graceMs;
    pool.stop();
    // Jobs parked by the host gate hold pool slots but were never sent: record them first, so
    // the count below is of requests really in flight.
    abortParked();
    io.stderr.write(
      `\nsweep: ${signal}: stopped reading input; ${pool.activeCount} requests in flight get ${graceMs} ms to finish (${signal} again aborts them now)\n`,
    );
    // An open pipe on stdin would keep the process alive after the last record.
    if (cfg.inputs.includes('-')) (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    graceTimer = setTimeout(abortInFlight, graceMs);
    graceTimer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const wantProgress = cfg.progress === 'auto' ? io.stderr.isTTY === true : cfg.progress;
  const progress: ProgressHandle | null = wantProgress ? await startProgress(stats, input) : null;

  try {
    await pool.run();
  } finally {
    // The signal handlers stay until the records are out (below): a late Ctrl-C must not kill
    // the process in the middle of a write and tear a line.
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
  const politeSummary = polite?.summary() ?? null;
  // Lines read but never started (after a signal) get no record; the summary counts them.
  // Duplicates, resumed lines and other shards' lines are accounted for by the polite summary.
  const politeLines =
    (politeSummary?.dedupe?.duplicates ?? 0) + (politeSummary?.resume?.skipped ?? 0) + (politeSummary?.shard?.others ?? 0);
  const notStarted = snapshot.linesRead - snapshot.skipped - snapshot.records - politeLines;
  const interruption = interrupted === null ? null : { signal: interrupted, aborted: snapshot.aborted, notStarted };
  if (!cfg.quiet && !quiet) {
    io.stderr.write(formatSummary(snapshot));
    if (politeSummary !== null) io.stderr.write((await import('./polite/politeness.js')).formatPoliteSummary(politeSummary));
    if (interruption !== null) {
      io.stderr.write(
        `  interrupted    by ${interruption.signal}: ${interruption.aborted} requests aborted, ` +
          `${interruption.notStarted} lines read but not started (no record)\n`,
      );
    }
  }
  if (cfg.summaryJson !== null) {
    const document = {
      ...snapshot,
      ...(politeSummary === null ? {} : { polite: politeSummary }),
      interrupted: interruption,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    await writeFile(cfg.summaryJson, summaryJson(document));
  }
  logger.info({ records: snapshot.records, elapsedMs: snapshot.elapsedMs }, 'crawl finished');
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return { snapshot, exitCode };
}
