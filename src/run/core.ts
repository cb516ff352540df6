// The run core: one crawl run, whatever feeds it and wherever its records go. It owns the pool,
// the fetcher settings, the deadline sweep, politeness, stop / grace / abort, stats, teardown and
// the summary. Adapters only choose a job source and a sink (and, for Redis workers, where the
// rate limits live):
//
//   crawl.ts              input files / stdin  -> Run -> RecordSink (stdout or -o)
//   distributed/work.ts   Redis consumer group -> Run -> Completer (results stream + XACK)
//   bench/crawl-list.ts   an in-memory list    -> Run -> a discarding sink
//
// A job ends in exactly one place, #complete(): its record goes to the sink, it is counted, its
// host slot and its pool slot are given back. Jobs that end without a record (another shard's,
// already final in a resume file, parked by a worker that stops) end in #release().

import { setMaxListeners } from 'node:events';
import type { Dispatcher } from 'undici';
import type { CrawlConfig } from '../config.js';
import { DeadlineQueue } from '../deadlines.js';
import type { ErrorCode } from '../errors.js';
import type { ExchangeTap } from '../exchange.js';
import { UrlTask, type FetchSettings, type HopPolicy } from '../fetcher.js';
import type { InputProgress, Job } from '../input.js';
import { createDispatcher } from '../net/dispatcher.js';
import { Pool, type Frontier as PoolFrontier } from '../pool.js';
import type { RemoteLimits } from '../polite/host-gate.js';
import type { Politeness, PoliteSummary } from '../polite/politeness.js';
import type { ResumeState } from '../polite/resume.js';
import { waitingRoomSize, wantsPoliteness } from '../polite/wants.js';
import { startProgress, type ProgressHandle } from '../progress.js';
import { skippedRecord, taskRecord, unfetchedRecord } from '../record.js';
import { Stats, type StatsSnapshot } from '../stats.js';
import type { Target } from '../target.js';
import { exitCodeOf, type Interrupts, type StopSignal } from './interrupts.js';
import { crossOriginHeaders } from './secrets.js';

/** Where a run's records go. The run attaches its callbacks before the first job starts. */
export interface RunSink {
  /** One job's record, newline-terminated; `ok` when it has no error. */
  write(job: Job, record: string, ok: boolean): void;
  /** A job that ends without a record (a worker's parked entries at stop). Optional. */
  release?(job: Job): void;
  /** A job is about to start (a worker tracks the entries it holds). Optional. */
  started?(job: Job): void;
  /** True while the sink cannot take more: no job starts until `events.drain()`. */
  readonly backedUp: boolean;
  attach(events: SinkEvents): void;
  /** Everything written is handed on (flushed, fsynced, acknowledged). */
  close(): Promise<void>;
}

export interface SinkEvents {
  drain(): void;
  /** The reader went away (EPIPE): stop quietly, as Unix tools do. */
  broken(): void;
  /** The sink failed: stop, exit 1, with this message. */
  error(what: string, err: Error): void;
}

export interface RunSpec {
  cfg: CrawlConfig;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Batches of jobs; keeps `input` current. */
  jobs: AsyncIterable<Job[]>;
  input: InputProgress;
  sink: RunSink;
  /** Stop requests (the CLI forwards SIGINT / SIGTERM); none: the run only ends by itself. */
  interrupts?: Interrupts | undefined;
  /** Politeness with another config (a worker keeps no local rates) and limits kept elsewhere. */
  politeness?: { cfg: CrawlConfig; remote?: RemoteLimits | undefined } | undefined;
  /** What --resume's file already holds (read by the local crawl before it appends). */
  resume?: ResumeState | null | undefined;
  /**
   * Another reason not to start a job now (a worker's global rate); wake the run with pump().
   * Ignored when the host gate runs: it asks `politeness.remote` before each start instead.
   */
  paused?: (() => boolean) | undefined;
  /** Jobs the host gate parked when the run stops: an `aborted` record (resumable), or none. */
  parkedAtStop: 'record' | 'release';
  /**
   * When the job source fails: with this, the run says `sweep: <jobsFailure>: <message>`, ends
   * after the jobs in flight and exits 1 (a worker whose Redis went away); without it, execute()
   * rejects once the run is torn down.
   */
  jobsFailure?: string | undefined;
  /** Jobs found while the run goes on (a recursive crawl's frontier): the pool's second source. */
  frontier?: PoolFrontier<Job> | undefined;
  /** Asked before each redirect hop, after --robots' own check (a recursive crawl's scope). */
  hopPolicy?: HopPolicy | undefined;
  /** Observers of every exchange (WARC, links, save dir; src/exchange.ts), fixed for the run. */
  taps?: readonly ExchangeTap[] | undefined;
  /** The line printed on the first stop request. */
  stopMessage(signal: StopSignal, inFlight: number, graceMs: number): string;
}

