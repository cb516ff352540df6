// `sweep status`: where a queue stands, from Redis alone (any machine can ask): queued, in flight,
// done, failed, dead letters, and each worker's requests/s from its heartbeat.

import { GROUP, connect, isFinished, queueKeys, queueSnapshot, type QueueState } from './redis.js';

export interface WorkerStatus {
  name: string;
  /** Entries delivered to this consumer and not acknowledged. */
  pending: number;
  /** Requests/s over its last heartbeat interval; null when it sent none (dead or gone). */
  rps: number | null;
  done: number | null;
  /** Seconds since its last heartbeat; null without one. */
  seenAgoS: number | null;
}

export interface QueueStatus extends QueueState {
  queue: string;
  /** Records written: those still in the results stream plus those exported with --trim. */
  done: number;
  /** Records deleted from the results stream by `sweep results --trim`. */
  exported: number;
  /** Entries delivered --max-deliveries times without being finished (`max_deliveries` records). */
  deadLetters: number;
  ok: number;
  failed: number;
  duplicates: number;
  invalid: number;
  finished: boolean;
  workers: WorkerStatus[];
}

/** A heartbeat older than this means the worker stopped beating (killed, or its machine is gone). */
const STALE_MS = 5_000;

export async function queueStatus(url: string, queue: string): Promise<QueueStatus> {
  const redis = await connect(url);
  const keys = queueKeys(queue);
  try {
    const { state, rest } = await queueSnapshot(redis, keys, (m) =>
      m.xlen(keys.results).hgetall(keys.meta).hgetall(keys.workers).call('XINFO', 'CONSUMERS', keys.jobs, GROUP),
    );
    const reply = <T>(i: number, empty: T): T => (rest[i]?.[0] ? empty : ((rest[i]?.[1] as T | undefined) ?? empty));
    const inStream = reply(0, 0);
    const meta = reply<Record<string, string>>(1, {});
    const beats = reply<Record<string, string>>(2, {});
    const consumers = reply<unknown[][]>(3, []);
    const now = Date.now();
    const byName = new Map<string, WorkerStatus>();
    for (const c of consumers) {
      const name = String(c[c.indexOf('name') + 1]);
      byName.set(name, { name, pending: Number(c[c.indexOf('pending') + 1]), rps: null, done: null, seenAgoS: null });
    }
    for (const [name, json] of Object.entries(beats)) {
      const beat = JSON.parse(json) as { rps: number; done: number; at: number };
      const w = byName.get(name) ?? { name, pending: 0, rps: null, done: null, seenAgoS: null };
      const age = now - beat.at;
      w.seenAgoS = Math.round(age / 100) / 10;
      w.done = beat.done;
      w.rps = age > STALE_MS ? null : beat.rps;
      byName.set(name, w);
    }
    const n = (k: string): number => Number(meta[k] ?? 0);
    const finished = isFinished(state);
    return {
      queue,
      ...state,
      done: inStream + n('exported'),
      exported: n('exported'),
      deadLetters: n('dead'),
      ok: n('ok'),
      failed: n('failed'),
      duplicates: n('duplicates'),
      invalid: n('invalid'),
      finished,
      // Consumers that hold nothing and beat no more are history (killed workers keep their name
      // in the group and their last heartbeat): leave them out.
      workers: [...byName.values()].filter((w) => w.pending > 0 || w.rps !== null).sort((a, b) => a.name.localeCompare(b.name)),
    };
  } finally {
    redis.disconnect();
  }
}

export function formatStatus(s: QueueStatus): string {
  const lines = [
    `queue ${s.queue}: ${s.finished ? 'finished' : s.producers > 0 ? 'enqueueing' : s.runs === 0 && s.done === 0 ? 'nothing enqueued yet' : 'running'}`,
    `  queued     ${s.queued}`,
    `  in flight  ${s.pending}`,
    `  done       ${s.done} (ok ${s.ok}, failed ${s.failed}${s.invalid > 0 ? `, of which ${s.invalid} invalid lines` : ''}${s.duplicates > 0 ? `, ${s.duplicates} duplicates` : ''})`,
  ];
  if (s.duplicates > 0) lines.push(`  duplicates ${s.duplicates} (not enqueued; recorded as "skipped":"duplicate")`);
  if (s.deadLetters > 0) lines.push(`  dead       ${s.deadLetters} (delivered --max-deliveries times, never finished: error max_deliveries; stream sweep:{${s.queue}}:dead)`);
  if (s.exported > 0) lines.push(`  exported   ${s.exported} (trimmed from Redis by sweep results --trim)`);
  if (s.workers.length === 0) lines.push('  workers    none');
  else {
    lines.push('  workers:');
    const width = Math.max(...s.workers.map((w) => w.name.length));
    for (const w of s.workers) {
      const rate = w.rps === null ? (w.seenAgoS === null ? 'no heartbeat' : `silent for ${w.seenAgoS} s`) : `${w.rps} requests/s`;
      lines.push(`    ${w.name.padEnd(width)}  ${rate}, ${w.pending} in flight${w.done === null ? '' : `, ${w.done} done`}`);
    }
  }
  return lines.join('\n') + '\n';
}
