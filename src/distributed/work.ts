// `sweep work`: one worker of a distributed crawl. The run core (run/core.ts) with the consumer
// group as the job source and Redis as the sink:
//
//   queueJobs (source.ts) -> Run -> Completer (records + XACK, atomically), and the -o file
//
// Delivery is at least once: an entry is acknowledged only with its record, so a worker that dies
// leaves its entries pending and another one reclaims them after --claim-idle ms. The results
// stream still gets one record per entry: the first acknowledgement wins (see COMPLETE).
// What is the worker's own: the Redis rate limits and host pauses, the heartbeat for `sweep
// status`, and keeping the entries it holds from looking abandoned.

import { hostname } from 'node:os';
import { runHeaders, type CrawlConfig } from '../config.js';
import type { InputProgress, Job } from '../input.js';
import { createLogger } from '../logger.js';
import { RecordSink } from '../output.js';
import type { RedisLinks } from '../follow/redis-links.js';
import type { RemoteLimits } from '../polite/host-gate.js';
import { wantsGate } from '../polite/wants.js';
import { Run, type RunSink, type SinkEvents } from '../run/core.js';
import type { Interrupts, StopSignal } from '../run/interrupts.js';
import { reportOutcome } from '../run/summary.js';
import type { StatsSnapshot } from '../stats.js';
import { Completer } from './completer.js';
import { SharedPauses } from './host-pauses.js';
import { HostRates } from './host-rate.js';
import { GlobalRate } from './rate.js';
import { connect, duplicate, ensureGroup, GROUP, queueKeys, type QueueKeys, type SweepRedis } from './redis.js';
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
  /** An entry delivered this many times without being finished becomes a dead letter. */
  maxDeliveries: number;
}

export interface WorkResult {
  snapshot: StatsSnapshot;
  exitCode: number;
}

const HEARTBEAT_MS = 1_000;

export function defaultConsumer(): string {
  return `${hostname()}-${process.pid}`;
}

/** Records go to Redis with their entry's acknowledgement; entries held are tracked for XCLAIM touches. */
class QueueSink implements RunSink {
  /** Entries held (started, or parked by the host gate) and not yet handed to the completer. */
  readonly held = new Set<string>();
  readonly completer: Completer;
  readonly #file: RecordSink | null;

  readonly #onStart: (() => void) | null;
  readonly #links: RedisLinks | null;

  /**
   * `onStart`: called as each job starts (takes a global rate token when no host gate does).
   * `links`: a recursive crawl's links, handed to Redis with the record of the page they came from.
   */
  constructor(writer: SweepRedis, keys: QueueKeys, file: RecordSink | null, onStart: (() => void) | null, links: RedisLinks | null) {
    this.#file = file;
    this.#onStart = onStart;
    this.#links = links;
    this.completer = new Completer(writer, keys, file);
  }

  started(job: Job): void {
    this.held.add((job as QueuedJob).entryId);
    this.#onStart?.();
  }

