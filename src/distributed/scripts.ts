// The Lua scripts that make each multi-key step of a distributed crawl atomic, and the commands
// they become on a connection (defineScripts). Every key a script touches is passed in KEYS and
// shares the queue's hash tag `{queue}`, so they also run on a Redis Cluster.
//
// A job entry ends in exactly one of two atomic steps, each acknowledging and deleting it with
// the one record it gets: COMPLETE (a worker crawled it) or a dead letter (RECLAIM_*: it was
// delivered --max-deliveries times and no worker finished it).

import type { Redis } from 'ioredis';

/**
 * enqueue: KEYS jobs, results, meta, seen, found; ARGV[1] = '1' to dedupe, then groups of 7:
 * job:     'j', line, url, origin, path, auth ('' for none), seed key ('' unless recursive)
 *                                                              -> XADD jobs (unless seen)
 * invalid: 'r', line, record, '', '', '', ''                  -> XADD results directly
 * found:   'f', '0', url, origin, path, parent field, key     -> XADD jobs at depth 0 unless the
 *          crawl admitted the key before (--sitemaps: a seed origin's robots.txt)
 * Returns {added, duplicates, invalid}.
 */
const ENQUEUE = `
local dedupe = ARGV[1] == '1'
local added, dup, invalid = 0, 0, 0
local maxPages = tonumber(redis.call('HGET', KEYS[3], 'maxPages') or '0')
for i = 2, #ARGV, 7 do
  if ARGV[i] == 'r' then
    redis.call('XADD', KEYS[2], '*', 'j', '', 'l', ARGV[i+1], 'r', ARGV[i+2])
    invalid = invalid + 1
  elseif ARGV[i] == 'f' then
    -- As COMPLETE admits a page's links: once per crawl, counted as a page, within --max-pages.
    local room = maxPages == 0 or tonumber(redis.call('HGET', KEYS[3], 'pages') or '0') < maxPages
    if room and redis.call('SADD', KEYS[5], redis.sha1hex(ARGV[i+6])) == 1 then
      redis.call('XADD', KEYS[1], '*', 'l', '0', 'u', ARGV[i+2], 'o', ARGV[i+3], 'p', ARGV[i+4], 'd', '0', 'pa', ARGV[i+5])
      redis.call('HINCRBY', KEYS[3], 'pages', 1)
      added = added + 1
    end
  else
    local fresh = true
    if dedupe then
      -- A digest, not the URL: a fixed 40 bytes a member, and no credentials kept in the set.
      fresh = redis.call('SADD', KEYS[4], redis.sha1hex(ARGV[i+3] .. ARGV[i+4] .. '\\n' .. ARGV[i+5])) == 1
    end
    if fresh then
      local entry = {'l', ARGV[i+1], 'u', ARGV[i+2], 'o', ARGV[i+3], 'p', ARGV[i+4]}
      if ARGV[i+5] ~= '' then entry[#entry+1] = 'a'; entry[#entry+1] = ARGV[i+5] end
      -- A recursive crawl's seed: depth 0 and its key, remembered so no page admits it again.
      if ARGV[i+6] ~= '' then
        entry[#entry+1] = 'd'; entry[#entry+1] = '0'; entry[#entry+1] = 's'; entry[#entry+1] = ARGV[i+6]
        redis.call('SADD', KEYS[5], redis.sha1hex(ARGV[i+6]))
        redis.call('HINCRBY', KEYS[3], 'pages', 1)
      end
      redis.call('XADD', KEYS[1], '*', unpack(entry))
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
 * complete: KEYS jobs, results, meta, found; ARGV[1] = group, then groups of 5: entry id, line, ok,
 * record, and the links its page gave ('' when none; recursive crawls).
 * XACK gates the XADD: the record of an entry is written by whichever worker acknowledges it
 * first, and a second delivery (after a reclaim) finds it acknowledged and writes nothing. The
 * record and the acknowledgement are one atomic step, so neither can exist without the other.
 * The acknowledged entry is deleted from the jobs stream in the same step (what Redis 8.2's
 * XACKDEL does): the stream holds only entries queued or in flight, never the finished crawl.
 * Returns one flag per entry: 1 written by this call, 0 already done elsewhere.
 */
const COMPLETE = `
local written, acked = {}, {}
local ok, failed = 0, 0
local maxPages = tonumber(redis.call('HGET', KEYS[3], 'maxPages') or '0')
-- The pages counter, read once: a script runs alone, so it is counted here and written back
-- once at the end.
local pages = maxPages > 0 and tonumber(redis.call('HGET', KEYS[3], 'pages') or '0') or 0
local admittedTotal = 0
-- A page's links: "depth<TAB>parent<TAB>url<TAB>url...". Each normalized URL new to the crawl
-- becomes a job entry, in the same atomic step as the page's record and acknowledgement: so
-- once nothing is pending, nothing more can be added, and the queue can tell it is finished.
local function admit(blob)
  local parts, n = {}, 0
  for field in string.gmatch(blob, '[^\t]+') do n = n + 1; parts[n] = field end
  local depth, parent = parts[1], parts[2]
  local admitted = 0
  for k = 3, n do
    local url = parts[k]
    if maxPages > 0 and pages >= maxPages then break end
    if redis.call('SADD', KEYS[4], redis.sha1hex(url)) == 1 then
      local slash = string.find(url, '/', string.find(url, '://', 1, true) + 3, true)
      redis.call('XADD', KEYS[1], '*', 'l', '0', 'u', url, 'o', string.sub(url, 1, slash - 1), 'p', string.sub(url, slash),
        'd', depth, 'pa', parent)
      pages = pages + 1
      admitted = admitted + 1
    end
  end
  return admitted
