// Host pauses shared by every worker of a queue: a 429 (or a 503 with Retry-After) seen by one
// worker pauses that origin for all of them, as the rate limits are shared.
//
//   write: only when a response pauses a host (never on the success path): one PAUSE_HOST call,
//          which keeps the later pause of the origin in Redis and, when this one is later,
//          publishes it to every worker.
//   read:  never a round trip per URL. Each worker keeps a map of the origins paused now, filled
//          by those messages (they arrive about one round trip after the 429) and by one read of
//          every pause running when its subscription starts, or comes back after a reconnect
//          (a pub/sub message sent while a worker is not subscribed is lost). The gate asks
//          wait() before each start: an empty-map check, or one Map lookup.
//   With --per-host-rate the reservation script also reads the pause (HOST_SLOT), so no
//   reserved start falls inside it, whatever a worker has heard yet.
//
// Why pub/sub rather than a poll: a poll every p ms lets other workers go on sending for up to
// p ms after the 429 and costs round trips while nothing is paused; a message costs nothing
// until a host is paused and reaches every worker at once. The price is one more connection
// per worker (a subscribed connection can do nothing else).

import { duplicate, type QueueKeys, type SweepRedis } from './redis.js';

export class SharedPauses {
  readonly #writer: SweepRedis;
  readonly #key: string;
  readonly #sub: SweepRedis;
  /** origin -> performance.now() the pause ends; only origins paused now (ended ones are dropped). */
  readonly #until = new Map<string, number>();
  #closed = false;
  onError: (err: Error) => void = () => {};

  private constructor(writer: SweepRedis, keys: QueueKeys) {
    this.#writer = writer;
    this.#key = keys.pauses;
    this.#sub = duplicate(writer);
  }

  /** Subscribes, then reads the pauses already running (so none is missed in between). */
  static async open(writer: SweepRedis, keys: QueueKeys): Promise<SharedPauses> {
    const pauses = new SharedPauses(writer, keys);
    await pauses.#listen();
    return pauses;
  }

  /** ms `origin` stays paused (0: not paused). */
  wait(origin: string, now: number): number {
    if (this.#until.size === 0) return 0;
    const until = this.#until.get(origin);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.#until.delete(origin);
    return 0;
  }

  /** This worker paused `origin` for `ms` (its own gate already waits): tell every worker. */
  share(origin: string, ms: number): void {
    this.#note(origin, ms);
    this.#writer.sweepPauseHost(this.#key, origin, Math.ceil(ms), this.#key).catch((err: Error) => {
      if (!this.#closed) this.onError(err);
    });
  }

  close(): void {
    this.#closed = true;
    this.#sub.disconnect();
  }

  async #listen(): Promise<void> {
    const sub = this.#sub;
    sub.on('message', (_channel: string, message: string) => {
      const space = message.indexOf(' ');
      if (space > 0) this.#note(message.slice(space + 1), Number(message.slice(0, space)));
    });
    await sub.connect();
    await sub.subscribe(this.#key);
    await this.#load();
    // After a reconnect ioredis subscribes again by itself; what was sent meanwhile is read here.
    sub.on('ready', () => {
      this.#load().catch((err: Error) => {
        if (!this.#closed) this.onError(err);
      });
    });
  }

  async #load(): Promise<void> {
    const list = await this.#writer.sweepHostPauses(this.#key);
    for (let i = 0; i + 1 < list.length; i += 2) this.#note(list[i]!, Number(list[i + 1]));
  }

  #note(origin: string, ms: number): void {
    if (!(ms > 0)) return;
    const until = performance.now() + ms;
    const known = this.#until.get(origin);
    if (known === undefined || until > known) this.#until.set(origin, until);
  }
}
