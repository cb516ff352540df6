// The frontier's FIFO of URLs waiting to be fetched, packed as bytes in segments (1 MiB Buffers)
// instead of one JS object per URL: 1,000,000 waiting URLs of ~75 bytes, 20 a page, took 46 MiB
// of Buffers, where {url, depth, parent} objects took 153 MiB of heap (scripts/frontier-memory.mjs
// and the same URLs in an array), and the garbage collector never walks them. Beyond a memory
// budget whole segments spill to files (segments.ts).
//
// A segment holds groups, one per push() (a page's links), never split across segments
// (a push that does not fit goes on in a new group in the next segment):
//
//   u32le count | varint depth | varint parentBytes+1 (0: no parent) | parent UTF-8
//   count x ( varint prefix | varint suffixBytes | suffix UTF-8 )
//
// `prefix` is how many UTF-16 units the URL shares with the previous URL of the group (the
// first with the parent): links of a page mostly share its scheme, host and path, so front
// coding stores about half the bytes. A prefix never ends between the two halves of a
// surrogate pair, so the suffix is well-formed UTF-16 and survives UTF-8.

import { SegmentStore } from './segments.js';

export interface QueueEntry {
  url: string;
  depth: number;
  parent: string | null;
}

export interface QueueOptions {
  /** Directory for spill files; null keeps every segment in memory (no budget). */
  spillDir: string | null;
  /** The spill directory's name in spillDir (segments.ts); else a mkdtemp one. */
  spillName?: string | null;
  /** Bytes of segments held in memory before spilling (with a spillDir); >= 3 segments. */
  memoryBudget?: number;
  /** Segment size (tests use small ones to cross many segments). */
  segmentBytes?: number;
}

export const DEFAULT_SEGMENT_BYTES = 1 << 20;
export const DEFAULT_MEMORY_BUDGET = 16 << 20;

const MAX_VARINT = 5;
const GROUP_FIXED = 4 + 2 * MAX_VARINT;

export class PackedQueue {
  readonly #store: SegmentStore;
  readonly #segmentBytes: number;
  #length = 0;
  // Writer: the segment being filled.
  #w: Buffer | null = null;
  #wPos = 0;
  // Reader: the segment being read, and the group being read in it.
  #r: Buffer | null = null;
  #rPos = 0;
  #rEnd = 0;
  #left = 0;
  #depth = 0;
  #parent: string | null = null;
  #prev = '';

