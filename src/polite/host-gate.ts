// The gate between the pool and the fetcher, used only when a politeness option is set.
// The pool admits up to `-c + waiting room` jobs; the gate starts at most `-c` of them at once
// and parks the rest per host (per-host in-flight limit, host pause after 429/503, token
// buckets, robots.txt not known yet). A host that is full never blocks the others: its jobs wait
// in its own FIFO while jobs for other hosts go. Parked jobs count against the waiting room;
// when it is full, `full` is true and the pool stops reading input.
//
// Per request the gate does O(1) work: a Map lookup, a push and a shift on small queues, and
// at most one timer per waiting host (never one per job).

import type { Job } from '../input.js';
import { parseRetryAfter } from '../retry.js';
import { TokenBucket } from './token-bucket.js';

export interface GateOptions {
  /** Most requests in flight over all hosts (-c). */
  concurrency: number;
  /** Most requests in flight to one origin; Infinity when unset. */
  perHost: number;
  /** Requests started per second over all hosts; null when unset. */
  rate: number | null;
  /** Requests started per second to one origin; null when unset. */
  perHostRate: number | null;
  /** Parked jobs before `full` turns true. */
  waitingRoom: number;
  /** Cap on one host pause (--retry-max-delay). */
  maxPauseMs: number;
  /** Pause after a 429 without a usable Retry-After (--retry-delay). */
  defaultPauseMs: number;
  /** Start limits kept outside this process (sweep work: in Redis), checked after the local ones. */
  remote?: RemoteLimits;
}

/**
 * Limits shared with other processes, answered asynchronously. The gate asks just before it
 * would start a job (everything local allows it), so nothing is reserved for a job that could
 * not go anyway. A limiter that says "not now" without a time wakes the gate itself: pump()
 * for the global limit, wake(origin) for a host.
 */
export interface RemoteLimits {
  /** May one more job start now over all hosts? When not, the limiter calls pump() later. */
  globalReady(): boolean;
  /** ms until `origin` may start its next job (0: now); null while it asks (then wake(origin)). */
  hostWait(origin: string, now: number): number | null;
  /** A job started on `origin`: consumes what globalReady() and hostWait() allowed. */
  started(origin: string, now: number): void;
}

/** What the gate needs to know of a host's robots.txt (see robots.ts). */
export interface HostRules {
  allowed(job: Job): boolean;
  /** Crawl-delay in ms, 0 when none. */
  readonly crawlDelayMs: number;
  /** Why a job is refused, for its record. */
  readonly reason: string;
}

export interface GateHooks {
  /** Sends the request; the gate's `finished()` must be called when it ends. */
  launch(job: Job): void;
  /** A job refused without a request (robots): write its record and release its pool slot. */
  refuse(job: Job, reason: string): void;
  /** The waiting room has room again: let the pool read input. */
  resume(): void;
  /** Loads the rules of one origin once (robots.txt); absent when --robots is off. */
  rules?: (origin: string) => Promise<HostRules>;
}

class Host {
  readonly origin: string;
  inFlight = 0;
  queue: Job[] = [];
  head = 0;
  pausedUntil = 0;
  bucket: TokenBucket | null;
  timer: NodeJS.Timeout | null = null;
  inReady = false;
  /** undefined: not asked yet; null: loading. */
  rules: HostRules | null | undefined = undefined;
  started = 0;
  firstStart = 0;
  lastStart = 0;
  constructor(origin: string, perHostRate: number | null) {
    this.origin = origin;
    this.bucket = perHostRate === null ? null : new TokenBucket(perHostRate);
  }
  get queued(): number {
    return this.queue.length - this.head;
  }
}

export interface GateStats {
  started: number;
  /** Requests started per second over the run, first to last start; null under 2 starts. */
  achievedRate: number | null;
  /** The highest per-host achieved rate (hosts with >= 3 starts); null when none. */
  maxHostRate: number | null;
  /** Host pauses after 429 / 503 + Retry-After. */
  pauses: number;
  refused: number;
}

export class HostGate {
  readonly #o: GateOptions;
  readonly #hooks: GateHooks;
  readonly #hosts = new Map<string, Host>();
  readonly #global: TokenBucket | null;
  #ready: Host[] = [];
  #readyHead = 0;
  #inFlight = 0;
  #parked = 0;
  #globalTimer: NodeJS.Timeout | null = null;
  #pumping = false;
  #again = false;
  #stopped = false;
  #started = 0;
  #firstStart = 0;
  #lastStart = 0;
  #pauses = 0;
  #refused = 0;
  #maxHostRate: number | null = null;

  readonly #sweeper: NodeJS.Timeout;

