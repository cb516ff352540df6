// When one host may start its next request: its pause (after a 429, or a 503 with Retry-After)
// and its own rate (--per-host-rate, or its robots.txt Crawl-delay when that is slower). Times
// are performance.now() ms. Asked once per start: two comparisons, no allocation.

import { parseRetryAfter } from '../retry.js';
import { TokenBucket } from './token-bucket.js';

export class HostTiming {
  /** No start before this (a host pause); 0 when never paused. */
  pausedUntil = 0;
  #bucket: TokenBucket | null;

  constructor(perHostRate: number | null) {
    this.#bucket = perHostRate === null ? null : new TokenBucket(perHostRate);
  }

  /** ms until the host may start a request; 0 or less: now. */
  wait(now: number): number {
    const paused = this.pausedUntil - now;
    return this.#bucket === null ? paused : Math.max(paused, this.#bucket.wait(now));
  }

  /** A request started at `now`: it takes the host's rate slot. */
  take(now: number): void {
    this.#bucket?.take(now);
  }

  /** No start before `until` (a later pause wins; an earlier one changes nothing). */
  pause(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  /** A robots.txt Crawl-delay: the host's rate becomes the slower of it and the configured one. */
  crawlDelay(ms: number): void {
    if (ms <= 0) return;
    const rate = 1000 / ms;
    if (this.#bucket === null || rate < 1000 / this.#bucket.intervalMs) this.#bucket = new TokenBucket(rate);
  }

  /** True while a pause or a rate wait runs: the host's state must be kept until then. */
  holding(now: number): boolean {
    return this.pausedUntil > now || (this.#bucket !== null && this.#bucket.wait(now) > 0);
  }
}

/**
 * How long a response pauses its whole host: a 429, or a 503 with Retry-After, for the
 * advertised time (capped at `maxPauseMs`), or `defaultPauseMs` when a 429 gives none.
 * null: the response does not pause the host.
 */
export function hostPauseMs(
  status: number,
  retryAfter: string | null,
  limits: { defaultPauseMs: number; maxPauseMs: number },
): number | null {
  const advertised = parseRetryAfter(retryAfter);
  if (status !== 429 && advertised === null) return null;
  return Math.min(advertised ?? limits.defaultPauseMs, limits.maxPauseMs);
}
