// The Redis side of a distributed crawl: connection, key names and the queue's state. The Lua
// scripts that make each multi-key step atomic are in scripts.ts. Every key of one queue shares
// the hash tag `{queue}`, so the scripts also run on a Redis Cluster (all keys of a script must
// live in one slot).
//
// Layout for queue Q:
//   sweep:{Q}:jobs       stream of jobs: l (line), u (URL as shown), o (origin), p (path), a (auth);
//                        an entry is deleted when it is acknowledged (with its record)
//   sweep:{Q}:results    stream of records: j (job entry id, '' for invalid lines), l, r (NDJSON);
//                        `sweep results --trim` deletes what it exported
//   sweep:{Q}:dead       stream of dead letters: j, l, u, o, p, n (deliveries) (--max-deliveries)
//   sweep:{Q}:meta       hash: enqueued, invalid, duplicates, ok, failed, runs (finished enqueues),
//                        dead (dead letters), exported (records trimmed after an export)
//   sweep:{Q}:seen       set of SHA-1s of origin+path+auth already enqueued (only with --dedupe)
//   sweep:{Q}:producers  sorted set: enqueue runs in progress, scored by lease expiry (ms)
//   sweep:{Q}:workers    hash: consumer name -> JSON heartbeat {rps, done, at}
//   sweep:{Q}:rate       hash: token bucket of the global --rate
//   sweep:{Q}:host-rate:<origin>  string: next free start time of that origin under --per-host-rate
//   sweep:{Q}:pauses     sorted set: origin -> end of its host pause (Redis clock ms), after a 429;
//                        the same name is the pub/sub channel that tells workers of a new pause
// The consumer group on the jobs stream is called `sweep`.

import { createRequire } from 'node:module';
import type { ChainableCommander, Redis } from 'ioredis';
import { defineScripts, type SweepRedis } from './scripts.js';

export type { SweepRedis } from './scripts.js';

export const GROUP = 'sweep';

export interface QueueKeys {
  jobs: string;
  results: string;
  meta: string;
  seen: string;
  producers: string;
  workers: string;
  rate: string;
  /** Dead letters: entries delivered --max-deliveries times that no worker finished. */
  dead: string;
  /** Recursive crawls: SHA-1s of every normalized URL admitted (seeds and found ones). */
  found: string;
  /** Host pauses shared by the workers (a sorted set), and the channel that announces them. */
  pauses: string;
  /** Prefix of the per-origin schedules of --per-host-rate (the origin follows). */
  hostRate: string;
  /** Held by the one `results --trim` exporting the queue (a token that expires; results.ts). */
  exporter: string;
}

export function queueKeys(queue: string): QueueKeys {
  const base = `sweep:{${queue}}:`;
  return {
    jobs: base + 'jobs',
    results: base + 'results',
    meta: base + 'meta',
    seen: base + 'seen',
    producers: base + 'producers',
    workers: base + 'workers',
    rate: base + 'rate',
    dead: base + 'dead',
    found: base + 'found',
    pauses: base + 'pauses',
    hostRate: base + 'host-rate:',
    exporter: base + 'exporter',
  };
}

/** A connection failure at start, reported as one line (exit 1), not a stack trace. */
export class RedisUnavailable extends Error {}

/** A queue held by another command that must run alone (results --trim): one line, exit 1. */
export class QueueBusy extends Error {}

/** An error of Redis, of the connection to it or a busy queue (not a bug of sweep's): one line, exit 1. */
export function isRedisError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  return (
    err instanceof RedisUnavailable ||
    err instanceof QueueBusy ||
    err.name === 'ReplyError' ||
    err.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(err.message)
  );
}

/**
 * Connects and waits until Redis answers. Reconnects after a drop for ~10 s (then commands
 * fail and the command ends; its unfinished entries stay pending for other workers).
 */
