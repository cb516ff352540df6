// The memory batches of exchanges travel in from the crawl's thread to the WARC writer's thread.
//
// Why shared memory: postMessage with a transferred ArrayBuffer cost 50-100 us a message on the
// 2-core machine this was built on (serializing, detaching, and a fresh 256 KiB buffer after each
// transfer), and copying a 1 KiB Uint8Array ~13 us; at ~20 batches per millisecond of crawl that was
// a fifth of the main thread (profiled on the bench:native warc scenario). A slot is a pair of
// SharedArrayBuffers made once and reused: the crawl's thread fills one, tells the writer its number
// in a small message, and takes it back when the writer says it is written. The writer reads it in
// place and writes each response's location into the slot's meta area. Only the first message of a
// slot carries its buffers.

import { META_STRIDE } from './warc-sink.js';

const SLOT_BYTES = 256 * 1024;
const SLOT_EXCHANGES = 512;
/** Idle slots kept for reuse; the writer's high-water mark bounds how many are ever in flight. */
const KEEP_IDLE = 16;

export interface Slot {
  readonly id: number;
  /** The exchanges' bytes (see ExchangeBatch in warc-sink.ts). */
  readonly data: SharedArrayBuffer;
  readonly bytes: Buffer;
  /** META_STRIDE numbers per exchange; the writer overwrites the first LOC_STRIDE * n with locations. */
  meta: SharedArrayBuffer;
  metaView: Float64Array;
  /** The writer has not seen these buffers yet: the next message carries them. */
  fresh: boolean;
  /** Made for one oversized exchange: not reused. */
  readonly once: boolean;
}

export class SlotPool {
  #next = 0;
  readonly #idle: Slot[] = [];

  /** A slot holding at least `bytes` bytes. */
  take(bytes: number): Slot {
    if (bytes <= SLOT_BYTES) {
      const idle = this.#idle.pop();
      if (idle) return idle;
    }
    const size = Math.max(bytes, SLOT_BYTES);
    const data = new SharedArrayBuffer(size);
    const meta = new SharedArrayBuffer(SLOT_EXCHANGES * META_STRIDE * 8);
    return {
      id: this.#next++,
      data,
      bytes: Buffer.from(data),
      meta,
      metaView: new Float64Array(meta),
      fresh: true,
      once: size > SLOT_BYTES,
    };
  }

  give(slot: Slot): void {
    if (!slot.once && this.#idle.length < KEEP_IDLE) this.#idle.push(slot);
  }
}

/** Room for `count` exchanges' meta in `slot`, keeping what is there (a batch of many tiny ones). */
export function ensureMeta(slot: Slot, count: number): void {
  const need = count * META_STRIDE;
  if (need <= slot.metaView.length) return;
  const meta = new SharedArrayBuffer(Math.max(need, slot.metaView.length * 2) * 8);
  const view = new Float64Array(meta);
  view.set(slot.metaView);
  slot.meta = meta;
  slot.metaView = view;
  slot.fresh = true;
}
