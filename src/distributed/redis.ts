// The Redis side of a distributed crawl: connection, key names, and the Lua scripts that make
// each multi-key step atomic. Every key of one queue shares the hash tag `{queue}`, so the
// scripts also run on a Redis Cluster (all keys of a script must live in one slot).
//
// Layout for queue Q:
//   sweep:{Q}:jobs       stream of jobs: l (line), u (URL as shown), o (origin), p (path), a (auth)
//   sweep:{Q}:results    stream of records: j (job entry id, '' for invalid lines), l, r (NDJSON)
//   sweep:{Q}:meta       hash: enqueued, invalid, duplicates, ok, failed, runs (finished enqueues)
//   sweep:{Q}:seen       set of SHA-1s of origin+path+auth already enqueued (only with --dedupe)
//   sweep:{Q}:producers  sorted set: enqueue runs in progress, scored by lease expiry (ms)
//   sweep:{Q}:workers    hash: consumer name -> JSON heartbeat {rps, done, at}
//   sweep:{Q}:rate       hash: token bucket of the global --rate
//   sweep:{Q}:host-rate:<origin>  string: next free start time of that origin under --per-host-rate
// The consumer group on the jobs stream is called `sweep`.

import type { ChainableCommander, Redis } from 'ioredis';

export const GROUP = 'sweep';

export interface QueueKeys {
  jobs: string;
  results: string;
  meta: string;
  seen: string;
  producers: string;
  workers: string;
  rate: string;
  /** Prefix of the per-origin schedules of --per-host-rate (the origin follows). */
  hostRate: string;
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
    hostRate: base + 'host-rate:',
  };
}

/**
 * enqueue: KEYS jobs, results, meta, seen; ARGV[1] = '1' to dedupe, then groups of 5:
 * job:     'j', line, url, origin, path, auth ('' for none)   -> XADD jobs (unless seen)
 * invalid: 'r', line, record, '', '', ''                      -> XADD results directly
 * Returns {added, duplicates, invalid}.
 */
const ENQUEUE = `
local dedupe = ARGV[1] == '1'
local added, dup, invalid = 0, 0, 0
for i = 2, #ARGV, 6 do
  if ARGV[i] == 'r' then
    redis.call('XADD', KEYS[2], '*', 'j', '', 'l', ARGV[i+1], 'r', ARGV[i+2])
    invalid = invalid + 1
  else
    local fresh = true
    if dedupe then
      -- A digest, not the URL: a fixed 40 bytes a member, and no credentials kept in the set.
      fresh = redis.call('SADD', KEYS[4], redis.sha1hex(ARGV[i+3] .. ARGV[i+4] .. '\\n' .. ARGV[i+5])) == 1
    end
    if fresh then
      if ARGV[i+5] == '' then
        redis.call('XADD', KEYS[1], '*', 'l', ARGV[i+1], 'u', ARGV[i+2], 'o', ARGV[i+3], 'p', ARGV[i+4])
      else
        redis.call('XADD', KEYS[1], '*', 'l', ARGV[i+1], 'u', ARGV[i+2], 'o', ARGV[i+3], 'p', ARGV[i+4], 'a', ARGV[i+5])
      end
      added = added + 1
    else
      -- The same record a local --dedupe writes for a duplicate line (cjson escapes '/' as '\\/':
      -- the same JSON string).
      redis.call('XADD', KEYS[2], '*', 'j', '', 'l', ARGV[i+1], 'r', '{"line":' .. ARGV[i+1] .. ',"url":' .. cjson.encode(ARGV[i+2]) ..
        ',"ok":false,"status":null,"bytes":0,"attempts":0,"ms":0,"ttfbMs":null,"redirects":0,"finalUrl":null,"error":null,"skipped":"duplicate"}')
      dup = dup + 1
    end
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[3], 'enqueued', added) end
if dup > 0 then redis.call('HINCRBY', KEYS[3], 'duplicates', dup) end
if invalid > 0 then
  redis.call('HINCRBY', KEYS[3], 'invalid', invalid)
  redis.call('HINCRBY', KEYS[3], 'failed', invalid)
end
return {added, dup, invalid}
`;

/**
 * complete: KEYS jobs, results, meta; ARGV[1] = group, then groups of 4: entry id, line, ok, record.
 * XACK gates the XADD: the record of an entry is written by whichever worker acknowledges it
 * first, and a second delivery (after a reclaim) finds it acknowledged and writes nothing. The
 * record and the acknowledgement are one atomic step, so neither can exist without the other.
 * Returns one flag per entry: 1 written by this call, 0 already done elsewhere.
 */
const COMPLETE = `
local written = {}
local ok, failed = 0, 0
for i = 2, #ARGV, 4 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XADD', KEYS[2], '*', 'j', ARGV[i], 'l', ARGV[i+1], 'r', ARGV[i+3])
    if ARGV[i+2] == '1' then ok = ok + 1 else failed = failed + 1 end
    written[#written+1] = 1
  else
    written[#written+1] = 0
  end
end
if ok > 0 then redis.call('HINCRBY', KEYS[3], 'ok', ok) end
if failed > 0 then redis.call('HINCRBY', KEYS[3], 'failed', failed) end
return written
`;

/**
 * take tokens: KEYS rate; ARGV rate (per s), burst, wanted. A token bucket on Redis's own clock,
 * shared by every worker of the queue. Returns {granted, wait ms before asking again}.
 */
const TAKE_TOKENS = `
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
local wait = 0
if granted == 0 then wait = math.ceil((1 - tokens) * 1000 / rate) end
return {granted, wait}
`;

/**
 * host slot: KEYS one origin's schedule; ARGV interval ms. GCRA as reservations: each call takes
 * the origin's next free start time (never earlier than now) and moves it one interval on, so
 * starts of every worker of the queue are spaced at least `interval` apart on Redis's clock,
 * with no burst. Returns the ms from now until the reserved start.
 */
const HOST_SLOT = `
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local slot = tonumber(redis.call('GET', KEYS[1])) or now
if slot < now then slot = now end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil(slot + interval - now) + 60000)
return math.ceil(slot - now)
`;

export interface SweepRedis extends Redis {
  sweepEnqueue(jobs: string, results: string, meta: string, seen: string, ...args: string[]): Promise<[number, number, number]>;
  sweepComplete(jobs: string, results: string, meta: string, ...args: string[]): Promise<number[]>;
  sweepTakeTokens(rate: string, perSec: number, burst: number, want: number): Promise<[number, number]>;
  sweepHostSlot(schedule: string, intervalMs: number): Promise<number>;
}

/** A connection failure at start, reported as one line (exit 1), not a stack trace. */
export class RedisUnavailable extends Error {}

/** An error of Redis or of the connection to it (not a bug of sweep's): one line, exit 1. */
export function isRedisError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  return (
    err instanceof RedisUnavailable ||
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
  const { Redis } = await import('ioredis');
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
  redis.defineCommand('sweepEnqueue', { numberOfKeys: 4, lua: ENQUEUE });
  redis.defineCommand('sweepComplete', { numberOfKeys: 3, lua: COMPLETE });
  redis.defineCommand('sweepTakeTokens', { numberOfKeys: 1, lua: TAKE_TOKENS });
  redis.defineCommand('sweepHostSlot', { numberOfKeys: 1, lua: HOST_SLOT });
  return redis as SweepRedis;
}

/** A second connection with the same settings (blocking reads need their own). */
export function duplicate(redis: SweepRedis): SweepRedis {
  const copy = redis.duplicate() as SweepRedis;
  copy.on('error', () => {});
  return copy;
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