end
for i = 2, #ARGV, 5 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    acked[#acked+1] = ARGV[i]
    redis.call('XADD', KEYS[2], '*', 'j', ARGV[i], 'l', ARGV[i+1], 'r', ARGV[i+3])
    if ARGV[i+2] == '1' then ok = ok + 1 else failed = failed + 1 end
    if ARGV[i+4] ~= '' then admittedTotal = admittedTotal + admit(ARGV[i+4]) end
    written[#written+1] = 1
  else
    written[#written+1] = 0
  end
end
-- One XDEL for the batch: half the cost of one per entry (measured: ~3 us an entry against ~6).
if #acked > 0 then redis.call('XDEL', KEYS[1], unpack(acked)) end
if ok > 0 then redis.call('HINCRBY', KEYS[3], 'ok', ok) end
if failed > 0 then redis.call('HINCRBY', KEYS[3], 'failed', failed) end
if admittedTotal > 0 then
  redis.call('HINCRBY', KEYS[3], 'enqueued', admittedTotal)
  redis.call('HINCRBY', KEYS[3], 'pages', admittedTotal)
end
return written
`;

/**
 * Shared by the RECLAIM scripts (KEYS jobs, results, meta, dead; ARGV[1] group): ends an entry
 * delivered too often. Its acknowledgement gates the rest, as in COMPLETE: a `max_deliveries`
 * record in the results, a copy in the dead-letter stream (line, URL as shown, origin, path and
 * deliveries; no credentials; the stream keeps the newest ARGV[#ARGV] of them), and its deletion
 * from the jobs stream, in the same atomic step.
 * `fields` is the entry's field list, or nil when the entry is gone from the stream.
 * The record is record.ts's unfetchedRecord for the worker's job (source.ts toJob): a found URL's
 * line is null, and a recursive crawl's entry carries its depth, parent and kind, the parent
 * field decoded as follow/via.ts decodeParent does. test/distributed-dead.test.ts compares the two.
 */
const DEAD_LETTER = `
local letters_kept = tonumber(ARGV[#ARGV])
local kinds = {p = 'page', r = 'robots', s = 'sitemap'}
local function via_fields(f)
  if not f['d'] then return '' end
  local pa = f['pa'] or ''
  local kind = kinds[string.sub(pa, 1, 1)]
  if kind == nil or #pa < 2 then return ',"depth":' .. f['d'] .. ',"parent":null' end
  local rest = string.sub(pa, 2)
  local space = string.find(rest, ' ', 1, true)
  local out = ',"depth":' .. f['d'] .. ',"parent":' .. cjson.encode(space and string.sub(rest, 1, space - 1) or rest)
  if kind ~= 'page' then out = out .. ',"kind":"' .. kind .. '"' end
  return out
end
local function dead_letter(id, fields, deliveries, max)
  if redis.call('XACK', KEYS[1], ARGV[1], id) == 0 then return 0 end
  redis.call('XDEL', KEYS[1], id)
  if not fields then return 0 end
  local f = {}
  for i = 1, #fields, 2 do f[fields[i]] = fields[i+1] end
  local line, url = f['l'] or '0', f['u'] or ''
  local message = 'delivered ' .. deliveries .. ' times and never finished (--max-deliveries ' .. max ..
    '): each worker that took it died or stalled; not delivered again'
  redis.call('XADD', KEYS[2], '*', 'j', id, 'l', line, 'r', '{"line":' .. (line == '0' and 'null' or line) .. ',"url":' .. cjson.encode(url) ..
    ',"ok":false,"status":null,"bytes":0,"attempts":0,"ms":0,"ttfbMs":null,"redirects":0,"finalUrl":null' ..
    ',"error":{"code":"max_deliveries","message":' .. cjson.encode(message) .. '}' .. via_fields(f) .. '}')
  redis.call('XADD', KEYS[4], 'MAXLEN', letters_kept, '*', 'j', id, 'l', line, 'u', url, 'o', f['o'] or '', 'p', f['p'] or '', 'n', deliveries)
  return 1
end
local function count_dead(dead)
  if dead > 0 then
    redis.call('HINCRBY', KEYS[3], 'failed', dead)
    redis.call('HINCRBY', KEYS[3], 'dead', dead)
  end
end
`;

/**
 * reclaim own: KEYS jobs, results, meta, dead; ARGV group, consumer, start, count, max deliveries,
 * dead letters kept.
 * The entries this consumer held in an earlier life (a worker restarted under the same name),
 * from `start` on: each one already delivered `max` times becomes a dead letter; the others are
 * claimed again (XCLAIM counts the delivery). Returns {next start ('0-0': done), entries, dead}.
 */
const RECLAIM_OWN = DEAD_LETTER + `
local count, max = tonumber(ARGV[4]), tonumber(ARGV[5])
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], '+', count, ARGV[2])
local ids, dead = {}, 0
for _, p in ipairs(pending) do
  if tonumber(p[4]) >= max then
    local e = redis.call('XRANGE', KEYS[1], p[1], p[1])
    dead = dead + dead_letter(p[1], e[1] and e[1][2], p[4], max)
  else
    ids[#ids+1] = p[1]
  end
end
count_dead(dead)
local entries = {}
if #ids > 0 then entries = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids)) end
local cursor = '0-0'
if #pending >= count then cursor = '(' .. pending[#pending][1] end
return {cursor, entries, dead}
`;

/**
 * reclaim idle: KEYS jobs, results, meta, dead; ARGV group, consumer, min idle ms, start, count,
 * max deliveries, dead letters kept. XAUTOCLAIM (entries another worker held this long: it died or stalled), then
 * each claimed entry that has now been delivered more than `max` times becomes a dead letter
 * instead of being handed to this worker. XAUTOCLAIM returns no delivery counts; XPENDING on the
 * one id does. Returns {next start ('0-0': a full pass ended), entries, dead}.
 */
const RECLAIM_IDLE = DEAD_LETTER + `
local max = tonumber(ARGV[6])
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local kept, dead = {}, 0
for _, e in ipairs(r[2]) do
  if e then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local n = p[1] and tonumber(p[1][4]) or 0
    if n > max then dead = dead + dead_letter(e[1], e[2], n - 1, max) else kept[#kept+1] = e end
  end
end
count_dead(dead)
return {r[1], kept, dead}
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
 * host slot: KEYS one origin's schedule, the host pauses; ARGV interval ms, origin. GCRA as
 * reservations: each call takes the origin's next free start time (never earlier than now, nor
 * than the end of the origin's host pause) and moves it one interval on, so starts of every
 * worker of the queue are spaced at least `interval` apart on Redis's clock, with no burst, and
 * none falls in a pause, whatever a worker has heard of it yet. Returns the ms from now until
 * the reserved start.
 */
const HOST_SLOT = `
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local slot = tonumber(redis.call('GET', KEYS[1])) or now
if slot < now then slot = now end
local paused = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[2]))
if paused ~= nil and paused > slot then slot = paused end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil(slot + interval - now) + 60000)
return math.ceil(slot - now)
`;

/**
 * pause host: KEYS the host pauses (sorted set origin -> end, Redis clock ms); ARGV origin, ms,
 * channel. Keeps the later of the origin's pause and this one; when this one is later, tells
 * every worker on the channel ("<ms> <origin>": the remaining time, so no clocks are compared).
 * Ended pauses are dropped here, and the set expires after its last pause. Returns 1 when the
 * pause was news.
 */
const PAUSE_HOST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local current = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if current ~= nil and current >= now + ms then return 0 end
redis.call('ZADD', KEYS[1], now + ms, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(last[2]) - now) + 1000)
redis.call('PUBLISH', ARGV[3], ARGV[2] .. ' ' .. ARGV[1])
return 1
`;

/** host pauses: KEYS the host pauses. Returns {origin, remaining ms, ...} of the pauses running. */
const HOST_PAUSES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local list = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #list, 2 do
  out[#out+1] = list[i]
  out[#out+1] = tostring(math.ceil(tonumber(list[i+1]) - now))
end
return out
`;

/**
 * forget consumer: KEYS jobs; ARGV group, consumer. Deletes the consumer from the group only when
 * it holds no entry (DELCONSUMER would drop the entries it holds from the pending list, and
 * nobody could take them over). Returns 1 when deleted.
 */
const FORGET_CONSUMER = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * trim results: KEYS results, meta; ARGV min id. Deletes the records before `min id` (what an
 * export wrote and synced) and counts them in meta `exported`, so `done` still counts them.
 * Returns how many were deleted.
 */
const TRIM_RESULTS = `
local n = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
if n > 0 then redis.call('HINCRBY', KEYS[2], 'exported', n) end
return n
`;

/**
 * A lease (KEYS key; ARGV token, ms): renewed for `ms` only while `token` holds it; ms 0 lets go
 * of it. Returns 1 when the token held it, 0 when it had expired or was someone else's.
 */
const LEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/** {next start, entries ([id, fields] pairs), entries made dead letters}. */
export type ReclaimReply = [next: string, entries: [string, string[]][], dead: number];

export interface SweepRedis extends Redis {
  sweepEnqueue(jobs: string, results: string, meta: string, seen: string, found: string, ...args: string[]): Promise<[number, number, number]>;
  sweepComplete(jobs: string, results: string, meta: string, found: string, ...args: string[]): Promise<number[]>;
  sweepReclaimOwn(
    jobs: string, results: string, meta: string, dead: string, group: string, consumer: string, start: string, count: number, max: number, kept: number,
  ): Promise<ReclaimReply>;
  sweepReclaimIdle(
    jobs: string, results: string, meta: string, dead: string, group: string, consumer: string, minIdleMs: number, start: string, count: number, max: number,
    kept: number,
  ): Promise<ReclaimReply>;
  sweepTakeTokens(rate: string, perSec: number, burst: number, want: number): Promise<[number, number]>;
  sweepHostSlot(schedule: string, pauses: string, intervalMs: number, origin: string): Promise<number>;
  sweepPauseHost(pauses: string, origin: string, ms: number, channel: string): Promise<number>;
  sweepHostPauses(pauses: string): Promise<string[]>;
  sweepTrimResults(results: string, meta: string, minId: string): Promise<number>;
  sweepForgetConsumer(jobs: string, group: string, consumer: string): Promise<number>;
  sweepLease(key: string, token: string, ms: number): Promise<number>;
}

/** Makes the scripts commands of this connection (each connection needs its own). */
export function defineScripts(redis: Redis): SweepRedis {
  redis.defineCommand('sweepEnqueue', { numberOfKeys: 5, lua: ENQUEUE });
  redis.defineCommand('sweepComplete', { numberOfKeys: 4, lua: COMPLETE });
  redis.defineCommand('sweepReclaimOwn', { numberOfKeys: 4, lua: RECLAIM_OWN });
  redis.defineCommand('sweepReclaimIdle', { numberOfKeys: 4, lua: RECLAIM_IDLE });
  redis.defineCommand('sweepTakeTokens', { numberOfKeys: 1, lua: TAKE_TOKENS });
  redis.defineCommand('sweepHostSlot', { numberOfKeys: 2, lua: HOST_SLOT });
  redis.defineCommand('sweepPauseHost', { numberOfKeys: 1, lua: PAUSE_HOST });
  redis.defineCommand('sweepHostPauses', { numberOfKeys: 1, lua: HOST_PAUSES });
  redis.defineCommand('sweepTrimResults', { numberOfKeys: 2, lua: TRIM_RESULTS });
  redis.defineCommand('sweepForgetConsumer', { numberOfKeys: 1, lua: FORGET_CONSUMER });
  redis.defineCommand('sweepLease', { numberOfKeys: 1, lua: LEASE });
  return redis as SweepRedis;
}
