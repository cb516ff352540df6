// The crawl's visited set: every URL key admitted to the frontier (or claimed by an input line),
// with the smallest depth it was found at and whether its fetch has started. No string and no
// object per URL: each entry is three uint32 in one open-addressing Uint32Array (a 64-bit hash
// as two xxHash32 with different seeds, then depth << 1 | started), linear probing, load <= 1/2.
// That is 24-48 bytes per URL (12 per slot, 2-4 slots per entry; 1,000,000 URLs take 24 MiB),
// plus the old table for a moment while the table doubles.
//
// Why a started bit: a URL found again at a smaller depth while it still waits in the queue
// is fetched at that depth (breadth first, whatever order concurrent pages finish in); once
// its fetch has started it keeps the depth it was fetched at. The queue does not store the
// lowered depth: the frontier reads it here when the URL leaves the queue (markStarted).
//
// Two different URLs share a 64-bit hash with probability ~n²/2⁶⁵: about 3e-8 for 1,000,000
// URLs, and the later one would be taken for the earlier (not fetched). Keys must be
// well-formed strings (no lone surrogates): the hash sees their UTF-8 encoding.

import type { Hasher } from '../polite/hash.js';

/** Depths are stored in 31 bits. */
export const MAX_DEPTH = 0x7fffffff;

// Not the seeds of --dedupe's set (src/polite/dedupe.ts): the two sets never meet, but a
// distinct pair keeps a collision in one from being a collision in the other.
const SEED_A = 0x2545f491;
const SEED_B = 0x6c8e9cf5;
const STRIDE = 3;

/** What admit() did: added the key, found it with a depth as small, or lowered its depth. */
export type Admission = 'new' | 'seen' | 'lowered';

/** A key's state before claim(): absent, waiting in the queue (not started), or started. */
export type ClaimState = 'new' | 'pending' | 'started';

export class SeenSet {
  readonly #hasher: Hasher;
  #table: Uint32Array;
  #mask: number;
  #size = 0;
  // The last key's hash, set by #hash() (no tuple allocated per call).
  #a = 0;
  #b = 0;

  constructor(hasher: Hasher, initialCapacity = 1024) {
    this.#hasher = hasher;
    let slots = 16;
    while (slots < initialCapacity * 2) slots *= 2;
    this.#table = new Uint32Array(slots * STRIDE);
    this.#mask = slots - 1;
  }

  /** Distinct keys held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the table. */
  get byteLength(): number {
    return this.#table.byteLength;
  }

  /**
   * Records that `key` was found at `depth`. 'new': first time; 'lowered': it waits in the queue
   * and now carries this smaller depth; 'seen': otherwise (a depth as small, or started).
   */
  admit(key: string, depth: number): Admission {
    checkDepth(depth);
    const s = this.#find(key);
    const t = this.#table;
    const w = t[s + 2]!;
    if (t[s] === 0 && t[s + 1] === 0) {
      this.#insert(s, depth << 1);
      return 'new';
    }
    if ((w & 1) === 0 && depth < w >>> 1) {
      t[s + 2] = depth << 1;
      return 'lowered';
    }
    return 'seen';
  }

  /**
   * Marks `key` as fetched by someone other than the queue (an input line; a record that a
   * resumed run already has), adding it when absent and lowering its depth when it had not
   * started. Says what it was before.
   */
  claim(key: string, depth: number): ClaimState {
    checkDepth(depth);
    const s = this.#find(key);
    const t = this.#table;
    const w = t[s + 2]!;
    if (t[s] === 0 && t[s + 1] === 0) {
      this.#insert(s, (depth << 1) | 1);
      return 'new';
    }
    if ((w & 1) === 1) return 'started';
    t[s + 2] = (Math.min(depth, w >>> 1) << 1) | 1;
    return 'pending';
  }

  /** Marks `key` started; returns the depth it carries, or -1 when absent or already started. */
  markStarted(key: string): number {
    const s = this.#find(key);
    const t = this.#table;
    const w = t[s + 2]!;
    if ((t[s] === 0 && t[s + 1] === 0) || (w & 1) === 1) return -1;
    t[s + 2] = w | 1;
    return w >>> 1;
  }

  has(key: string): boolean {
    const s = this.#find(key);
    return this.#table[s] !== 0 || this.#table[s + 1] !== 0;
  }

  /** The smallest depth `key` was found at (its fetch depth once started), if present. */
  depthOf(key: string): number | undefined {
    const s = this.#find(key);
    const t = this.#table;
    return t[s] === 0 && t[s + 1] === 0 ? undefined : t[s + 2]! >>> 1;
  }

  isStarted(key: string): boolean {
    const s = this.#find(key);
    const t = this.#table;
    return (t[s] !== 0 || t[s + 1] !== 0) && (t[s + 2]! & 1) === 1;
  }

  /** Hashes `key` and returns the table offset of its slot, or of the empty slot it would take. */
  #find(key: string): number {
    const a = this.#hasher.h32(key, SEED_A);
    let b = this.#hasher.h32(key, SEED_B);
    if (a === 0 && b === 0) b = 1; // (0, 0) marks an empty slot
    this.#a = a;
    this.#b = b;
    return this.#probe(a, b);
  }

  #probe(a: number, b: number): number {
    const t = this.#table;
    const mask = this.#mask;
    let i = (a ^ Math.imul(b, 0x27d4eb2d)) & mask;
    for (;;) {
      const s = i * STRIDE;
      const x = t[s]!;
      const y = t[s + 1]!;
      if ((x === a && y === b) || (x === 0 && y === 0)) return s;
      i = (i + 1) & mask;
    }
  }

  /** Fills the empty slot `s` with the last hashed key. */
  #insert(s: number, word: number): void {
    const t = this.#table;
    t[s] = this.#a;
    t[s + 1] = this.#b;
    t[s + 2] = word;
    if (++this.#size * 2 > this.#mask + 1) this.#grow();
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Uint32Array(old.length * 2);
    this.#mask = this.#mask * 2 + 1;
    const t = this.#table;
    for (let j = 0; j < old.length; j += STRIDE) {
      const a = old[j]!;
      const b = old[j + 1]!;
      if (a === 0 && b === 0) continue;
      const s = this.#probe(a, b);
      t[s] = a;
      t[s + 1] = b;
      t[s + 2] = old[j + 2]!;
    }
  }
}

function checkDepth(depth: number): void {
  // A bug in the caller, not bad input: the CLI validates --depth.
  if (!(depth >= 0 && depth <= MAX_DEPTH && Number.isInteger(depth))) {
    throw new RangeError(`frontier: depth must be an integer in 0..${MAX_DEPTH}, got ${depth}`);
  }
}
