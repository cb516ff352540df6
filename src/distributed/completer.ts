// Finished jobs of a worker -> Redis, in batches: one script call per event-loop turn (or per
// BATCH records) writes the records to the results stream and acknowledges their entries in
// one atomic step (see COMPLETE in scripts.ts). An entry is acknowledged only with its record.
// Records this worker wrote also go to its -o file when one was given.

import type { RecordSink } from '../output.js';
import { GROUP, type QueueKeys, type SweepRedis } from './redis.js';
import { TurnFlush } from '../turn-flush.js';

const BATCH = 500;

export class Completer {
  readonly #redis: SweepRedis;
  readonly #keys: QueueKeys;
  readonly #file: RecordSink | null;
  #args: string[] = [GROUP];
  #records: string[] = [];
  #inFlight = 0;
  #calls = new Set<Promise<void>>();
  /** Records handed over and not yet confirmed by Redis. */
  unconfirmed = 0;
  /** Records this worker wrote (first to acknowledge their entry). */
  written = 0;
  /** Records dropped because another worker had already written them (a reclaimed entry). */
  duplicates = 0;
  onConfirmed: () => void = () => {};
  onError: (err: Error) => void = () => {};

  constructor(redis: SweepRedis, keys: QueueKeys, file: RecordSink | null) {
    this.#redis = redis;
    this.#keys = keys;
    this.#file = file;
  }

  /** True while too much is waiting for Redis: the pool should not start more. */
  get backedUp(): boolean {
    return this.#inFlight >= 4 || (this.#file?.backedUp ?? false);
  }

  /** Queues one record (newline-terminated, as record.ts builds it) for its entry. */
  add(entryId: string, line: number, ok: boolean, record: string, links = ''): void {
    this.#args.push(entryId, String(line), ok ? '1' : '0', record.slice(0, -1), links);
    this.#records.push(record);
    this.unconfirmed++;
    if (this.#records.length >= BATCH) this.flush();
    else this.#endOfTurn.request();
  }

  readonly #endOfTurn = new TurnFlush(() => this.flush());

  flush(): void {
    if (this.#records.length === 0) return;
    const args = this.#args;
    const records = this.#records;
    this.#args = [GROUP];
    this.#records = [];
    this.#inFlight++;
    const k = this.#keys;
    const call = this.#redis.sweepComplete(k.jobs, k.results, k.meta, k.found, ...args).then(
      (flags) => {
        for (let i = 0; i < records.length; i++) {
          if (flags[i] === 1) {
            this.written++;
            this.#file?.write(records[i]!);
          } else this.duplicates++;
        }
      },
      (err: Error) => this.onError(err),
    );
    const tracked: Promise<void> = call.finally(() => {
      this.#inFlight--;
      this.unconfirmed -= records.length;
      this.#calls.delete(tracked);
      this.onConfirmed();
    });
    this.#calls.add(tracked);
  }

  /** Flushes and waits until Redis has confirmed everything handed over. */
  async drain(): Promise<void> {
    this.flush();
    while (this.#calls.size > 0) await Promise.all(this.#calls);
  }
}
