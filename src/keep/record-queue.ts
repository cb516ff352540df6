// Gathers finished exchanges into batches for the file sink: one buffer and one message per
// batch (per event-loop turn, or per 256 KiB), not per record. Exchanges keep their completion
// order; each one's result comes back to its `done` callback in that order.

import { LOC_STRIDE, type ExchangeBatch, type WrittenBatch } from './warc-sink.js';
import type { SinkClient } from './sink-client.js';
import type { SpooledPayload } from './spool.js';

export interface ExchangeParts {
  /** `uri \n ip \n date \n truncated`: no part may contain a newline (see ExchangeBatch). */
  fields: string;
  /** The HTTP request head (latin1) and body. */
  reqHead: string;
  reqBody: Buffer | null;
  /** The HTTP response head as stored: latin1 strings and raw Buffers, and its byte length. */
  resHead: readonly (string | Buffer)[];
  resHeadLength: number;
  /** The payload held in memory (empty when it was spooled). */
  payload: readonly Buffer[];
  payloadBytes: number;
  spool: SpooledPayload | null;
}

/** fileIndex -1: nothing was written (the sink failed). */
export type ExchangeDone = (fileIndex: number, offset: number, length: number, payloadDigest: string, sha256: string) => void;

const BATCH_BYTES = 256 * 1024;

// Buffer#latin1Write is what buf.write(s, at, 'latin1') ends in, without the argument checks
// (measurable at ~10 calls per exchange); it has been on Buffer since Node 0.x.
type Latin1Writer = { latin1Write(text: string, offset: number): number };
const put = (buf: Buffer, text: string, at: number): number => (buf as unknown as Latin1Writer).latin1Write(text, at);

interface Sent {
  dones: ExchangeDone[];
  bytes: number;
}

export class RecordQueue {
  readonly #client: SinkClient;
  readonly #onBytes: (delta: number) => void;
  #buf = Buffer.allocUnsafeSlow(BATCH_BYTES);
  #used = 0;
  #meta: number[] = [];
  #spools: SpooledPayload[] = [];
  #dones: ExchangeDone[] = [];
  #scheduled = false;
  readonly #sent: Sent[] = [];
  #idle: (() => void) | null = null;

  constructor(client: SinkClient, onBytes: (delta: number) => void) {
    this.#client = client;
    this.#onBytes = onBytes;
    client.onWritten = (written) => this.#written(written);
  }

  add(p: ExchangeParts, done: ExchangeDone): void {
    const reqLength = p.reqHead.length + (p.reqBody?.length ?? 0);
    const resLength = p.resHeadLength + (p.spool ? 0 : p.payloadBytes);
    const need = p.fields.length + reqLength + resLength;
    if (this.#used + need > this.#buf.length) {
      this.flush();
      if (need > this.#buf.length) this.#buf = Buffer.allocUnsafeSlow(need);
    }
    const buf = this.#buf;
    const fieldsStart = this.#used;
    let at = fieldsStart + put(buf, p.fields, fieldsStart);
    const reqStart = at;
    at += put(buf, p.reqHead, at);
    if (p.reqBody) at += p.reqBody.copy(buf, at);
    const resStart = at;
    for (const part of p.resHead) at += typeof part === 'string' ? put(buf, part, at) : part.copy(buf, at);
    if (!p.spool) for (const chunk of p.payload) at += chunk.copy(buf, at);
    this.#used = at;
    const spoolIndex = p.spool ? this.#spools.push(p.spool) - 1 : -1;
    this.#meta.push(fieldsStart, p.fields.length, reqStart, reqLength, p.reqHead.length, resStart, resLength, p.resHeadLength, spoolIndex);
    this.#dones.push(done);
    this.#onBytes(need);
    if (this.#used >= BATCH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Sends what is gathered now. */
  flush(): void {
    if (this.#dones.length === 0) return;
    const batch: ExchangeBatch = {
      bytes: this.#buf.subarray(0, this.#used),
      meta: Float64Array.from(this.#meta),
      spools: this.#spools,
    };
    this.#sent.push({ dones: this.#dones, bytes: this.#used });
    // The batch's buffer moves to the worker thread (transferred, not copied): start a new one.
    this.#buf = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.#used = 0;
    this.#meta = [];
    this.#spools = [];
    this.#dones = [];
    this.#client.send(batch);
  }

  /** Resolves when everything added so far is written (or the sink failed: see failAll). */
  drained(): Promise<void> {
    this.flush();
    if (this.#sent.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#idle = resolve));
  }

  /** The sink failed: nothing queued will be written. Returns the waiting callbacks and bytes. */
  failAll(): { dones: ExchangeDone[]; bytes: number } {
    const dones = this.#sent.flatMap((s) => s.dones).concat(this.#dones);
    const bytes = this.#sent.reduce((n, s) => n + s.bytes, 0) + this.#used;
    this.#sent.length = 0;
    this.#dones = [];
    this.#meta = [];
    this.#spools = [];
    this.#used = 0;
    const idle = this.#idle;
    this.#idle = null;
    idle?.();
    return { dones, bytes };
  }

  #written(w: WrittenBatch): void {
    const sent = this.#sent.shift();
    if (!sent) return;
    this.#onBytes(-sent.bytes);
    const locs = w.locs;
    for (let i = 0; i < sent.dones.length; i++) {
      const at = i * LOC_STRIDE;
      sent.dones[i]!(locs[at]!, locs[at + 1]!, locs[at + 2]!, w.digests[i]!, w.sha256[i]!);
    }
    if (this.#sent.length === 0 && this.#dones.length === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = null;
      idle();
    }
  }
}
