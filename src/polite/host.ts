// One origin's state in the host gate: the jobs parked for it, its requests in flight, when it
// may start next (host-timing.ts), its robots.txt rules, its wake-up timer and its start count.
// The gate keeps one Host per origin it has work for, and forgets idle ones.

import type { Job } from '../input.js';
import { Fifo } from './fifo.js';
import type { HostRules } from './gate-types.js';
import { StartCount } from './gate-stats.js';
import { HostTiming } from './host-timing.js';

export class Host {
  readonly origin: string;
  /** Jobs parked for this origin, oldest first. */
  readonly queue = new Fifo<Job>();
  inFlight = 0;
  readonly timing: HostTiming;
  /** The one timer that wakes this host (pause or rate wait over); never one per job. */
  timer: NodeJS.Timeout | null = null;
  /** In the gate's ready list (or being started from it). */
  inReady = false;
  /** undefined: not asked yet (or --robots off); null: loading. */
  rules: HostRules | null | undefined = undefined;
  readonly starts = new StartCount();

  constructor(origin: string, perHostRate: number | null) {
    this.origin = origin;
    this.timing = new HostTiming(perHostRate);
  }

  get queued(): number {
    return this.queue.length;
  }
}
