// Gathers finished exchanges into batches for the file sink: one shared-memory slot and one small
// message per batch (per event-loop turn, or per 256 KiB), not per record (batch-slots.ts says
// why). Exchanges keep their completion order; each one's result comes back to its `done`
// callback in that order.

import { ensureMeta, SlotPool, type Slot } from './batch-slots.js';
import { LOC_STRIDE, META_STRIDE, type WrittenBatch } from './warc-sink.js';
import type { SinkClient, SlotBatch } from './sink-client.js';
import type { SpooledPayload } from './spool.js';
import { putLatin1 } from './latin1-write.js';

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
const IN_FLIGHT = 1;


interface Sent {
  dones: ExchangeDone[];
  bytes: number;
  slot: Slot;
}

export class RecordQueue {
  readonly #client: SinkClient;
  readonly #onBytes: (delta: number) => void;
  readonly #pool = new SlotPool();
  #slot: Slot | null = null;
  #used = 0;
  #count = 0;
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
    if (this.#slot !== null && this.#used + need > this.#slot.bytes.length) this.flush();
    const slot = (this.#slot ??= this.#pool.take(need));
    ensureMeta(slot, this.#count + 1);
    const buf = slot.bytes;
    const fieldsStart = this.#used;
    let at = fieldsStart + putLatin1(buf, p.fields, fieldsStart);
    const reqStart = at;
    at += putLatin1(buf, p.reqHead, at);
    if (p.reqBody) at += p.reqBody.copy(buf, at);
    const resStart = at;
    for (const part of p.resHead) at += typeof part === 'string' ? putLatin1(buf, part, at) : part.copy(buf, at);
    if (!p.spool) for (const chunk of p.payload) at += chunk.copy(buf, at);
    this.#used = at;
    const spoolIndex = p.spool ? this.#spools.push(p.spool) - 1 : -1;
    const meta = slot.metaView;
    const m = this.#count++ * META_STRIDE;
    meta[m] = fieldsStart;
    meta[m + 1] = p.fields.length;
    meta[m + 2] = reqStart;
    meta[m + 3] = reqLength;
    meta[m + 4] = p.reqHead.length;
    meta[m + 5] = resStart;
    meta[m + 6] = resLength;
    meta[m + 7] = p.resHeadLength;
    meta[m + 8] = spoolIndex;
    this.#dones.push(done);
    this.#onBytes(need);
    if (this.#used >= BATCH_BYTES) this.flush();
    else this.#schedule();
  }

  // At most IN_FLIGHT batches wait at the writer; what finishes meanwhile gathers into the next
  // one, sent when a batch comes back. So batches grow with the writer's latency instead of being
  // one message per event-loop turn (2-3 exchanges each at 20,000 requests/s), and the writer
  // still always has the next batch ready.
  #schedule(): void {
    if (this.#scheduled || this.#count === 0 || this.#sent.length >= IN_FLIGHT) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#sent.length < IN_FLIGHT) this.flush();
    });
  }

  /** Sends what is gathered now. */
  flush(): void {
    if (this.#count === 0 || this.#slot === null) return;
    const batch: SlotBatch = { slot: this.#slot, used: this.#used, count: this.#count, spools: this.#spools };
    this.#sent.push({ dones: this.#dones, bytes: this.#used, slot: this.#slot });
    // The slot is the writer's until it reports the batch written; the next exchange takes another.
    this.#slot = null;
    this.#used = 0;
    this.#count = 0;
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
    this.#count = 0;
    this.#spools = [];
    this.#used = 0;
    this.#slot = null;
    const idle = this.#idle;
    this.#idle = null;
    idle?.();
    return { dones, bytes };
  }

  #written(w: WrittenBatch): void {
    const sent = this.#sent.shift();
    if (!sent) return;
    this.#onBytes(-sent.bytes);
    // The writer put each response's location into the slot's meta area (WarcSink.writeBatch).
    const locs = sent.slot.metaView;
    for (let i = 0; i < sent.dones.length; i++) {
      const at = i * LOC_STRIDE;
      sent.dones[i]!(locs[at]!, locs[at + 1]!, locs[at + 2]!, w.digests[i]!, w.sha256[i]!);
    }
    this.#pool.give(sent.slot);
    this.#schedule();
    if (this.#sent.length === 0 && this.#dones.length === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = null;
      idle();
    }
  }
}