export async function connect(url: string): Promise<SweepRedis> {
  // Required, not imported (CommonJS: an import runs Node's export lexer over it first; 110 ms
  // against 84 here).
  const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    retryStrategy: (times) => (times > 10 ? null : Math.min(times * 200, 2_000)),
  });
  // Errors surface through the commands that fail; without a listener ioredis logs each one.
  // The last one says why a connection failed (connect() itself only says it closed).
  let lastError: Error | null = null;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const why = (lastError ?? (err as Error)).message;
    throw new RedisUnavailable(`cannot connect to Redis at ${redactRedisUrl(url)}: ${why}`);
  }
  return defineScripts(redis);
}

/** A second connection with the same settings (blocking reads need their own). */
export function duplicate(redis: SweepRedis): SweepRedis {
  const copy = redis.duplicate();
  copy.on('error', () => {});
  return defineScripts(copy);
}

export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^/@]*:)[^/@]*@/i, '$1***@');
}

/** Creates the consumer group (reading from the start of the stream) unless it exists. */
export async function ensureGroup(redis: Redis, keys: QueueKeys): Promise<void> {
  try {
    await redis.xgroup('CREATE', keys.jobs, GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
  }
}

export interface QueueState {
  /** Entries ever added to the jobs stream. */
  added: number;
  /** Entries not yet delivered to any worker. */
  queued: number;
  /** Delivered, not yet acknowledged (in flight, or held by a dead worker until reclaimed). */
  pending: number;
  /** Enqueue runs still writing. */
  producers: number;
  /** Enqueue runs that finished writing. */
  runs: number;
}

function field(list: unknown[], name: string): unknown {
  const i = list.indexOf(name);
  return i === -1 ? undefined : list[i + 1];
}

/**
 * The queue's state, read in one MULTI so it is a single point in time: an enqueue run writes
 * all its entries before it stops counting as a producer, so "no producer, nothing queued" read
 * atomically means nothing more is coming. `more` may add reads to the same transaction; their
 * replies come back in `rest` ([error, reply] pairs).
 */
export async function queueSnapshot(
  redis: Redis,
  keys: QueueKeys,
  more: (m: ChainableCommander) => void = () => {},
): Promise<{ state: QueueState; rest: [Error | null, unknown][] }> {
  const m = redis
    .multi()
    .call('XINFO', 'STREAM', keys.jobs)
    .call('XINFO', 'GROUPS', keys.jobs)
    .zcount(keys.producers, Date.now(), '+inf')
    .hget(keys.meta, 'runs');
  more(m);
  const replies = (await m.exec()) ?? [];
  const reply = (i: number): unknown => (replies[i]?.[0] ? null : replies[i]?.[1]);
  // A missing stream is an error reply: nothing was ever enqueued.
  const stream = reply(0) as unknown[] | null;
  const groups = (reply(1) as unknown[][] | null) ?? [];
  const added = stream === null ? 0 : Number(field(stream, 'entries-added') ?? field(stream, 'length') ?? 0);
  const group = groups.find((g) => field(g, 'name') === GROUP);
  const base = { added, producers: Number(reply(2) ?? 0), runs: Number(reply(3) ?? 0) };
  let state: QueueState = { ...base, queued: added, pending: 0 };
  if (group !== undefined) {
    const lag = field(group, 'lag');
    const read = field(group, 'entries-read');
    // lag is null only when Redis cannot compute it (entries deleted from the stream): fall back.
    const queued = lag !== null && lag !== undefined ? Number(lag) : Math.max(0, added - Number(read ?? 0));
    state = { ...base, queued, pending: Number(field(group, 'pending') ?? 0) };
  }
  return { state, rest: replies.slice(4) as [Error | null, unknown][] };
}

export async function queueState(redis: Redis, keys: QueueKeys): Promise<QueueState> {
  return (await queueSnapshot(redis, keys)).state;
}

/** Some enqueue run finished, nobody is enqueueing, nothing is queued or in flight. */
export function isFinished(s: QueueState): boolean {
  return s.runs > 0 && s.producers === 0 && s.queued === 0 && s.pending === 0;
}
