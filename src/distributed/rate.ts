// The global --rate of a distributed crawl: one token bucket in Redis for all workers of a
// queue. A worker leases a few tokens at a time (about 1/20 s worth) so a request costs no
// round trip of its own; the pool asks `ready` before starting a URL and `take()`s one to start it.

import type { QueueKeys, SweepRedis } from './redis.js';

export class GlobalRate {
  readonly #redis: SweepRedis;
  readonly #key: string;
  readonly #perSec: number;
  readonly #burst: number;
  readonly #lease: number;
  #tokens = 0;
  #asking = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Called when tokens arrived after `ready` said no: the pool should try again. */
  onTokens: () => void = () => {};
  onError: (err: Error) => void = () => {};

  constructor(redis: SweepRedis, keys: QueueKeys, perSec: number, concurrency: number) {
    this.#redis = redis;
    this.#key = keys.rate;
    this.#perSec = perSec;
    this.#lease = Math.max(1, Math.min(concurrency, Math.ceil(perSec / 20)));
    // The bucket holds 1/10 s of requests (at least one lease): the most a window can exceed the rate by.
    this.#burst = Math.max(this.#lease, Math.ceil(perSec / 10));
  }

  get burst(): number {
    return this.#burst;
  }

  /** True when a URL may start now; otherwise asks Redis for tokens (once) and says no. */
  get ready(): boolean {
    if (this.#tokens > 0) return true;
    if (!this.#asking && this.#timer === null && !this.#closed) this.#ask();
    return false;
  }

  take(): void {
    this.#tokens--;
  }

  #ask(): void {
    this.#asking = true;
    this.#redis.sweepTakeTokens(this.#key, this.#perSec, this.#burst, this.#lease).then(
      ([granted, waitMs]) => {
        this.#asking = false;
        if (this.#closed) return;
        if (granted > 0) {
          this.#tokens += granted;
          this.onTokens();
        } else {
          this.#timer = setTimeout(() => {
            this.#timer = null;
            this.onTokens();
          }, Math.max(1, waitMs));
        }
      },
      (err: Error) => {
        this.#asking = false;
        if (!this.#closed) this.onError(err);
      },
    );
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }
}