  constructor(options: GateOptions, hooks: GateHooks) {
    this.#o = options;
    this.#hooks = hooks;
    this.#global = options.rate === null ? null : new TokenBucket(options.rate);
    // Hosts that went idle while paused or rate-limited are forgotten later, off the request
    // path, so a list of a million distinct hosts does not keep a million Host objects.
    this.#sweeper = setInterval(() => this.sweep(), 10_000);
    this.#sweeper.unref();
  }

  /** Origins the gate holds state for. */
  get hostCount(): number {
    return this.#hosts.size;
  }

  /** Forgets every idle host that has nothing to remember (see #maybeForget). */
  sweep(): void {
    for (const host of this.#hosts.values()) if (host.inFlight === 0 && host.queued === 0) this.#maybeForget(host);
  }

  /** True while the waiting room is full: the pool must not admit more jobs. */
  get full(): boolean {
    return this.#parked >= this.#o.waitingRoom;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get parked(): number {
    return this.#parked;
  }

  /** A job the pool started: goes now if it can, else waits with its host. */
  admit(job: Job): void {
    const origin = job.target!.origin;
    let host = this.#hosts.get(origin);
    if (host === undefined) {
      host = new Host(origin, this.#o.perHostRate);
      this.#hosts.set(origin, host);
    }
    host.queue.push(job);
    this.#parked++;
    if (!host.inReady) this.#pushReady(host);
    this.pump();
  }

  /** A remote limit answered for `origin`: try its parked jobs again. */
  wake(origin: string): void {
    const host = this.#hosts.get(origin);
    if (host !== undefined && host.queued > 0 && !host.inReady && !this.#stopped) this.#pushReady(host);
    this.pump();
  }

  /** A launched job's request ended (its pool slot is released by the caller afterwards). */
  finished(job: Job): void {
    this.#inFlight--;
    const host = this.#hosts.get(job.target!.origin);
    if (host !== undefined) {
      host.inFlight--;
      if (host.queued > 0) {
        if (!host.inReady) this.#pushReady(host);
      } else if (host.inFlight === 0) this.#maybeForget(host);
    }
    this.pump();
  }

  /**
   * A response said "slow down": a 429, or a 503 with Retry-After. The whole host pauses for
   * the advertised time (capped), or --retry-delay when a 429 gives none.
   */
  throttle(origin: string, status: number, retryAfter: string | null): void {
    const advertised = parseRetryAfter(retryAfter);
    if (status !== 429 && advertised === null) return;
    const ms = Math.min(advertised ?? this.#o.defaultPauseMs, this.#o.maxPauseMs);
    let host = this.#hosts.get(origin);
    if (host === undefined) {
      // A redirect led to a host no job names: remember the pause all the same.
      host = new Host(origin, this.#o.perHostRate);
      this.#hosts.set(origin, host);
    }
    const until = performance.now() + ms;
    if (until > host.pausedUntil) host.pausedUntil = until;
    this.#pauses++;
  }

  /** Stops starting jobs and hands back every parked one (shutdown); in-flight ones finish. */
  drainParked(): Job[] {
    this.#stopped = true;
    clearInterval(this.#sweeper);
    if (this.#globalTimer !== null) clearTimeout(this.#globalTimer);
    const out: Job[] = [];
    for (const host of this.#hosts.values()) {
      if (host.timer !== null) clearTimeout(host.timer);
      host.timer = null;
      for (let i = host.head; i < host.queue.length; i++) out.push(host.queue[i]!);
      host.queue = [];
      host.head = 0;
    }
    this.#parked = 0;
    this.#ready = [];
    this.#readyHead = 0;
    return out;
  }

  stats(): GateStats {
    let maxHost = this.#maxHostRate;
    for (const host of this.#hosts.values()) maxHost = maxOf(maxHost, hostRate(host));
    return {
      started: this.#started,
      achievedRate: this.#started >= 2 ? ((this.#started - 1) * 1000) / (this.#lastStart - this.#firstStart) : null,
      maxHostRate: maxHost,
      pauses: this.#pauses,
      refused: this.#refused,
    };
  }

  /** Starts every parked job that may start now, round-robin over hosts. */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    const wasFull = this.full;
    do {
      this.#again = false;
      this.#drainReady();
    } while (this.#again);
    this.#pumping = false;
    if (wasFull && !this.full) this.#hooks.resume();
  }

  #drainReady(): void {
    while (this.#readyHead < this.#ready.length && !this.#stopped) {
      if (this.#inFlight >= this.#o.concurrency) return; // finished() pumps again
      const now = performance.now();
      if (this.#global !== null) {
        const wait = this.#global.wait(now);
        if (wait > 0) {
          this.#armGlobal(wait);
          return;
        }
      }
      if (this.#o.remote !== undefined && !this.#o.remote.globalReady()) return;
      const host = this.#ready[this.#readyHead++]!;
      // Still marked ready while it starts, so a job admitted meanwhile does not queue it twice.
      const started = this.#startFrom(host, now);
      host.inReady = false;
      if (started && host.queued > 0) this.#pushReady(host);
    }
    if (this.#readyHead >= this.#ready.length) {
      this.#ready.length = 0;
      this.#readyHead = 0;
    }
  }

  /**
   * Starts the host's next job if the host allows it now. When it does not, the host has
   * arranged its own wake-up: a timer (pause, rate), finished() (in-flight limit) or its rules.
   */
  #startFrom(host: Host, now: number): boolean {
    while (host.queued > 0) {
      const job = host.queue[host.head]!;
      const rules = this.#rulesOf(host);
      if (rules === null) return false;
      if (rules !== undefined && !rules.allowed(job)) {
        this.#shift(host);
        this.#refused++;
        this.#hooks.refuse(job, rules.reason);
        continue;
      }
      if (host.inFlight >= this.#o.perHost) return false;
      let wait = host.pausedUntil - now;
      if (host.bucket !== null) wait = Math.max(wait, host.bucket.wait(now));
      if (wait > 0) {
        this.#armHost(host, wait);
        return false;
      }
      const remote = this.#o.remote;
      if (remote !== undefined) {
        const remoteWait = remote.hostWait(host.origin, now);
        if (remoteWait === null) return false; // wake(origin) follows the answer
        if (remoteWait > 0) {
          this.#armHost(host, remoteWait);
          return false;
        }
        remote.started(host.origin, now);
      }
      this.#shift(host);
      host.bucket?.take(now);
      this.#global?.take(now);
      host.inFlight++;
      this.#inFlight++;
      this.#count(host, now);
      this.#hooks.launch(job);
      return true;
    }
    return false;
  }

  /** The host's rules: undefined when robots is off, null while loading (starts the load). */
  #rulesOf(host: Host): HostRules | null | undefined {
    const load = this.#hooks.rules;
    if (load === undefined || host.rules != null) return host.rules ?? undefined;
    if (host.rules === null) return null;
    host.rules = null;
    void load(host.origin).then((rules) => {
      host.rules = rules;
      if (rules.crawlDelayMs > 0) {
        const rate = 1000 / rules.crawlDelayMs;
        if (host.bucket === null || rate < 1000 / host.bucket.intervalMs) host.bucket = new TokenBucket(rate);
      }
      if (host.queued > 0 && !host.inReady) this.#pushReady(host);
      this.pump();
    });
    return null;
  }

  #shift(host: Host): void {
    host.queue[host.head++] = undefined as never;
    this.#parked--;
    if (host.head === host.queue.length) {
      host.queue.length = 0;
      host.head = 0;
    } else if (host.head >= 1024 && host.head * 2 >= host.queue.length) {
      host.queue = host.queue.slice(host.head);
      host.head = 0;
    }
  }

  #pushReady(host: Host): void {
    host.inReady = true;
    if (this.#readyHead >= 1024 && this.#readyHead * 2 >= this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
    this.#ready.push(host);
  }

  #armHost(host: Host, ms: number): void {
    if (host.timer !== null || this.#stopped) return;
    host.timer = setTimeout(() => {
      host.timer = null;
      if (host.queued > 0 && !host.inReady) this.#pushReady(host);
      this.pump();
    }, Math.ceil(ms));
  }

  #armGlobal(ms: number): void {
    if (this.#globalTimer !== null || this.#stopped) return;
    this.#globalTimer = setTimeout(() => {
      this.#globalTimer = null;
      this.pump();
    }, Math.ceil(ms));
  }

  #count(host: Host, now: number): void {
    if (this.#started++ === 0) this.#firstStart = now;
    this.#lastStart = now;
    if (host.started++ === 0) host.firstStart = now;
    host.lastStart = now;
  }

  /** Drops an idle host's state when nothing about it needs remembering (no robots, no pause). */
  #maybeForget(host: Host): void {
    if (host.timer !== null || host.inReady || host.rules !== undefined) return;
    const now = performance.now();
    if (host.pausedUntil > now || (host.bucket !== null && host.bucket.wait(now) > 0)) return;
    this.#maxHostRate = maxOf(this.#maxHostRate, hostRate(host));
    this.#hosts.delete(host.origin);
  }
}

function hostRate(host: Host): number | null {
  return host.started >= 3 && host.lastStart > host.firstStart ? ((host.started - 1) * 1000) / (host.lastStart - host.firstStart) : null;
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
