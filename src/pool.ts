// A semaphore over job sources: starts a job only when a slot is free and the sink is not
// backed up. Two kinds of source feed it: a batched async one (the input lists, a Redis
// consumer group), pulled only when the current batch is used up, and an optional synchronous
// frontier that grows while the run goes on (links found in fetched pages). The run is done when
// the input is exhausted, the frontier is empty and nothing is in flight: a job in flight may
// still add to the frontier, so that last condition is what makes "done" safe.
// Jobs report completion by calling release(), so the success path creates no Promise per job.

export interface PoolHooks<J> {
  /** Starts one job; the job must call `pool.release()` exactly once, possibly synchronously. */
  start(job: J): void;
  /** True while the output cannot take more: no job starts until `pump()` is called again. */
  paused(): boolean;
}

/** A source that can grow during the run; read synchronously, one job at a time. */
export interface Frontier<J> {
  /** The next job, or undefined when none is waiting now. */
  shift(): J | undefined;
  /** Jobs waiting now. */
  readonly size: number;
}

export class Pool<J> {
  readonly #source: AsyncIterator<J[]>;
  readonly #limit: number;
  readonly #hooks: PoolHooks<J>;
  readonly #frontier: Frontier<J> | null;
  #batch: J[] = [];
  #index = 0;
  #active = 0;
  #startedFromInput = 0;
  #pulling = false;
  #exhausted = false;
  #stopped = false;
  #pumping = false;
  #again = false;
  #failure: { err: unknown } | null = null;
  #resolve: () => void = () => {};
  #reject: (err: unknown) => void = () => {};
  /** One started job has finished. A bound function: pass it around as a callback. */
  readonly release = (): void => {
    this.#active--;
    this.pump();
  };

  constructor(source: AsyncIterable<J[]>, limit: number, hooks: PoolHooks<J>, frontier: Frontier<J> | null = null) {
    this.#source = source[Symbol.asyncIterator]();
    this.#limit = limit;
    this.#hooks = hooks;
    this.#frontier = frontier;
  }

  get activeCount(): number {
    return this.#active;
  }

  /** Jobs taken from the input (not the frontier) and started so far. */
  get startedFromInput(): number {
    return this.#startedFromInput;
  }

  /** Jobs read from the input (or waiting in the frontier) but not started yet. */
  get pendingCount(): number {
    return this.#batch.length - this.#index + (this.#frontier?.size ?? 0);
  }

  /** Resolves when the input is exhausted and the frontier empty (or stopped) and every started job is done. */
  run(): Promise<void> {
    const finished = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.pump();
    return finished;
  }

  /** Stops starting jobs and reading input; jobs in flight still finish. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    void this.#source.return?.();
    this.pump();
  }


  pump(): void {
    // Jobs may finish synchronously inside start(); loop instead of recursing.
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    do {
      this.#again = false;
      this.#fill();
    } while (this.#again);
    this.#pumping = false;
    if (this.#active === 0 && (this.#stopped || (this.#exhausted && this.#index >= this.#batch.length && (this.#frontier?.size ?? 0) === 0))) {
      if (this.#failure !== null) this.#reject(this.#failure.err);
      else this.#resolve();
    }
  }

  #fill(): void {
    const hooks = this.#hooks;
    while (this.#active < this.#limit && !this.#stopped && !hooks.paused()) {
      if (this.#index < this.#batch.length) {
        const job = this.#batch[this.#index++]!;
        this.#active++;
        this.#startedFromInput++;
        hooks.start(job);
        continue;
      }
      // Input first (seeds are depth 0: breadth first), then what the run discovered; the
      // next batch is asked for meanwhile, so a slow pipe does not hold the frontier back.
      if (!this.#exhausted && !this.#pulling) this.#pull();
      const next = this.#frontier?.shift();
      if (next === undefined) return;
      this.#active++;
      hooks.start(next);
    }
  }

  #pull(): void {
    this.#pulling = true;
    this.#source.next().then(
      (result) => {
        this.#pulling = false;
        if (result.done) this.#exhausted = true;
        else {
          this.#batch = result.value;
          this.#index = 0;
        }
        this.pump();
      },
      (err: unknown) => {
        this.#pulling = false;
        this.#exhausted = true;
        // After stop() the input may be torn down on purpose (stdin destroyed on a signal).
        // Otherwise the run fails, but only once the jobs in flight have written their records.
        if (!this.#stopped) this.#failure = { err };
        this.pump();
      },
    );
  }
}