export interface Interruption {
  signal: StopSignal;
  aborted: number;
  notStarted: number;
}

export interface RunOutcome {
  snapshot: StatsSnapshot;
  polite: PoliteSummary | null;
  interrupted: Interruption | null;
  /** 0 completed; 1 the sink failed; 130 / 143 interrupted by SIGINT / SIGTERM. */
  exitCode: number;
  /** The reader went away: print nothing more. */
  quiet: boolean;
}

export class Run {
  readonly stats = new Stats();
  readonly #spec: RunSpec;
  readonly #cfg: CrawlConfig;
  readonly #dispatcher: Dispatcher;
  readonly #polite: Politeness | null;
  readonly #settings: FetchSettings;
  readonly #shutdown = new AbortController();
  readonly #pool: Pool<Job>;
  /** spec.sink and its optional hook, read once: they are used per job. */
  readonly #sink: RunSink;
  readonly #onStart: ((job: Job) => void) | null;
  #exitCode = 0;
  #quiet = false;
  #interrupted: StopSignal | null = null;
  #graceTimer: NodeJS.Timeout | null = null;

  static async create(spec: RunSpec): Promise<Run> {
    const dispatcher = await createDispatcher(spec.cfg);
    const politeCfg = spec.politeness?.cfg ?? spec.cfg;
    const remote = spec.politeness?.remote;
    if (!wantsPoliteness(politeCfg) && remote === undefined) return new Run(spec, dispatcher, null);
    const { Politeness } = await import('../polite/politeness.js');
    const robots = { dispatcher, headers: spec.cfg.headers as Record<string, string> };
    return new Run(spec, dispatcher, await Politeness.create(politeCfg, robots, remote, spec.resume ?? null));
  }

