// The --per-host-rate of a distributed crawl: one start schedule per origin in Redis, shared by
// every worker of the queue (HOST_SLOT in scripts.ts). The host gate asks `wait()` only when
// everything local would let the host's next job start; this worker then reserves the origin's
// next free slot in Redis and the gate parks the host's jobs until that moment. One reservation
// per origin at a time, one round trip per request started: per-host rates are low, and a
// reservation is never taken for a job that could not go. A reservation is never inside the
// origin's host pause (a 429 seen by any worker): HOST_SLOT reads the pause it reserves against.

import type { QueueKeys, SweepRedis } from './redis.js';

/** A reservation not used this long after its slot is dropped (see wait()). */
const STALE_MS = 1_000;

interface Slot {
  /** performance.now() of the reserved start; null while asking Redis. */
  at: number | null;
}

export class HostRates {
  readonly #redis: SweepRedis;
  readonly #prefix: string;
  readonly #pauses: string;
  readonly #intervalMs: number;
  readonly #slots = new Map<string, Slot>();
  #closed = false;
  /** A reservation arrived for `origin`: the gate should look at that host again. */
  onSlot: (origin: string) => void = () => {};
  onError: (err: Error) => void = () => {};

  constructor(redis: SweepRedis, keys: QueueKeys, perSec: number) {
    this.#redis = redis;
    this.#prefix = keys.hostRate;
    this.#pauses = keys.pauses;
    this.#intervalMs = 1000 / perSec;
  }

  /** ms until `origin`'s reserved start (0: now); null while the reservation is being asked for. */
  wait(origin: string, now: number): number | null {
    const slot = this.#slots.get(origin);
    if (slot === undefined) {
      this.#ask(origin);
      return null;
    }
    if (slot.at === null) return null;
    // A slot left unused long past its time (the host paused after a 429 meanwhile) would put
    // this start next to another worker's current one: ask for a fresh one instead.
    if (now - slot.at > STALE_MS) {
      this.#ask(origin);
      return null;
    }
    return Math.max(0, slot.at - now);
  }

  /** The job the reservation was for started: the next one needs a reservation of its own. */
  take(origin: string): void {
    this.#slots.delete(origin);
  }

  /** Origins with a reservation held or asked for (at most one each). */
  get size(): number {
    return this.#slots.size;
  }

  close(): void {
    this.#closed = true;
  }

  #ask(origin: string): void {
    const slot: Slot = { at: null };
    this.#slots.set(origin, slot);
    this.#redis.sweepHostSlot(this.#prefix + origin, this.#pauses, this.#intervalMs, origin).then(
      (ms) => {
        if (this.#closed || this.#slots.get(origin) !== slot) return;
        // Counted from when the answer arrives, not when Redis computed it: a little late, never early.
        slot.at = performance.now() + Number(ms);
        this.onSlot(origin);
      },
      (err: Error) => {
        if (!this.#closed) this.onError(err);
      },
    );
  }
}
