// Where the file sink runs: on a worker thread (the default: gzip and disk writes stay off the
// crawl's event loop) or inline on the calling thread (`worker: false`: no thread to start, for
// small jobs and for the benchmark's comparison).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Slot } from './batch-slots.js';
import { META_STRIDE, WarcSink, type ExchangeBatch, type SinkSettings, type WrittenBatch } from './warc-sink.js';
import type { FromWorker, ToWorker } from './warc-worker.js';

/** `count` exchanges in the first `used` bytes of a slot (batch-slots.ts). */
export interface SlotBatch {
  slot: Slot;
  used: number;
  count: number;
  spools: ExchangeBatch['spools'];
}

export function exchangeBatch(b: SlotBatch): ExchangeBatch {
  return { bytes: b.slot.bytes.subarray(0, b.used), meta: b.slot.metaView.subarray(0, b.count * META_STRIDE), spools: b.spools };
}

export interface SinkClient {
  /** Sends a batch. Once written, its locations are in the slot's meta area and onWritten gives its digests, batches in order. */
  send(batch: SlotBatch): void;
  close(): Promise<void>;
  onWritten: (written: WrittenBatch) => void;
  onError: (err: Error) => void;
}

export class InlineSink implements SinkClient {
  readonly #sink: WarcSink;
  onWritten: (written: WrittenBatch) => void = () => {};
  onError: (err: Error) => void = () => {};
  #failed = false;

  constructor(settings: SinkSettings) {
    this.#sink = new WarcSink(settings);
  }

  send(batch: SlotBatch): void {
    if (this.#failed) return;
    let written: WrittenBatch;
    try {
      written = this.#sink.writeBatch(exchangeBatch(batch));
    } catch (err) {
      this.#failed = true;
      this.onError(err as Error);
      return;
    }
    this.onWritten(written);
  }

  async close(): Promise<void> {
    try {
      this.#sink.close();
    } catch (err) {
      // After a reported failure, closing is best effort; a new failure is still news.
      if (this.#failed) return;
      this.#failed = true;
      this.onError(err as Error);
    }
  }
}

// Under vitest the sources run as TypeScript and there is no warc-worker.js beside this file;
// the built one in dist/ is used then (npm test builds first).
function workerUrl(): URL {
  const beside = new URL('./warc-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/keep/warc-worker.js', import.meta.url);
}

export class WorkerSink implements SinkClient {
  readonly #worker: Worker;
  onWritten: (written: WrittenBatch) => void = () => {};
  onError: (err: Error) => void = () => {};
  #closed: (() => void) | null = null;
  #ending = false;
  #failed = false;

  /** Resolves once the worker has opened the first file and written its warcinfo record. */
  static start(settings: SinkSettings): Promise<WorkerSink> {
    return new Promise((resolve, reject) => {
      const sink = new WorkerSink(settings, (err) => (err ? reject(err) : resolve(sink)));
    });
  }

  private constructor(settings: SinkSettings, started: (err: Error | null) => void) {
    let starting = true;
    this.#worker = new Worker(workerUrl(), { workerData: settings });
    const fail = (err: Error): void => {
      if (starting) {
        starting = false;
        started(err);
        void this.#worker.terminate();
        return;
      }
      if (this.#failed) return;
      this.#failed = true;
      this.onError(err);
      this.#closed?.();
    };
    this.#worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          starting = false;
          started(null);
          break;
        case 'written':
          this.#written(m);
          break;
        case 'closed':
          this.#closed?.();
          break;
        case 'error':
          fail(Object.assign(new Error(m.message), { code: m.code }));
          break;
      }
    });
    this.#worker.on('error', (err) => fail(err));
    this.#worker.on('exit', (code) => {
      if (!this.#ending) fail(new Error(`WARC writer thread exited (code ${code})`));
    });
  }

  send(batch: SlotBatch): void {
    if (this.#failed) return;
    const slot = batch.slot;
    const m: ToWorker = { type: 'batch', slot: slot.id, used: batch.used, count: batch.count, spools: batch.spools, once: slot.once };
    if (slot.fresh) {
      m.data = slot.data;
      m.meta = slot.meta;
      slot.fresh = false;
    }
    this.#worker.postMessage(m);
  }

  #written(m: Extract<FromWorker, { type: 'written' }>): void {
    const n = m.sha256.length / 64;
    const sha256 = new Array<string>(n);
    for (let i = 0; i < n; i++) sha256[i] = m.sha256.slice(i * 64, i * 64 + 64);
    this.onWritten({ digests: m.digests.split('\n'), sha256 });
  }

  close(): Promise<void> {
    this.#ending = true;
    if (this.#failed) return this.#worker.terminate().then(() => undefined);
    return new Promise<void>((resolve) => {
      this.#closed = resolve;
      const m: ToWorker = { type: 'close' };
      this.#worker.postMessage(m);
    }).then(() => this.#worker.terminate().then(() => undefined));
  }
}
