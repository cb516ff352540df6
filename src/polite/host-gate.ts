// The gate between the pool and the fetcher, used only when a politeness option is set.
// The pool admits up to `-c + waiting room` jobs; the gate starts at most `-c` of them at once
// and parks the rest per host (per-host in-flight limit, host pause after 429/503, token
// buckets, robots.txt not known yet). A host that is full never blocks the others: its jobs wait
// in its own FIFO while jobs for other hosts go. Parked jobs count against the waiting room;
// when it is full, `full` is true and the pool stops reading input.
//
// Per request the gate does O(1) work: a Map lookup, a push and a shift on small queues, and
// at most one timer per waiting host (never one per job). Its parts: host.ts (one origin's
// state), host-timing.ts (pauses and per-host rates), gate-stats.ts (what the summary counts),
// gate-types.ts (options, hooks, remote limits).

import type { Job } from '../input.js';
import { Fifo } from './fifo.js';
import { GateCounters, type GateStats } from './gate-stats.js';
import type { GateHooks, GateOptions, HostRules } from './gate-types.js';
import { Host } from './host.js';
import { hostPauseMs } from './host-timing.js';
import { TokenBucket } from './token-bucket.js';

export type { GateHooks, GateOptions, HostRules, RemoteLimits } from './gate-types.js';
export type { GateStats } from './gate-stats.js';

export class HostGate {
  readonly #o: GateOptions;
  readonly #hooks: GateHooks;
  readonly #hosts = new Map<string, Host>();
  readonly #global: TokenBucket | null;
  /** Hosts that may be able to start a job, in turn (round-robin). */
  readonly #ready = new Fifo<Host>();
  #inFlight = 0;
  #parked = 0;
  #globalTimer: NodeJS.Timeout | null = null;
  #pumping = false;
  #again = false;
  #stopped = false;
  readonly #counters = new GateCounters();

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
    const host = this.#host(job.target!.origin);
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
    const ms = hostPauseMs(status, retryAfter, this.#o);
    if (ms === null) return;
    // A redirect may lead to a host no job names: remember the pause all the same.
    this.#host(origin).timing.pause(performance.now() + ms);
    this.#counters.pauses++;
    this.#o.remote?.paused?.(origin, ms);
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
      for (const job of host.queue.drain()) out.push(job);
    }
    this.#parked = 0;
    this.#ready.drain();
    return out;
  }

  stats(): GateStats {
    return this.#counters.stats(this.#hosts.values());
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

  #host(origin: string): Host {
    let host = this.#hosts.get(origin);
    if (host === undefined) {
      host = new Host(origin, this.#o.perHostRate);
      this.#hosts.set(origin, host);
    }
    return host;
  }

  #drainReady(): void {
    while (this.#ready.length > 0 && !this.#stopped) {
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
      const host = this.#ready.shift()!;
      // Still marked ready while it starts, so a job admitted meanwhile does not queue it twice.
      const started = this.#startFrom(host, now);
      host.inReady = false;
      if (started && host.queued > 0) this.#pushReady(host);
    }
  }

  /**
   * Starts the host's next job if the host allows it now. When it does not, the host has
   * arranged its own wake-up: a timer (pause, rate), finished() (in-flight limit) or its rules.
   */
  #startFrom(host: Host, now: number): boolean {
    let job: Job | undefined;
    while ((job = host.queue.peek()) !== undefined) {
      const rules = this.#rulesOf(host);
      if (rules === null) return false;
      if (rules !== undefined && !rules.allowed(job)) {
        this.#shift(host);
        this.#counters.refused++;
        this.#hooks.refuse(job, rules.reason);
        continue;
      }
      if (host.inFlight >= this.#o.perHost) return false;
      const wait = host.timing.wait(now);
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
      host.timing.take(now);
      this.#global?.take(now);
      host.inFlight++;
      this.#inFlight++;
      this.#counters.starts.count(now);
      host.starts.count(now);
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
      host.timing.crawlDelay(rules.crawlDelayMs);
      if (host.queued > 0 && !host.inReady) this.#pushReady(host);
      this.pump();
    });
    return null;
  }

  #shift(host: Host): void {
    host.queue.shift();
    this.#parked--;
  }

  #pushReady(host: Host): void {
    host.inReady = true;
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

  /**
   * Drops an idle host's state when nothing about it needs remembering: no pause or delay still
   * running, no robots.txt being loaded. Its robots rules, once loaded, are the RobotsCache's: a
   * host made again gets them from there at once (so a list of a million hosts with --robots does
   * not keep a million Host objects either).
   */
  #maybeForget(host: Host): void {
    if (host.timer !== null || host.inReady || host.rules === null) return;
    if (host.timing.holding(performance.now())) return;
    this.#counters.forget(host.starts);
    this.#hosts.delete(host.origin);
  }
}
