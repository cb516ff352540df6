// A rate limiter as "next allowed time" (GCRA, the virtual-scheduling form of a token bucket).
// Requests are spaced exactly 1/rate apart on a schedule that does not drift when timers fire
// late: the next slot is computed from the previous slot, not from "now". The catch-up allowed
// after an idle spell (or a late timer) is `slackMs` worth of requests: 50 ms is 1% of a 5 s
// window, and it is what lets high rates keep up at all, since Node timers fire a millisecond
// or more late (at 1000/s a slack of one interval lost a quarter of the rate, measured).

export class TokenBucket {
  /** Milliseconds between two requests. */
  readonly intervalMs: number;
  readonly #slackMs: number;
  /** Earliest time (performance.now() ms) the next request may go. */
  #next = -Infinity;

  constructor(ratePerSec: number, slackMs = 50) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError('rate must be a positive number');
    this.intervalMs = 1000 / ratePerSec;
    this.#slackMs = slackMs;
  }

  /** Milliseconds to wait before a request may go at `now` (0: it may go now). Consumes nothing. */
  wait(now: number): number {
    return now >= this.#next ? 0 : this.#next - now;
  }

  /** Takes the slot that `wait(now) === 0` said was free. */
  take(now: number): void {
    // After an idle spell the schedule restarts at "now", minus a little slack so a timer that
    // fired a few ms late does not push every later request back.
    const base = this.#next < now - this.#slackMs ? now - this.#slackMs : this.#next;
    this.#next = base + this.intervalMs;
  }

  /** Makes the next slot no earlier than `until` (a host pause). */
  holdUntil(until: number): void {
    if (until > this.#next) this.#next = until;
  }
}
