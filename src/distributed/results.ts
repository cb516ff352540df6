// `sweep results`: the results stream as NDJSON, to stdout or -o. The stream already holds one
// record per enqueued line (a reclaimed entry's second record is never written: see COMPLETE in
// scripts.ts), so export is a straight read in stream order. --follow keeps reading as workers
// add records and ends when the queue is finished (or on Ctrl-C).
//
// --trim (with -o): an incremental export that empties the results stream as it goes. Records
// are appended to the file, and what was written is deleted from Redis only after the file is
// fsynced: every 5 s or 100,000 records, and at the end. The deletion is XTRIM MINID just past
// the last entry written, so it removes exactly the entries this export read (stream ids only
// grow; it read from the first one). A kill between the fsync and the trim leaves those records
// in Redis too: the next export appends them again (at least once, never lost).
//
// One --trim export of a queue at a time: two would append the same records, and the second's
// torn-tail cut could truncate lines the first had written but not yet trimmed (then lost once
// it trims). So --trim takes a lease first (the queue's `exporter` key, a token with a 30 s
// expiry, renewed every 10 s) and refuses to start while another exporter holds it; a killed
// export's lease ends by itself. A trim happens only while the lease is still this export's.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RecordSink } from '../output.js';
import { exitCodeOf, type Interrupts } from '../run/interrupts.js';
import { cutTornTail } from '../run/line-file.js';
import { connect, duplicate, isFinished, QueueBusy, queueKeys, queueState, type SweepRedis } from './redis.js';

export interface ResultsOptions {
  redis: string;
  queue: string;
  output: string | null;
  follow: boolean;
  /** Append to `output` and delete what was exported from Redis (needs `output`). */
  trim: boolean;
}

const PAGE = 5_000;
/** With --trim: sync the file and trim Redis at least this often, and after this many records. */
const TRIM_EVERY_MS = 5_000;
const TRIM_EVERY_RECORDS = 100_000;
/** The export lease: how long it lasts without renewal, and how often it is renewed. */
export const LEASE_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

/** Takes the queue's export lease, or says who holds it. Returns the token that holds it now. */
async function takeLease(redis: SweepRedis, key: string, queue: string): Promise<string> {
  const token = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  if ((await redis.set(key, token, 'PX', LEASE_MS, 'NX')) === 'OK') return token;
  const [holder, ms] = await Promise.all([redis.get(key), redis.pttl(key)]);
  throw new QueueBusy(
    `another 'sweep results --trim' is exporting queue '${queue}' (${holder ?? 'just finished'}` +
      `${ms > 0 ? `, its lease ends in ${Math.ceil(ms / 1000)} s unless renewed` : ''}): one --trim export at a time, ` +
      'or both would append the same records (a killed export lets go by itself within 30 s)',
  );
}

type Entry = [string, string[]];

function recordOf(fields: string[]): string | null {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'r') return fields[i + 1]! + '\n';
  return null;
}