  constructor(opts: QueueOptions) {
    this.#segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    // The reader's, the writer's and the spare segment are always in memory.
    const sealedBudget = Math.max(0, budget - 3 * this.#segmentBytes);
    this.#store = new SegmentStore({ segmentBytes: this.#segmentBytes, budgetBytes: sealedBudget, spillDir: opts.spillDir, spillName: opts.spillName ?? null });
  }

  /** URLs pushed and not shifted yet. */
  get length(): number {
    return this.#length;
  }

  /** Bytes of Buffers held in memory. */
  get memoryBytes(): number {
    return this.#store.memoryBytes + (this.#w?.length ?? 0) + (this.#r?.length ?? 0);
  }

  /** Segments written to the spill directory so far. */
  get spilledSegments(): number {
    return this.#store.spilledSegments;
  }

  /** The directory holding spill files (made inside spillDir), once something spilled. */
  get spillPath(): string | null {
    return this.#store.spillPath;
  }

  /** Appends `urls`, all found on `parent` at `depth`, in order. */
  push(parent: string | null, depth: number, urls: readonly string[]): void {
    if (urls.length === 0) return;
    const parentBytes = parent === null ? 0 : Buffer.byteLength(parent);
    const groupBytes = GROUP_FIXED + parentBytes;
    let w = (this.#w ??= this.#store.fresh());
    let pos = this.#wPos;
    let countAt = -1;
    let count = 0;
    let prev = '';
    for (const url of urls) {
      // An upper bound of the entry's size: UTF-8 takes at most 3 bytes per UTF-16 unit.
      const entryMax = 2 * MAX_VARINT + 3 * url.length;
      const need = countAt < 0 ? groupBytes + entryMax : entryMax;
      if (pos + need > w.length) {
        if (countAt >= 0) w.writeUInt32LE(count, countAt);
        if (pos > 0) w = this.#store.seal(w, pos);
        const fresh = groupBytes + entryMax;
        if (fresh > w.length) {
          // A URL longer than a segment: a segment of its own. The standard Buffer goes back.
          this.#store.recycle(w);
          w = Buffer.allocUnsafeSlow(fresh);
        }
        pos = 0;
        countAt = -1;
      }
      if (countAt < 0) {
        countAt = pos;
        count = 0;
        pos = writeVarint(w, pos + 4, depth);
        pos = writeVarint(w, pos, parent === null ? 0 : parentBytes + 1);
        if (parent !== null) pos += w.write(parent, pos, 'utf8');
        prev = parent ?? '';
      }
      const k = sharedPrefix(prev, url);
      const entryAt = pos;
      pos = writeVarint(w, pos, k);
      pos = writeVarint(w, pos, url.length - k);
      // ASCII (all of a WHATWG href) is copied here, without two calls into C++ per URL.
      let i = k;
      for (let c = 0; i < url.length && (c = url.charCodeAt(i)) < 0x80; i++) w[pos++] = c;
      if (i < url.length) {
        const suffix = url.slice(k);
        const n = Buffer.byteLength(suffix);
        pos = writeVarint(w, writeVarint(w, entryAt, k), n);
        pos += w.write(suffix, pos, n, 'utf8');
      }
      prev = url;
      count++;
    }
    w.writeUInt32LE(count, countAt);
    this.#w = w;
    this.#wPos = pos;
    this.#length += urls.length;
  }

  /** Removes and returns the oldest entry. */
  shift(): QueueEntry | undefined {
    if (this.#left === 0 && !this.#nextGroup()) return undefined;
    const r = this.#r!;
    const k = this.#readVarint(r);
    const n = this.#readVarint(r);
    const suffix = r.toString('utf8', this.#rPos, this.#rPos + n);
    this.#rPos += n;
    const url = k === 0 ? suffix : this.#prev.slice(0, k) + suffix;
    this.#prev = url;
    this.#left--;
    this.#length--;
    return { url, depth: this.#depth, parent: this.#parent };
  }

  /** Drops every entry and deletes the spill files. */
  close(): void {
    this.#store.close();
    this.#w = this.#r = null;
    this.#wPos = this.#rPos = this.#rEnd = this.#left = this.#length = 0;
  }

  /** Moves the reader to the next group, fetching the next segment when needed. */
  #nextGroup(): boolean {
    while (this.#rPos >= this.#rEnd) {
      const next = this.#store.take(this.#r);
      if (next !== null) {
        this.#r = next.buf;
        this.#rEnd = next.used;
      } else if (this.#wPos > 0) {
        // The reader caught up with the writer: read the segment being filled, and let the
        // writer go on in the reader's old Buffer. Groups never span two push() calls.
        const old = this.#r;
        this.#r = this.#w;
        this.#rEnd = this.#wPos;
        this.#w = old !== null && old.length === this.#segmentBytes ? old : null;
        this.#wPos = 0;
      } else {
        return false;
      }
      this.#rPos = 0;
    }
    const r = this.#r!;
    this.#left = r.readUInt32LE(this.#rPos);
    this.#rPos += 4;
    this.#depth = this.#readVarint(r);
    const p = this.#readVarint(r);
    if (p === 0) {
      this.#parent = null;
    } else {
      this.#parent = r.toString('utf8', this.#rPos, this.#rPos + p - 1);
      this.#rPos += p - 1;
    }
    this.#prev = this.#parent ?? '';
    return true;
  }

  #readVarint(r: Buffer): number {
    let pos = this.#rPos;
    let byte = r[pos++]!;
    let value = byte & 0x7f;
    let shift = 7;
    while (byte >= 0x80) {
      byte = r[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    this.#rPos = pos;
    return value;
  }
}

/** LEB128 of a non-negative integer < 2^35; returns the position after it. */
function writeVarint(buf: Buffer, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

/** UTF-16 units `a` and `b` share at their start, never ending inside a surrogate pair. */
function sharedPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i > 0 && i < b.length) {
    const c = b.charCodeAt(i - 1);
    if (c >= 0xd800 && c <= 0xdbff) i--;
  }
  return i;
}
