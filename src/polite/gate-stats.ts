// What the host gate counts for the summary: starts (for the achieved rates), host pauses and
// refused jobs. O(1) per start; the busiest host's rate is computed when asked, and kept when an
// idle host is forgotten.

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

/** Starts over time: how many, and when the first and the last were. */
export class StartCount {
  started = 0;
  first = 0;
  last = 0;

  count(now: number): void {
    if (this.started++ === 0) this.first = now;
    this.last = now;
  }

  /** One host's starts per second; null under 3 starts (too few to call a rate). */
  get hostRate(): number | null {
    return this.started >= 3 && this.last > this.first ? ((this.started - 1) * 1000) / (this.last - this.first) : null;
  }
}

export class GateCounters {
  readonly starts = new StartCount();
  pauses = 0;
  refused = 0;
  /** The busiest rate among hosts already forgotten. */
  #maxHostRate: number | null = null;

  /** A host the gate forgets: its rate still counts for the busiest host. */
  forget(host: StartCount): void {
    this.#maxHostRate = maxOf(this.#maxHostRate, host.hostRate);
  }

  stats(hosts: Iterable<{ readonly starts: StartCount }>): GateStats {
    let maxHost = this.#maxHostRate;
    for (const host of hosts) maxHost = maxOf(maxHost, host.starts.hostRate);
    const s = this.starts;
    return {
      started: s.started,
      achievedRate: s.started >= 2 ? ((s.started - 1) * 1000) / (s.last - s.first) : null,
      maxHostRate: maxHost,
      pauses: this.pauses,
      refused: this.refused,
    };
  }
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
