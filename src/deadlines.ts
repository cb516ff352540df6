// One coarse timer for every attempt's total deadline, instead of a setTimeout (or an
// AbortController) per request. Every attempt gets the same timeout, so deadlines are pushed in
// increasing order and a FIFO ring is a priority queue: each tick pops the expired head. An entry
// whose attempt already finished (or moved on to a later deadline) is recognised and skipped.
//
// An attempt that ends lets go of its entry at once (forget): otherwise the ring would hold every
// finished task until the next tick (up to 250 ms, ~5,000 tasks at 20,000 requests/s), long
// enough for V8 to promote them to the old generation and collect them there (a Mark-Compact
// every ~0.6 s of a fast crawl, and concurrent marking on the helper threads).

export interface Expirable {
  /** The deadline of the attempt now in flight; NaN when nothing is in flight. */
  deadline: number;
  expire(): void;
}

export class DeadlineQueue {
  #items: (Expirable | undefined)[];
  #deadlines: Float64Array;
  #head = 0;
  #size = 0;
  readonly #aside = new Set<Expirable>();
  #timer: NodeJS.Timeout | null = null;
  readonly tickMs: number;

  constructor(timeoutMs: number, capacity = 1024) {
    this.#items = new Array(capacity);
    this.#deadlines = new Float64Array(capacity);
    // Resolution: a twentieth of the timeout, within [5 ms, 250 ms]. A timeout fires at most one
    // tick late, which is what "coarse" buys: ~4-200 wakeups a second whatever the request rate.
    this.tickMs = Math.min(250, Math.max(5, Math.floor(timeoutMs / 20)));
  }

  get size(): number {
    return this.#size;
  }

  /** Queues `item`'s deadline; returns its slot, for forget(). */
  push(item: Expirable, deadline: number): number {
    if (this.#size === this.#items.length) this.#grow();
    const tail = (this.#head + this.#size) % this.#items.length;
    this.#items[tail] = item;
    this.#deadlines[tail] = deadline;
    this.#size++;
    if (this.#timer === null) this.#start();
    return tail;
  }

  /**
   * The attempt that pushed (item, deadline) into `slot` ended: drop the reference now (the entry
   * stays as a hole the next tick skips). O(1). When the ring grew or wrapped since, the slot
   * holds another entry (or the same item's later attempt, with another deadline): left alone.
   */
  forget(item: Expirable, slot: number, deadline: number): void {
    if (this.#items[slot] === item && this.#deadlines[slot] === deadline) this.#items[slot] = undefined;
  }

  /**
   * Queues a deadline that breaks the FIFO order (a body that resumes after waiting for a tap
   * has less time left than a new attempt): kept aside and checked each tick, under the item's
   * current `deadline`. Few at a time, so the O(n) check per tick is cheap. Drop with unqueue().
   */
  pushAside(item: Expirable): void {
    this.#aside.add(item);
    if (this.#timer === null) this.#start();
  }

  unqueue(item: Expirable): void {
    this.#aside.delete(item);
  }

  /** Expires every head entry whose deadline is at or before `now`; drops stale heads. */
  sweep(now: number): void {
    for (const item of this.#aside) {
      if (Number.isNaN(item.deadline)) this.#aside.delete(item);
      else if (item.deadline <= now) {
        this.#aside.delete(item);
        item.expire();
      }
    }
    const items = this.#items;
    const cap = items.length;
    while (this.#size > 0) {
      const i = this.#head;
      const item = items[i];
      const deadline = this.#deadlines[i]!;
      const live = item !== undefined && item.deadline === deadline;
      if (live && deadline > now) break;
      items[i] = undefined;
      this.#head = (i + 1) % cap;
      this.#size--;
      if (live) item!.expire();
    }
    if (this.#size === 0 && this.#aside.size === 0) this.stop();
  }

  stop(): void {
    if (this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #start(): void {
    this.#timer = setInterval(() => this.sweep(performance.now()), this.tickMs);
    // Sockets and retry waits keep the process alive; this timer alone must not.
    this.#timer.unref();
  }

  #grow(): void {
    const cap = this.#items.length;
    const items: (Expirable | undefined)[] = new Array(cap * 2);
    const deadlines = new Float64Array(cap * 2);
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#head + k) % cap;
      items[k] = this.#items[i];
      deadlines[k] = this.#deadlines[i]!;
    }
    this.#items = items;
    this.#deadlines = deadlines;
    this.#head = 0;
  }
}
