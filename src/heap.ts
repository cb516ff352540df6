// V8 heap tuning for a long crawl. A crawl allocates at a steady rate (jobs, records, response
// buffers) and keeps little: ~20 MB live whatever the list's length. V8's default lets the old
// generation grow to up to 4x the live set between full collections, so peak RSS rose with the
// length of the run (1,000,000 URLs peaked ~25% above 100,000). Growing by at most 30% after
// each full collection keeps the peak flat; with so small a live set a full collection is cheap.
// The flag is read each time V8 sizes the heap, so setting it at run time takes effect.

import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

export function tuneHeapForStreaming(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
