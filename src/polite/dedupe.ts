// --dedupe: a set of 64-bit URL hashes, not of URL strings. Each hash is two xxHash32 values
// with different seeds, stored as a pair of uint32 in one open-addressing Uint32Array (linear
// probing, load factor <= 1/2): 16 bytes per distinct URL, 24 for a moment while the table
// doubles. The key is the parsed URL: scheme and host lower-cased, default port dropped, no
// fragment (what the WHATWG URL parser already did for the request), plus any credentials.
// Two different URLs share a 64-bit hash with probability ~n²/2⁶⁵: about 3e-8 for 1,000,000
// URLs, and the later one would be reported as a duplicate.

import type { Target } from '../target.js';
import type { Hasher } from './hash.js';

const SEED_A = 0x9e3779b1;
const SEED_B = 0x85ebca77;

export class HashSet64 {
  #table: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.#table = new Uint32Array(cap * 2);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  get byteLength(): number {
    return this.#table.byteLength;
  }

  /** Adds the hash (a, b); returns false when it was already present. */
  add(a: number, b: number): boolean {
    a >>>= 0;
    b >>>= 0;
    if (a === 0 && b === 0) b = 1; // (0, 0) marks an empty slot
    const t = this.#table;
    let i = (a ^ Math.imul(b, 0x27d4eb2d)) & this.#mask;
    for (;;) {
      const x = t[2 * i]!;
      const y = t[2 * i + 1]!;
      if (x === 0 && y === 0) break;
      if (x === a && y === b) return false;
      i = (i + 1) & this.#mask;
    }
    t[2 * i] = a;
    t[2 * i + 1] = b;
    if (++this.#size * 2 > this.#mask + 1) this.#grow();
    return true;
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Uint32Array(old.length * 2);
    this.#mask = this.#mask * 2 + 1;
    this.#size = 0;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j] !== 0 || old[j + 1] !== 0) this.add(old[j]!, old[j + 1]!);
    }
  }
}

export class Deduper {
  readonly #set = new HashSet64();
  readonly #hasher: Hasher;
  duplicates = 0;

  constructor(hasher: Hasher) {
    this.#hasher = hasher;
  }

  /** The normalised key of a parsed target (see the header comment). */
  static key(target: Target): string {
    const url = target.origin + target.path;
    return target.auth === null ? url : `${target.auth} ${url}`;
  }

  /** Remembers the URL; true when it was seen before. */
  seen(target: Target): boolean {
    const key = Deduper.key(target);
    const h = this.#hasher;
    const fresh = this.#set.add(h.h32(key, SEED_A), h.h32(key, SEED_B));
    if (!fresh) this.duplicates++;
    return !fresh;
  }

  get distinct(): number {
    return this.#set.size;
  }

  get bytes(): number {
    return this.#set.byteLength;
  }
}
