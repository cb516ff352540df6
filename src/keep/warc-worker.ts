// The WARC writer's worker thread: runs the file sink (gzip + write + rotation) off the main
// thread, so the crawl's event loop pays only for building records and one postMessage per batch.

import { parentPort, workerData } from 'node:worker_threads';
import { WarcSink, type ExchangeBatch, type SinkSettings, type WrittenBatch } from './warc-sink.js';

export type ToWorker = { type: 'batch'; batch: ExchangeBatch } | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; path: string }
  | { type: 'written'; written: WrittenBatch }
  | { type: 'closed' }
  | { type: 'error'; message: string; code?: string | undefined };

const port = parentPort!;
const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

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
    try {
      const written = sink.writeBatch(m.batch);
      send({ type: 'written', written }, [written.locs.buffer as ArrayBuffer]);
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