  private constructor(spec: RunSpec, dispatcher: Dispatcher, polite: Politeness | null) {
    this.#spec = spec;
    this.#cfg = spec.cfg;
    this.#sink = spec.sink;
    this.#onStart = spec.sink.started === undefined ? null : (job) => spec.sink.started!(job);
    this.#dispatcher = dispatcher;
    this.#polite = polite;
    // Every URL waiting to retry listens for shutdown (and lets go after its wait): many at once is normal.
    setMaxListeners(0, this.#shutdown.signal);
    polite?.attach({
      drop: (job) => this.#release(job),
      duplicate: (job) => this.#complete(job, skippedRecord(job, 'duplicate'), false, null),
      launch: (job) => this.#launch(job),
      refuse: (job, reason) => this.#unfetched(job, 'robots_disallowed', reason),
      resume: () => this.pump(),
    });
    const gate = polite?.gate ?? null;
    this.#settings = fetchSettings(spec.cfg, dispatcher, this.#shutdown.signal, {
      onThrottle: gate === null ? undefined : (origin, status, retryAfter) => gate.throttle(origin, status, retryAfter),
      hopPolicy: bothPolicies(spec.hopPolicy, polite?.hopPolicy() ?? undefined),
      taps: spec.taps !== undefined && spec.taps.length > 0 ? spec.taps : null,
    });
    // With the gate, the pool admits -c plus the waiting room; the gate keeps -c in flight.
    const limit = gate === null ? spec.cfg.concurrency : spec.cfg.concurrency + waitingRoomSize(spec.cfg.concurrency);
    const sink = spec.sink;
    const taps = this.#settings.taps;
    // What holds the pool: a backed-up sink, a full gate waiting room, the adapter's own reason
    // (ignored with the gate: it asks the remote limits itself), a tap that cannot keep up.
    const reasons: (() => boolean)[] = [];
    if (gate !== null) reasons.push(() => gate.full);
    else if (spec.paused !== undefined) reasons.push(spec.paused);
    for (const tap of taps ?? []) if (tap.backedUp !== undefined) reasons.push(() => tap.backedUp === true);
    const paused =
      reasons.length === 0 ? () => sink.backedUp : reasons.length === 1 ? ((r) => () => sink.backedUp || r())(reasons[0]!) : () => sink.backedUp || reasons.some((r) => r());
    this.#pool = new Pool(spec.jobs, limit, { start: (job) => this.#start(job), paused }, spec.frontier ?? null);
    for (const tap of taps ?? []) {
      tap.onDrain = () => {
        // Bodies a backed-up tap paused read on (each pauses again if a tap is still behind).
        const paused = this.#settings.paused;
        if (paused.size > 0) {
          const tasks = [...paused];
          paused.clear();
          for (const task of tasks) task.resumeBody();
        }
        this.pump();
      };
      tap.onError = (err) => this.fail('cannot keep what was fetched', err);
    }
    sink.attach({
      drain: () => this.pump(),
      broken: () => {
        this.#quiet = true;
        this.#stopAll();
      },
      error: (what, err) => this.fail(what, err),
    });
  }

  /** Requests in flight (or parked by the host gate). */
  get activeCount(): number {
    return this.#pool.activeCount;
  }

  /** The run may be able to start jobs again (sink drained, rate tokens came). */
  pump(): void {
    this.#pool.pump();
  }

  /** A limit kept elsewhere answered for `origin`: its parked jobs may go. */
  wake(origin: string): void {
    this.#polite?.gate?.wake(origin);
  }

  /** Starts parked jobs the gate can start now (a worker's global rate has tokens again). */
  pumpGate(): void {
    const gate = this.#polite?.gate ?? null;
    if (gate === null) this.pump();
    else gate.pump();
  }

  /** True once the run was asked to stop, failed, or lost its reader: take no new jobs. */
  get stopping(): boolean {
    return this.#interrupted !== null || this.#exitCode === 1 || this.#quiet;
  }

  /** Something the run depends on failed: stop, exit 1. The first failure is the one reported. */
  fail(what: string, err: Error): void {
    if (this.#failed(what, err)) this.#stopAll();
  }

  /** Says what failed and sets exit 1; false when a failure was reported already. */
  #failed(what: string, err: Error): boolean {
    if (this.#exitCode === 1) return false;
    this.#spec.stderr.write(`sweep: ${what}: ${err.message}\n`);
    this.#exitCode = 1;
    return true;
  }

  /** Runs to the end; then tears down. Call once. */
  async execute(): Promise<RunOutcome> {
    const spec = this.#spec;
    const unsubscribe = spec.interrupts?.subscribe((signal) => this.#onStop(signal)) ?? null;
    const wantProgress = this.#cfg.progress === 'auto' ? spec.stderr.isTTY === true : this.#cfg.progress;
    const progress: ProgressHandle | null = wantProgress ? await startProgress(this.stats, spec.input, spec.stderr) : null;
    let failure: unknown = null;
    try {
      await this.#pool.run();
    } catch (err) {
      failure = err;
    } finally {
      if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
      this.#settings.deadlines.stop();
      this.stats.end();
      progress?.stop();
      // Taps first: a record may point into a WARC file, which must be complete before it.
      for (const tap of this.#settings.taps ?? []) await tap.close?.().catch((err: Error) => this.#failed('cannot keep what was fetched', err));
      await spec.sink.close();
      // Every request has ended; idle keep-alive sockets are unref'd by undici, so close() could
      // still be pending when the loop empties. destroy() ends them now.
      if (!this.#shutdown.signal.aborted) await this.#dispatcher.destroy();
      unsubscribe?.();
    }
    if (failure !== null) {
      if (spec.jobsFailure === undefined) throw failure;
      this.#failed(spec.jobsFailure, failure as Error);
    }
    const snapshot = this.stats.snapshot(spec.input, this.#cfg.concurrency);
    const polite = this.#polite?.summary() ?? null;
    // Lines read but never started (after a stop) get no record; the summary counts them. Every
    // job the pool took from the input was started (its record written, or it was a duplicate,
    // a resumed line or another shard's, which the polite summary counts); jobs of the frontier
    // (URLs a recursive crawl found) are not input lines.
    const notStarted = snapshot.linesRead - snapshot.skipped - this.#pool.startedFromInput;
    const signal = this.#interrupted;
    const interrupted = signal === null ? null : { signal, aborted: snapshot.aborted, notStarted };
    return { snapshot, polite, interrupted, exitCode: this.#exitCode, quiet: this.#quiet };
  }

  // ---- one job's life ---------------------------------------------------------------------------

  #start(job: Job): void {
    if (this.#onStart !== null) this.#onStart(job);
    if (this.#polite !== null && this.#polite.front(job)) return;
    if (job.target === null) {
      this.#unfetched(job, 'invalid_url', job.invalid ?? 'invalid URL');
      return;
    }
    this.#launch(job);
  }

  #launch(job: Job): void {
    new UrlTask(job as Job & { target: Target }, this.#settings, this.#onTaskDone).start();
  }

  readonly #onTaskDone = (task: UrlTask): void => {
    const error = task.error;
    const ok = error === null;
    this.stats.record(ok, task.status, ok ? null : error.code, task.attempts, task.bytes, task.endedAt - task.startedAt);
    if (this.#polite?.gate != null) this.#polite.finished(task.job);
    this.#complete(task.job, taskRecord(task), ok, undefined);
  };

  /** A job that ends without a request: its record, its count, and its slot back. */
  #unfetched(job: Job, code: ErrorCode, message: string): void {
    this.#complete(job, unfetchedRecord(job, code, message), false, code);
  }

  /**
   * The one place a job with a record ends. `counted`: undefined when stats already has it (a
   * fetched job), null for a record that is not a crawl outcome (a duplicate), else its error code.
   */
  #complete(job: Job, record: string, ok: boolean, counted: ErrorCode | null | undefined): void {
    this.#sink.write(job, record, ok);
    if (counted != null) this.stats.record(false, null, counted, 0, 0, NaN);
    this.#pool.release();
  }

  #release(job: Job): void {
    this.#sink.release?.(job);
    this.#pool.release();
  }

  // ---- stopping -----------------------------------------------------------------------------------

  #onStop(signal: StopSignal): void {
    if (this.#interrupted !== null) {
      // Second request: abort what is in flight now.
      this.#abortInFlight();
      return;
    }
    this.#interrupted = signal;
    if (this.#exitCode === 0) this.#exitCode = exitCodeOf(signal);
    const graceMs = this.#cfg.graceMs;
    this.#pool.stop();
    // Jobs parked by the host gate hold pool slots but were never sent: settle them first, so
    // the count below is of requests really in flight.
    this.#settleParked();
    this.#spec.stderr.write(this.#spec.stopMessage(signal, this.#pool.activeCount, graceMs));
    this.#graceTimer = setTimeout(() => this.#abortInFlight(), graceMs);
    this.#graceTimer.unref();
  }

  #stopAll(): void {
    this.#pool.stop();
    this.#settleParked();
    this.#abortInFlight();
  }

  #settleParked(): void {
    const gate = this.#polite?.gate ?? null;
    if (gate === null) return;
    const record = this.#spec.parkedAtStop === 'record';
    for (const job of gate.drainParked()) {
      if (record) this.#unfetched(job, 'aborted', 'stopped before it was sent');
      else this.#release(job);
    }
  }

  #abortInFlight(): void {
    if (this.#shutdown.signal.aborted) return;
    this.#shutdown.abort();
    void this.#dispatcher.destroy().catch(() => {});
  }
}

/** The first policy's refusal stands; else the second is asked. */
function bothPolicies(first: HopPolicy | undefined, second: HopPolicy | undefined): HopPolicy | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return (job, next) => {
    const verdict = first(job, next);
    if (verdict instanceof Promise) return verdict.then((v) => v ?? second(job, next));
    return verdict ?? second(job, next);
  };
}

/** What every UrlTask of a run shares: the crawl options, the dispatcher, the deadline sweep, shutdown. */
export function fetchSettings(
  cfg: CrawlConfig,
  dispatcher: Dispatcher,
  signal: AbortSignal,
  hooks: Partial<Pick<FetchSettings, 'onThrottle' | 'hopPolicy' | 'taps'>> = {},
): FetchSettings {
  const headers = cfg.headers as Record<string, string>;
  return {
    dispatcher,
    method: cfg.method,
    headers,
    crossOriginHeaders: cfg.locationTrusted ? headers : crossOriginHeaders(headers),
    timeoutMs: cfg.timeoutMs,
    retries: cfg.retries,
    backoff: { baseMs: cfg.retryDelayMs, maxMs: cfg.retryMaxDelayMs },
    maxBody: cfg.maxBody,
    maxRedirects: cfg.maxRedirects,
    deadlines: new DeadlineQueue(cfg.timeoutMs),
    signal,
    onThrottle: hooks.onThrottle,
    hopPolicy: hooks.hopPolicy,
    taps: hooks.taps ?? null,
    paused: new Set(),
  };
}
