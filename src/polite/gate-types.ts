// What the host gate (host-gate.ts) is told and whom it calls: its options, its hooks into the
// run, the robots rules of a host, and limits kept outside this process (sweep work: Redis).

import type { Job } from '../input.js';

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
  /**
   * This process paused `origin` for `ms` (a 429, or a 503 with Retry-After): share the pause
   * (sweep work: every worker of the queue then waits it out, through hostWait()). Optional.
   */
  paused?(origin: string, ms: number): void;
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
