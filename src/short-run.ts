// A short run keeps undici's HTTP/1.1 parser (llhttp, WebAssembly) on V8's baseline compiler.
//
// Why: V8 compiles llhttp with Liftoff at the first connection, then re-compiles its main
// function with TurboFan in the background as soon as it has parsed a response or two: 128 ms
// of CPU and ~29 MB on the machine measured. A process does not exit before that compile ends,
// so a run of a few URLs spent much of its wall time waiting for code it never used. On
// loopback, medians of 8 alternating runs: one URL 256 -> 174 ms, 1,000 URLs 375 -> 335 ms,
// 3,000 URLs 547 -> 532 ms. TurboFan's code parses a response ~1.4 µs faster, which pays for its
// compile after ~100,000 responses: long runs, and runs whose length is unknown (stdin, links
// followed, a Redis worker), keep V8's default.

import { setFlagsFromString } from 'node:v8';

/** Input up to this size (regular files, ~3,000 URLs) makes a short run. */
export const SHORT_RUN_BYTES = 128 * 1024;

/** `inputBytes` null means the size is unknown (stdin); `follows` that fetched pages add URLs. */
export function isShortRun(inputBytes: number | null, follows: boolean): boolean {
  return inputBytes !== null && !follows && inputBytes <= SHORT_RUN_BYTES;
}

/** Called before the run's first connection: the parser is compiled then, once per process. */
export function tuneForRunLength(inputBytes: number | null, follows: boolean): void {
  if (isShortRun(inputBytes, follows)) setFlagsFromString('--liftoff-only');
}
