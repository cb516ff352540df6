// xxHash (xxhash-wasm: xxHash's reference C compiled to WebAssembly; ~10M downloads a month)
// for shards and dedupe. Its instance is created once, asynchronously, and only when an option
// needs it, so the default path never loads the wasm module.

import xxhash from 'xxhash-wasm';

export interface Hasher {
  /** xxHash32 of the UTF-8 bytes of `text`, an unsigned 32-bit number. */
  h32(text: string, seed: number): number;
}

let loading: Promise<Hasher> | null = null;

export function loadHasher(): Promise<Hasher> {
  loading ??= xxhash().then((api) => ({ h32: (text: string, seed: number) => api.h32(text, seed) >>> 0 }));
  return loading;
}
