// `sweep work`: one worker of a distributed crawl. The same stages as a local crawl (Pool,
// UrlTask over the same undici Agent and DeadlineQueue, record.ts, Stats, the summary), with the
// consumer group as the job source and Redis as the record sink:
//
//   queueJobs (source.ts) -> Pool -> UrlTask -> Completer (records + XACK, atomically)
//                                            └-> Stats, and the -o file for records this worker wrote
//
// Delivery is at least once: an entry is acknowledged only with its record, so a worker that dies
// leaves its entries pending and another one reclaims them after --claim-idle ms. The results
// stream still gets one record per entry: the first acknowledgement wins (see COMPLETE).

import { hostname } from 'node:os';
import { setMaxListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { CrawlConfig } from '../config.js';
import { createAgent, fetchSettings } from '../crawl.js';
import { UrlTask } from '../fetcher.js';
import type { InputProgress, Job } from '../input.js';
import { createLogger } from '../logger.js';
import { RecordSink } from '../output.js';
import { Pool } from '../pool.js';
import type { RemoteLimits } from '../polite/host-gate.js';
import type { Politeness } from '../polite/politeness.js';
import { waitingRoomSize, wantsGate } from '../polite/wants.js';
import { taskRecord, unfetchedRecord } from '../record.js';
import { formatSummary, summaryJson } from '../report.js';
import { Stats, type StatsSnapshot } from '../stats.js';
import type { Target } from '../target.js';
import { Completer } from './completer.js';
import { HostRates } from './host-rate.js';
import { GlobalRate } from './rate.js';
import { connect, duplicate, ensureGroup, GROUP, queueKeys } from './redis.js';
import { queueJobs, type QueuedJob, type SourceCounters } from './source.js';

export interface WorkOptions {
  redis: string;
  queue: string;
  /** Consumer name in the group; the same name after a restart resumes its own pending entries. */
  consumer: string | null;
  claimIdleMs: number;
  /** Keep waiting for new entries instead of ending when the queue is finished. */
  follow: boolean;
  /** Global requests (URLs started) per second across all workers of the queue; null: unlimited. */
  rate: number | null;
  /** Requests started per second to one origin across all workers of the queue; null: unlimited. */
  perHostRate: number | null;
}

export interface WorkResult {
  snapshot: StatsSnapshot;
  exitCode: number;
}

const HEARTBEAT_MS = 1_000;

export function defaultConsumer(): string {
  return `${hostname()}-${process.pid}`;
}

export async function work(cfg: CrawlConfig, w: WorkOptions, stderr: NodeJS.WritableStream = process.stderr): Promise<WorkResult> {
  const logger = createLogger(cfg.logLevel);
  const keys = queueKeys(w.queue);
  const consumer = w.consumer ?? defaultConsumer();
  const writer = await connect(w.redis);
  const reader = duplicate(writer);
  await reader.connect();
  await ensureGroup(writer, keys);
  if (cfg.insecure) stderr.write('sweep: warning: --insecure: TLS certificates are not verified\n');
  logger.info({ queue: w.queue, consumer, concurrency: cfg.concurrency }, 'worker started');

  const stats = new Stats();
  const counters: SourceCounters = { read: 0, reclaimed: 0, resumed: 0 };
  const agent = createAgent(cfg);
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal);
  const settings = fetchSettings(cfg, agent, shutdown.signal);
  const file = cfg.output === null ? null : new RecordSink(cfg.output);
  const completer = new Completer(writer, keys, file);
  const rate = w.rate === null ? null : new GlobalRate(writer, keys, w.rate, cfg.concurrency);
  // --per-host and --robots are per worker (in-flight limits and robots.txt are about this
  // process's connections); the rates are Redis's, so the local gate gets none of its own.
  const gateCfg: CrawlConfig = { ...cfg, rate: null, perHostRate: null };
  const hostRates = w.perHostRate === null ? null : new HostRates(writer, keys, w.perHostRate);
  const polite: Politeness | null = wantsGate(gateCfg) || hostRates !== null ? await createPoliteness() : null;
  const gate = polite?.gate ?? null;
  if (gate !== null) settings.onThrottle = (origin, status, retryAfter) => gate.throttle(origin, status, retryAfter);
  /** Entries held (started, or parked by the host gate) and not yet handed to the completer, to keep them from looking abandoned. */
  const inFlight = new Set<string>();

  let stopping = false;
  let exitCode = 0;
  /** Entries the gate parked but never started: no record; they go to another worker after --claim-idle. */
  const releaseParked = (): void => {
    if (gate === null) return;
    for (const job of gate.drainParked()) {
      inFlight.delete((job as QueuedJob).entryId);
      pool.release();
    }
  };
  const abortInFlight = (): void => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    void agent.destroy().catch(() => {});
  };
  const fail = (what: string, err: Error): void => {
    if (exitCode === 1) return;
    stderr.write(`sweep: ${what}: ${err.message}\n`);
    exitCode = 1;
    stopping = true;
    pool.stop();
    releaseParked();
    abortInFlight();
  };

  const onTaskDone = (task: UrlTask): void => {
    const job = task.job as QueuedJob;
    inFlight.delete(job.entryId);
    const error = task.error;
    completer.add(job.entryId, job.line, error === null, taskRecord(task));
    stats.record(error === null, task.status, error === null ? null : error.code, task.attempts, task.bytes, task.endedAt - task.startedAt);
    if (gate !== null) polite!.finished(task.job);
    pool.release();
  };

  async function createPoliteness(): Promise<Politeness> {
    const { Politeness } = await import('../polite/politeness.js');
    // The global --rate, when set, is asked at each start the gate makes (not when the pool
    // admits a job), so jobs parked for a host cannot burst past it later.
    // --per-host-rate: the host's jobs stay parked in the gate until Redis grants a start.
    const remote: RemoteLimits | undefined =
      rate === null && hostRates === null
        ? undefined
        : {
            globalReady: rate === null ? () => true : () => rate.ready,
            hostWait: hostRates === null ? () => 0 : (origin, now) => hostRates.wait(origin, now),
            started(origin) {
              rate?.take();
              hostRates?.take(origin);
            },
          };
    return Politeness.create(
      gateCfg,
      {
        drop: () => pool.release(),
        duplicate: () => pool.release(),
        launch: (job) => new UrlTask(job as QueuedJob & { target: Target }, settings, onTaskDone).start(),
        refuse(job, reason) {
          const entryId = (job as QueuedJob).entryId;
          inFlight.delete(entryId);
          completer.add(entryId, job.line, false, unfetchedRecord(job, 'robots_disallowed', reason));
          stats.record(false, null, 'robots_disallowed', 0, 0, NaN);
          pool.release();
        },
        resume: () => pool.pump(),
      },
      { dispatcher: agent, headers: cfg.headers as Record<string, string> },
      remote,
    );
  }

  // Entries read wait in the batch until they start; under a --rate they must not wait so long
  // that they look abandoned (idle past --claim-idle) and get crawled twice.
  let batch = Math.max(50, Math.min(1_000, cfg.concurrency * 2));
  if (w.rate !== null) batch = Math.max(1, Math.min(batch, Math.floor((w.rate * w.claimIdleMs) / 4_000)));
  // Likewise under --per-host-rate: a list of one host drips at that rate.
  if (w.perHostRate !== null) batch = Math.max(1, Math.min(batch, Math.floor((w.perHostRate * w.claimIdleMs) / 4_000)));
  const source = queueJobs(reader, keys, { consumer, batch, claimIdleMs: w.claimIdleMs, follow: w.follow, blockMs: 1_000 }, counters, () => stopping);
  // With the gate, the pool admits -c plus the waiting room; the gate keeps -c in flight.
  const poolLimit = gate === null ? cfg.concurrency : cfg.concurrency + waitingRoomSize(cfg.concurrency);
  const pool: Pool<Job> = new Pool(source, poolLimit, {
    start(job) {
      const queued = job as QueuedJob;
      inFlight.add(queued.entryId);
      if (polite !== null && polite.front(job)) return;
      rate?.take();
      new UrlTask(queued as QueuedJob & { target: Target }, settings, onTaskDone).start();
    },
    paused: gate === null ? () => completer.backedUp || (rate !== null && !rate.ready) : () => completer.backedUp || gate.full,
  });
  completer.onConfirmed = () => pool.pump();
  completer.onError = (err) => fail('cannot write results to Redis', err);
  if (rate !== null) {
    rate.onTokens = gate === null ? () => pool.pump() : () => gate.pump();
    rate.onError = (err) => fail('cannot take rate tokens from Redis', err);
  }
  if (hostRates !== null) {
    hostRates.onSlot = (origin) => gate!.wake(origin);
    hostRates.onError = (err) => fail('cannot reserve per-host start times in Redis', err);
  }
  if (file !== null) {
    file.onDrain = () => pool.pump();
    file.onError = (err) => fail('cannot write records', err);
  }

  // Heartbeat for `sweep status`, and a touch of the entries in flight (XCLAIM to ourselves
  // resets their idle time) so slow requests of a live worker are not reclaimed as abandoned.
  let lastRecords = 0;
  let lastAt = performance.now();
  let lastTouch = Date.now();
  const beat = (): void => {
    const now = performance.now();
    const rps = ((stats.records - lastRecords) * 1000) / Math.max(1, now - lastAt);
    lastRecords = stats.records;
    lastAt = now;
    const info = { rps: Math.round(rps), done: stats.records, inFlight: pool.activeCount, at: Date.now() };
    void writer.hset(keys.workers, consumer, JSON.stringify(info)).catch(() => {});
    if (inFlight.size > 0 && Date.now() - lastTouch >= w.claimIdleMs / 3) {
      lastTouch = Date.now();
      void writer.xclaim(keys.jobs, GROUP, consumer, 0, ...inFlight, 'JUSTID').catch(() => {});
    }
  };
  const heartbeat = setInterval(beat, Math.min(HEARTBEAT_MS, Math.max(50, w.claimIdleMs / 3)));
  beat();

  let graceTimer: NodeJS.Timeout | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (exitCode === 130 || exitCode === 143) {
      abortInFlight();
      return;
    }
    exitCode = code;
    stderr.write(`\nsweep: ${signal}: finishing ${pool.activeCount} requests in flight (again to abort); entries it read but did not start go to another worker after --claim-idle\n`);
    stopping = true;
    pool.stop();
    releaseParked();
    graceTimer = setTimeout(abortInFlight, 5_000);
    graceTimer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await pool.run();
  } catch (err) {
    fail('cannot read jobs from Redis', err as Error);
  } finally {
    stopping = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (graceTimer !== null) clearTimeout(graceTimer);
    clearInterval(heartbeat);
    rate?.close();
    hostRates?.close();
    settings.deadlines.stop();
    stats.end();
    await completer.drain();
    await file?.close();
    await writer.hdel(keys.workers, consumer).catch(() => {});
    reader.disconnect();
    writer.disconnect();
    if (!shutdown.signal.aborted) await agent.destroy();
  }

  const input: InputProgress = { bytesRead: 0, bytesTotal: null, linesRead: counters.read, skipped: 0, done: true };
  const snapshot = stats.snapshot(input, cfg.concurrency);
  if (!cfg.quiet) {
    stderr.write(formatSummary(snapshot));
    if (polite !== null) stderr.write((await import('../polite/politeness.js')).formatPoliteSummary(polite.summary()));
    if (w.perHostRate !== null) stderr.write(`  per-host rate  at most ${w.perHostRate}/s to each origin across all workers of the queue (in Redis)\n`);
    stderr.write(
      `worker ${consumer}: ${completer.written} records written to queue '${w.queue}'` +
        `, ${counters.reclaimed} entries reclaimed from other workers, ${counters.resumed} resumed` +
        `, ${completer.duplicates} already done elsewhere\n`,
    );
  }
  if (cfg.summaryJson !== null) {
    const document = polite === null ? snapshot : { ...snapshot, polite: polite.summary() };
    await writeFile(cfg.summaryJson, summaryJson(document));
  }
  logger.info({ records: snapshot.records, elapsedMs: snapshot.elapsedMs }, 'worker finished');
  return { snapshot, exitCode };
}