  write(job: Job, record: string, ok: boolean): void {
    const entryId = (job as QueuedJob).entryId;
    this.held.delete(entryId);
    this.completer.add(entryId, job.line, ok, record, this.#links === null ? '' : this.#links.take(job));
  }

  /** Parked entries of a stopping worker: no record; another worker takes them after --claim-idle. */
  release(job: Job): void {
    this.held.delete((job as QueuedJob).entryId);
  }

  get backedUp(): boolean {
    return this.completer.backedUp;
  }

  attach(events: SinkEvents): void {
    this.completer.onConfirmed = events.drain;
    this.completer.onError = (err) => events.error('cannot write results to Redis', err);
    if (this.#file !== null) {
      this.#file.onDrain = events.drain;
      this.#file.onError = (err) => events.error('cannot write records', err);
    }
  }

  async close(): Promise<void> {
    await this.completer.drain();
    await this.#file?.close();
  }
}

export async function work(
  given: CrawlConfig,
  w: WorkOptions,
  stderr: NodeJS.WritableStream = process.stderr,
  interrupts?: Interrupts,
): Promise<WorkResult> {
  const logger = createLogger(given.logLevel);
  const keys = queueKeys(w.queue);
  const consumer = w.consumer ?? defaultConsumer();
  const writer = await connect(w.redis);
  const reader = duplicate(writer);
  await reader.connect();
  await ensureGroup(writer, keys);
  // A recursive crawl: the rules are the queue's (sweep enqueue --depth), the same for every worker.
  const followJson = await writer.hget(keys.meta, 'follow');
  const follow = followJson === null ? null : (await import('../follow/redis-links.js')).followFromJson(followJson);
  const cfg: CrawlConfig = { ...given, follow, headers: runHeaders(given.headers, follow) };
  const links = follow === null ? null : new (await import('../follow/redis-links.js')).RedisLinks(follow, cfg.robots);
  if (cfg.insecure) stderr.write('sweep: warning: --insecure: TLS certificates are not verified\n');
  logger.info({ queue: w.queue, consumer, concurrency: cfg.concurrency }, 'worker started');

  const counters: SourceCounters = { reclaimed: 0, resumed: 0, dead: 0 };
  const input: InputProgress = { bytesRead: 0, bytesTotal: null, linesRead: 0, skipped: 0, done: false };
  const rate = w.rate === null ? null : new GlobalRate(writer, keys, w.rate, cfg.concurrency);
  const hostRates = w.perHostRate === null ? null : new HostRates(writer, keys, w.perHostRate);
  // --per-host and --robots are per worker (in-flight limits and robots.txt are about this
  // process's connections); the rates are Redis's, so the local gate gets none of its own.
  const gateCfg: CrawlConfig = { ...cfg, rate: null, perHostRate: null };
  const gated = wantsGate(gateCfg) || hostRates !== null;
  // Host pauses (after a 429) are the gate's, so they are shared when there is a gate.
  const pauses = gated ? await SharedPauses.open(writer, keys) : null;
  // With the gate, the global --rate is asked at each start the gate makes (not when the pool
  // admits a job), so jobs parked for a host cannot burst past it later; --per-host-rate keeps
  // the host's jobs parked until Redis grants a start, and a host paused by any worker waits
  // (asked first, so no start is reserved for a paused host). Without it, the pool waits for tokens.
  const remote: RemoteLimits | undefined =
    pauses === null
      ? undefined
      : {
          globalReady: rate === null ? () => true : () => rate.ready,
          hostWait(origin, now) {
            const paused = pauses.wait(origin, now);
            if (paused > 0) return paused;
            return hostRates === null ? 0 : hostRates.wait(origin, now);
          },
          started(origin) {
            rate?.take();
            hostRates?.take(origin);
          },
          paused: (origin, ms) => pauses.share(origin, ms),
        };
  const takeToken = rate !== null && !gated ? () => rate.take() : null;
  const sink = new QueueSink(writer, keys, cfg.output === null ? null : new RecordSink(cfg.output), takeToken, links);

  // Entries read wait in the batch until they start; under a --rate they must not wait so long
  // that they look abandoned (idle past --claim-idle) and get crawled twice.
  let batch = Math.max(50, Math.min(1_000, cfg.concurrency * 2));
  if (w.rate !== null) batch = Math.max(1, Math.min(batch, Math.floor((w.rate * w.claimIdleMs) / 4_000)));
  // Likewise under --per-host-rate: a list of one host drips at that rate.
  if (w.perHostRate !== null) batch = Math.max(1, Math.min(batch, Math.floor((w.perHostRate * w.claimIdleMs) / 4_000)));
  let run: Run | null = null;
  const stopped = (): boolean => run !== null && run.stopping;
  const source = countedBatches(
    queueJobs(
      reader,
      keys,
      { consumer, batch, claimIdleMs: w.claimIdleMs, follow: w.follow, blockMs: 1_000, maxDeliveries: w.maxDeliveries },
      counters,
      stopped,
    ),
    input,
  );

  run = await Run.create({
    cfg,
    stderr,
    input,
    jobs: source,
    sink,
    interrupts,
    politeness: { cfg: gateCfg, remote },
    paused: takeToken === null ? undefined : () => !rate!.ready,
    parkedAtStop: 'release',
    jobsFailure: 'cannot read jobs from Redis',
    taps: links === null ? undefined : [new (await import('../follow/page-observer.js')).PageTap(links)],
    hopPolicy: links?.hopPolicy,
    stopMessage: (signal: StopSignal, inFlight: number, graceMs: number): string =>
      `\nsweep: ${signal}: finishing ${inFlight} requests in flight for ${graceMs} ms (again to abort); entries it read but did not start go to another worker after --claim-idle\n`,
  });
  const theRun = run;
  if (rate !== null) {
    rate.onTokens = () => theRun.pumpGate();
    rate.onError = (err) => theRun.fail('cannot take rate tokens from Redis', err);
  }
  if (hostRates !== null) {
    hostRates.onSlot = (origin) => theRun.wake(origin);
    hostRates.onError = (err) => theRun.fail('cannot reserve per-host start times in Redis', err);
  }
  if (pauses !== null) pauses.onError = (err) => theRun.fail('cannot share a host pause in Redis', err);

  const heartbeat = startHeartbeat(writer, keys, consumer, theRun, sink.held, w.claimIdleMs);
  let outcome;
  try {
    outcome = await theRun.execute();
  } finally {
    clearInterval(heartbeat);
    rate?.close();
    hostRates?.close();
    pauses?.close();
    await writer.hdel(keys.workers, consumer).catch(() => {});
    // A worker that holds nothing leaves the group too, or every worker ever run stays listed.
    await writer.sweepForgetConsumer(keys.jobs, GROUP, consumer).catch(() => {});
    reader.disconnect();
    writer.disconnect();
  }

  const c = sink.completer;
  const exitCode = await reportOutcome(cfg, outcome, stderr, {
    text:
      (links === null
        ? ''
        : `  follow         depth ${links.cfg.depth}, scope ${links.cfg.scope.kind}: ${links.found} links found, ${links.handedOver} in scope handed to the queue, ${links.outOfScope} out of scope\n`) +
      (w.perHostRate === null ? '' : `  per-host rate  at most ${w.perHostRate}/s to each origin across all workers of the queue (in Redis)\n`) +
      `worker ${consumer}: ${c.written} records written to queue '${w.queue}'` +
      `, ${counters.reclaimed} entries reclaimed from other workers, ${counters.resumed} resumed` +
      `, ${c.duplicates} already done elsewhere` +
      (counters.dead > 0 ? `, ${counters.dead} dead letters (delivered ${w.maxDeliveries} times, never finished)` : '') +
      '\n',
    json: {
      worker: {
        consumer,
        queue: w.queue,
        written: c.written,
        reclaimed: counters.reclaimed,
        resumed: counters.resumed,
        doneElsewhere: c.duplicates,
        deadLetters: counters.dead,
      },
    },
  });
  logger.info({ records: outcome.snapshot.records, elapsedMs: outcome.snapshot.elapsedMs }, 'worker finished');
  return { snapshot: outcome.snapshot, exitCode };
}

/** Keeps the input counters current for the summary (lines read = entries read). */
async function* countedBatches(source: AsyncIterable<QueuedJob[]>, input: InputProgress): AsyncGenerator<Job[]> {
  for await (const jobs of source) {
    input.linesRead += jobs.length;
    yield jobs;
  }
  input.done = true;
}

/**
 * Heartbeat for `sweep status`, and a touch of the entries held (XCLAIM to ourselves resets their
 * idle time) so slow requests of a live worker are not reclaimed as abandoned.
 */
function startHeartbeat(writer: SweepRedis, keys: QueueKeys, consumer: string, run: Run, held: Set<string>, claimIdleMs: number): NodeJS.Timeout {
  let lastRecords = 0;
  let lastAt = performance.now();
  let lastTouch = Date.now();
  const beat = (): void => {
    const now = performance.now();
    const records = run.stats.records;
    const rps = ((records - lastRecords) * 1000) / Math.max(1, now - lastAt);
    lastRecords = records;
    lastAt = now;
    const info = { rps: Math.round(rps), done: records, inFlight: run.activeCount, at: Date.now() };
    void writer.hset(keys.workers, consumer, JSON.stringify(info)).catch(() => {});
    if (held.size > 0 && Date.now() - lastTouch >= claimIdleMs / 3) {
      lastTouch = Date.now();
      void writer.xclaim(keys.jobs, GROUP, consumer, 0, ...held, 'JUSTID').catch(() => {});
    }
  };
  const timer = setInterval(beat, Math.min(HEARTBEAT_MS, Math.max(50, claimIdleMs / 3)));
  beat();
  return timer;
}
