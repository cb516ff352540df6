// Shared plumbing of the frontier tests (test/frontier-*.test.ts).

import fc from 'fast-check';
import type { Frontier, FrontierEntry } from '../src/frontier/index.js';
import { loadHasher, type Hasher } from '../src/polite/hash.js';

/** fast-check parameters: a fixed seed under CI (the seed is printed on failure either way). */
export function fcParams(numRuns = 100): fc.Parameters<unknown> {
  return process.env.CI ? { numRuns, seed: 0x5eed } : { numRuns };
}

export const hasher: Hasher = await loadHasher();

/**
 * A URL key as a normaliser would hand it over, but drawing from all of Unicode (keys may be
 * IRIs) except the tab and newlines no key can hold.
 */
export const urlKey: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('http', 'https'), fc.constantFrom('a.example', 'b.example', 'ü.example'), fc.string({ unit: 'binary', maxLength: 12 }))
  .map(([scheme, host, path]) => `${scheme}://${host}/${path.replace(/[\t\n\r]/g, '_')}`);

/** A small pool of keys, so that sequences find the same URL again. */
export function keyPool(size: number): fc.Arbitrary<string> {
  return fc.integer({ min: 0, max: size - 1 }).map((i) => `https://h${i % 3}.example/p/${i}${i % 5 === 0 ? '/é😀' : ''}`);
}

/** Everything the frontier hands out until it has nothing left. */
export function drain(f: Frontier): FrontierEntry[] {
  const out: FrontierEntry[] = [];
  for (let e = f.next(); e !== undefined; e = f.next()) out.push(e);
  return out;
}