/** The smallest stream id after `id` (XTRIM MINID keeps entries >= it). */
export function nextId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${BigInt(id.slice(dash + 1)) + 1n}`;
}

/** `interrupts`: stop requests (the CLI forwards SIGINT / SIGTERM): the export ends with what it wrote. */
export async function exportResults(opts: ResultsOptions, interrupts?: Interrupts): Promise<{ records: number; trimmed: number; exitCode: number }> {
  const redis = await connect(opts.redis);
  const keys = queueKeys(opts.queue);
  // Trims go through a connection of their own: on Ctrl-C the reader is closed under its blocked
  // XREAD, and what was written must still be trimmed.
  let trimmer: SweepRedis | null = null;
  let lease: string | null = null;
  if (opts.trim) {
    trimmer = duplicate(redis);
    await trimmer.connect();
    try {
      lease = await takeLease(trimmer, keys.exporter, opts.queue);
      // A torn last line (an export killed mid-write) was never trimmed from Redis: it is cut
      // here and written again whole.
      await cutTornTail(opts.output!);
    } catch (err) {
      if (lease !== null) await trimmer.sweepLease(keys.exporter, lease, 0).catch(() => 0);
      redis.disconnect();
      trimmer.disconnect();
      if (lease === null) throw err; // the queue is busy, or Redis failed
      // The file cannot be read or cut (a directory, no permission): nothing was exported.
      process.stderr.write(`sweep: cannot write records: ${(err as Error).message}\n`);
      return { records: 0, trimmed: 0, exitCode: 1 };
    }
  }
  let sink = new RecordSink(opts.output, opts.trim);
  let records = 0;
  let trimmed = 0;
  let exitCode = 0;
  let stopped = false;
  let wake: () => void = () => {};
  const attach = (s: RecordSink): void => {
    s.onDrain = () => wake();
    s.onBroken = () => {
      stopped = true;
      wake();
    };
    s.onError = (err) => {
      process.stderr.write(`sweep: cannot write records: ${err.message}\n`);
      exitCode = 1;
      stopped = true;
      wake();
    };
  };
  attach(sink);
  const unsubscribe = interrupts?.subscribe((signal) => {
    exitCode = exitCodeOf(signal);
    stopped = true;
    // A blocked XREAD ends when the connection closes.
    redis.disconnect();
  });
  /** The lease went to another exporter (this one stalled past it): stop, trim nothing more. */
  const leaseLost = (): void => {
    if (lease === null) return;
    lease = null;
    process.stderr.write(`sweep: lost the export lease of queue '${opts.queue}' (stalled over ${LEASE_MS / 1000} s?): stopping; what was not trimmed stays in Redis\n`);
    exitCode = 1;
    stopped = true;
    redis.disconnect();
  };
  const renewal =
    lease === null
      ? null
      : setInterval(() => {
          if (lease === null) return;
          trimmer!.sweepLease(keys.exporter, lease, LEASE_MS).then(
            (held) => held === 0 && leaseLost(),
            () => {}, // Redis unreachable for now: the next renewal or trim tells
          );
        }, RENEW_EVERY_MS).unref();

  // With --trim: the last entry written, and where the current file segment began.
  let written: string | null = null;
  let untrimmed = 0;
  let segmentAt = performance.now();
  /** Syncs the file, then deletes from Redis what it now holds. */
  const trimWritten = async (reopen: boolean): Promise<void> => {
    await sink.close();
    if (exitCode === 1 || sink.broken || lease === null) return;
    if ((await trimmer!.sweepLease(keys.exporter, lease, LEASE_MS)) === 0) return leaseLost();
    if (written !== null) trimmed += await trimmer!.sweepTrimResults(keys.results, keys.meta, nextId(written));
    untrimmed = 0;
    segmentAt = performance.now();
    if (reopen) {
      sink = new RecordSink(opts.output, true);
      attach(sink);
    }
  };

  const write = async (entries: Entry[]): Promise<void> => {
    for (const [, fields] of entries) {
      const r = recordOf(fields);
      if (r === null) continue;
      sink.write(r);
      records++;
    }
    if (entries.length > 0) {
      written = entries[entries.length - 1]![0];
      untrimmed += entries.length;
    }
    if (sink.backedUp) await new Promise<void>((resolve) => (wake = resolve));
    if (opts.trim && !stopped && (untrimmed >= TRIM_EVERY_RECORDS || (untrimmed > 0 && performance.now() - segmentAt >= TRIM_EVERY_MS))) {
      await trimWritten(true);
    }
  };

  try {
    // A trimming export starts at the first entry left: everything before it was exported.
    let last = '-';
    while (!stopped) {
      const page = (await redis.xrange(keys.results, last === '-' ? '-' : `(${last}`, '+', 'COUNT', PAGE)) as Entry[];
      if (page.length > 0) {
        last = page[page.length - 1]![0];
        await write(page);
        continue;
      }
      if (!opts.follow) break;
      // At the end of what is there: done if the queue is finished, else wait for more.
      if (isFinished(await queueState(redis, keys))) {
        // Records written between the last page and the check above are still to be read.
        const rest = (await redis.xrange(keys.results, last === '-' ? '-' : `(${last}`, '+')) as Entry[];
        await write(rest);
        break;
      }
      const reply = (await redis.xread('COUNT', PAGE, 'BLOCK', 1_000, 'STREAMS', keys.results, last === '-' ? '0' : last)) as
        | [string, Entry[]][]
        | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length > 0) {
        last = entries[entries.length - 1]![0];
        await write(entries);
      }
    }
  } catch (err) {
    if (!stopped) throw err;
  } finally {
    unsubscribe?.();
    if (renewal !== null) clearInterval(renewal);
    try {
      if (trimmer !== null) await trimWritten(false);
      else await sink.close();
      if (lease !== null) await trimmer!.sweepLease(keys.exporter, lease, 0);
    } finally {
      redis.disconnect();
      trimmer?.disconnect();
    }
  }
  if (opts.trim && exitCode !== 1) {
    process.stderr.write(`sweep: ${records} records appended to ${opts.output}; ${trimmed} entries deleted from queue '${opts.queue}'\n`);
  }
  return { records, trimmed, exitCode };
}
