// The WARC writer's worker thread: runs the file sink (gzip + write + rotation) off the main
// thread, so the crawl's event loop pays only for building records and one small message per
// batch. Batches arrive in shared-memory slots (batch-slots.ts), named by number once known.

import { parentPort, workerData } from 'node:worker_threads';
import { META_STRIDE, WarcSink, type ExchangeBatch, type SinkSettings } from './warc-sink.js';

export type ToWorker =
  | {
      type: 'batch';
      slot: number;
      used: number;
      count: number;
      spools: ExchangeBatch['spools'];
      /** The slot's buffers, on its first batch (and after its meta area grew). */
      data?: SharedArrayBuffer;
      meta?: SharedArrayBuffer;
      /** An oversized slot made for one batch: forget it afterwards. */
      once: boolean;
    }
  | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; path: string }
  /** Locations are in the slot's meta area; payload digests joined by \n; hex SHA-256s, 64 chars each. */
  | { type: 'written'; digests: string; sha256: string }
  | { type: 'closed' }
  | { type: 'error'; message: string; code?: string | undefined };

const port = parentPort!;
const send = (m: FromWorker): void => port.postMessage(m);
const slots = new Map<number, { data: SharedArrayBuffer; meta: SharedArrayBuffer }>();

let sink: WarcSink | null = null;
try {
  sink = new WarcSink(workerData as SinkSettings);
  send({ type: 'ready', path: sink.path });
} catch (err) {
  fail(err);
}

function fail(err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  send({ type: 'error', message: e?.message ?? String(err), code: e?.code });
  // Nothing more can be written safely; later batches are refused, not half-written.
  sink = null;
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'batch') {
    if (!sink) return;
    let slot = slots.get(m.slot);
    if (m.data && m.meta) slots.set(m.slot, (slot = { data: m.data, meta: m.meta }));
    if (m.once) slots.delete(m.slot);
    try {
      const meta = new Float64Array(slot!.meta, 0, m.count * META_STRIDE);
      // Locations land in the shared meta area itself (WarcSink.writeBatch).
      const written = sink.writeBatch({ bytes: new Uint8Array(slot!.data, 0, m.used), meta, spools: m.spools });
      send({ type: 'written', digests: written.digests.join('\n'), sha256: written.sha256.join('') });
    } catch (err) {
      fail(err);
    }
  } else {
    try {
      sink?.close();
      send({ type: 'closed' });
    } catch (err) {
      fail(err);
    }
    port.close();
  }
});
