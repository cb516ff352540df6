// Content-Encoding, decoded: the one place that knows which codings sweep reads and in which order
// stacked ones come off. Used by the link extractor of recursive crawls (follow/page-observer.ts)
// and by --save-dir (keep/save-dir.ts), which used to disagree: only --save-dir read a stacked
// value such as `gzip, br` (br applied last, so taken off first).

import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export type DecoderFactory = () => Transform;

const DECODERS: Record<string, DecoderFactory> = {
  gzip: () => createGunzip(),
  'x-gzip': () => createGunzip(),
  deflate: () => createInflate(),
  br: () => createBrotliDecompress(),
};

/**
 * The decoders for a Content-Encoding value, in the order to apply them (the last coding named
 * first); [] for none or identity; null when one coding is unknown (the body cannot be read).
 */
export function contentDecoders(encoding: string | null): DecoderFactory[] | null {
  if (encoding === null) return [];
  const codings = encoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const out: DecoderFactory[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const d = DECODERS[codings[i]!];
    if (d === undefined) return null;
    out.push(d);
  }
  return out;
}
