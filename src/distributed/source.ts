// The worker's job source: batches of Jobs from the consumer group, in the shape the Pool pulls
// (an async iterable of arrays), so a worker runs the very same pool as a local crawl.
//
// Order of reads: first this consumer's own pending entries (a worker restarted under the same
// --consumer name resumes what it held), then entries idle longer than --claim-idle in other
// consumers' lists (XAUTOCLAIM: their worker died), then new entries (XREADGROUP >). The
// source ends when the queue is finished (see isFinished), unless `follow` is set.
//
// Taking back an entry (own or another's) counts a delivery. An entry already delivered
// --max-deliveries times is not handed out again: the same script call makes it a dead letter
// (its `max_deliveries` record, acknowledged; see RECLAIM_* in scripts.ts), so a URL that kills
// or hangs every worker that takes it cannot keep the queue from finishing.

import { decodeParent } from '../follow/via.js';
import type { Job } from '../input.js';
import { GROUP, isFinished, queueState, type QueueKeys, type SweepRedis } from './redis.js';

/**
 * Dead letters the queue's dead-letter stream keeps, the newest (~200 bytes each in Redis, so
 * ~20 MB at most): every one also has its record in the results, which never drops any.
 */
export const DEAD_LETTERS_KEPT = 100_000;

export interface QueuedJob extends Job {
  /** The jobs-stream entry id: what is acknowledged, and the record's identity. */
  entryId: string;
}

export interface SourceOptions {
  consumer: string;
  batch: number;
  claimIdleMs: number;
  follow: boolean;
  /** How long one blocking read waits for new entries. */
  blockMs: number;
  /** An entry delivered this many times without being finished becomes a dead letter. */
  maxDeliveries: number;
}

export interface SourceCounters {
  reclaimed: number;
  resumed: number;
  /** Entries this worker made dead letters. */
  dead: number;
}

type Entry = [id: string, fields: string[]] | null;

export function toJob(entry: [string, string[]]): QueuedJob {
  const [entryId, f] = entry;
  let line = 0;
  let url = '';
  let origin = '';
  let path = '';
  let auth: string | null = null;
  let depth: string | null = null;
  let parent = '';
  let seed = '';
  for (let i = 0; i < f.length; i += 2) {
    const v = f[i + 1]!;
    switch (f[i]) {
      case 'l': line = Number(v); break;
      case 'u': url = v; break;
      case 'o': origin = v; break;
      case 'p': path = v; break;
      case 'a': auth = v; break;
      case 'd': depth = v; break;
      case 'pa': parent = v; break;
      case 's': seed = v; break;
    }
  }
  const job: QueuedJob = { entryId, line, url, target: { origin, path, auth }, invalid: null };
  // Recursive crawls: seeds carry their key, found URLs their parent field (follow/via.ts).
  if (depth !== null) {
    const d = Number(depth);
    job.via = (parent === '' ? null : decodeParent(parent, d)) ?? { depth: d, parent: null, seed: seed || url, kind: 'page' };
  }
  return job;
}

function jobsOf(entries: Entry[]): QueuedJob[] {
  const jobs: QueuedJob[] = [];
  // A claimed entry deleted from the stream comes back as null: nothing to fetch.
  for (const e of entries) if (e !== null) jobs.push(toJob(e));
  return jobs;
}

/**
 * `reader` must be a connection of its own: XREADGROUP BLOCK holds it. `stopped` is polled
 * between reads so a stopping worker takes no new entries.
 */
export async function* queueJobs(
  reader: SweepRedis,
  keys: QueueKeys,
  opts: SourceOptions,
  counters: SourceCounters,
  stopped: () => boolean,
): AsyncGenerator<QueuedJob[]> {
  try {
    yield* readQueue(reader, keys, opts, counters, stopped);
  } catch (err) {
    // A stopping worker closes the connection under a blocked read: that is not a failure.
    if (!stopped()) throw err;
  }
}

async function* readQueue(
  reader: SweepRedis,
  keys: QueueKeys,
  opts: SourceOptions,
  counters: SourceCounters,
  stopped: () => boolean,
): AsyncGenerator<QueuedJob[]> {
  // 1. Our own pending entries, from a previous life under the same name.
  let ownCursor = '-';
  while (!stopped() && ownCursor !== '0-0') {
    const [cursor, entries, dead] = await reader.sweepReclaimOwn(
      keys.jobs, keys.results, keys.meta, keys.dead, GROUP, opts.consumer, ownCursor, opts.batch, opts.maxDeliveries, DEAD_LETTERS_KEPT,
    );
    ownCursor = cursor;
    counters.dead += dead;
    const jobs = jobsOf(entries);
    counters.resumed += jobs.length;
    if (jobs.length > 0) yield jobs;
  }

  let claimCursor = '0-0';
  let nextClaimAt = 0;
  let blockMs = opts.blockMs;
  while (!stopped()) {
    // 2. Entries a dead worker left pending. Checked on a timer, and whenever nothing new came.
    if (Date.now() >= nextClaimAt) {
      const [cursor, claimed, dead] = await reader.sweepReclaimIdle(
        keys.jobs, keys.results, keys.meta, keys.dead, GROUP, opts.consumer, opts.claimIdleMs, claimCursor, opts.batch, opts.maxDeliveries, DEAD_LETTERS_KEPT,
      );
      claimCursor = cursor;
      counters.dead += dead;
      // A full sweep of the pending list ended: wait before sweeping again.
      if (cursor === '0-0') nextClaimAt = Date.now() + Math.max(100, Math.min(opts.claimIdleMs / 4, 5_000));
      const jobs = jobsOf(claimed);
      if (jobs.length > 0) {
        counters.reclaimed += jobs.length;
        yield jobs;
        continue;
      }
    }
    if (stopped()) return;
    // 3. New entries.
    const reply = (await reader.xreadgroup(
      'GROUP', GROUP, opts.consumer, 'COUNT', opts.batch, 'BLOCK', blockMs, 'STREAMS', keys.jobs, '>',
    )) as [string, Entry[]][] | null;
    const jobs = jobsOf(reply?.[0]?.[1] ?? []);
    if (jobs.length > 0) {
      yield jobs;
      continue;
    }
    // Nothing new: claim sooner, and end if the whole queue is done.
    nextClaimAt = Math.min(nextClaimAt, Date.now() + Math.min(opts.claimIdleMs, 1_000));
    const state = await queueState(reader, keys);
    if (!opts.follow && isFinished(state)) return;
    // Draining (all enqueued, nothing new to come): look again soon, as the last acks land.
    const draining = state.runs > 0 && state.producers === 0 && state.queued === 0;
    blockMs = draining && !opts.follow ? Math.min(100, opts.blockMs) : opts.blockMs;
  }
}
