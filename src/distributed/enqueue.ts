// `sweep enqueue`: streams URL lists into the queue's jobs stream with the same input rules as a
// crawl (blank lines and comments skipped, invalid lines become `invalid_url` records at once).
// One script call per input chunk (~1,000-2,000 lines) carries the XADDs, so a batch costs one
// round trip; a few calls stay in flight while the next chunk is read.

import { randomUUID } from 'node:crypto';
import { readJobs, type InputProgress } from '../input.js';
import { normalizeUrl } from '../discover/normalize.js';
import type { FollowConfig } from '../follow/options.js';
import { followToJson } from '../follow/redis-links.js';
import { encodeParent } from '../follow/via.js';
import { unfetchedRecord } from '../record.js';
import { connect, ensureGroup, queueKeys, type SweepRedis } from './redis.js';

export interface EnqueueOptions {
  redis: string;
  queue: string;
  inputs: readonly string[];
  dedupe: boolean;
  quiet: boolean;
  /** Recursive crawl: the rules every worker follows links by (kept in the queue's meta). */
  follow: FollowConfig | null;
}

export interface EnqueueResult {
  added: number;
  duplicates: number;
  invalid: number;
  elapsedMs: number;
}

/** Script calls in flight at once: enough to hide the round trip, few enough to bound memory. */
const IN_FLIGHT = 4;
/** An enqueue run counts as alive for this long after its last batch (a killed one expires). */
const LEASE_MS = 30_000;

export async function enqueue(opts: EnqueueOptions, stdin: NodeJS.ReadableStream = process.stdin): Promise<EnqueueResult> {
  const redis = await connect(opts.redis);
  const keys = queueKeys(opts.queue);
  const started = performance.now();
  const producer = randomUUID();
  const total = { added: 0, duplicates: 0, invalid: 0 };
  try {
    await ensureGroup(redis, keys);
    if (opts.follow !== null) await redis.hset(keys.meta, 'follow', followToJson(opts.follow), 'maxPages', String(opts.follow.maxPages ?? 0));
    await redis.zadd(keys.producers, Date.now() + LEASE_MS, producer);
    let leaseAt = Date.now();
    const progress: InputProgress = { bytesRead: 0, bytesTotal: null, linesRead: 0, skipped: 0, done: false };
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    // --sitemaps: the origins whose robots.txt this run has queued (Redis keeps it once per crawl).
    const sitemapOrigins = opts.follow?.sitemaps ? new Set<string>() : null;
    for await (const batch of readJobs(opts.inputs, progress, stdin as never)) {
      const args: string[] = [opts.dedupe ? '1' : '0'];
      for (const job of batch) {
        const t = job.target;
        if (t === null) {
          args.push('r', String(job.line), unfetchedRecord(job, 'invalid_url', job.invalid ?? 'invalid URL').slice(0, -1), '', '', '', '');
          continue;
        }
        const seed = opts.follow === null ? '' : (normalizeUrl(t.origin + t.path) ?? '');
        args.push('j', String(job.line), job.url, t.origin, t.path, t.auth ?? '', seed);
        if (sitemapOrigins !== null && seed !== '') pushRobots(args, seed, sitemapOrigins);
      }
      const call: Promise<void> = send(redis, keys, args, total).then(
        () => void inFlight.delete(call),
        (err: unknown) => {
          inFlight.delete(call);
          failure ??= err;
        },
      );
      inFlight.add(call);
      if (Date.now() - leaseAt > LEASE_MS / 3) {
        leaseAt = Date.now();
        void redis.zadd(keys.producers, leaseAt + LEASE_MS, producer);
      }
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      if (failure !== null) throw failure;
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
    // Every entry is written before this run stops counting as a producer: a worker that sees
    // no producer and an empty stream may then end.
    await redis.multi().hincrby(keys.meta, 'runs', 1).zrem(keys.producers, producer).exec();
  } finally {
    redis.disconnect();
  }
  const elapsedMs = performance.now() - started;
  if (!opts.quiet) {
    const rate = Math.round((total.added / Math.max(elapsedMs, 1)) * 1000);
    process.stderr.write(
      `sweep: enqueued ${total.added} URLs to queue '${opts.queue}' in ${(elapsedMs / 1000).toFixed(2)} s (${rate} URLs/s)` +
        `; ${total.duplicates} duplicates skipped, ${total.invalid} invalid lines recorded\n`,
    );
  }
  return { ...total, elapsedMs };
}

/**
 * --sitemaps, as a local crawl does (follower.ts): the first seed of an origin brings its
 * robots.txt, a job of kind robots at depth 0 whose Sitemap lines (or /sitemap.xml) the worker
 * that fetches it admits as sitemaps.
 */
function pushRobots(args: string[], seed: string, origins: Set<string>): void {
  const origin = new URL(seed).origin;
  if (origins.has(origin)) return;
  origins.add(origin);
  const robots = `${origin}/robots.txt`;
  args.push('f', '0', robots, origin, '/robots.txt', encodeParent('robots', seed, seed), robots);
}

async function send(
  redis: SweepRedis,
  keys: ReturnType<typeof queueKeys>,
  args: string[],
  total: { added: number; duplicates: number; invalid: number },
): Promise<void> {
  if (args.length === 1) return;
  const [added, duplicates, invalid] = await redis.sweepEnqueue(keys.jobs, keys.results, keys.meta, keys.seen, keys.found, ...args);
  total.added += added;
  total.duplicates += duplicates;
  total.invalid += invalid;
}
