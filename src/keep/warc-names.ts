// Names of rotated WARC files. The first file is the name the user gave (`out.warc.gz`), so a
// crawl that never rotates leaves exactly the file asked for; the next ones are
// `out-00001.warc.gz`, `out-00002.warc.gz`, ... (five digits sort by name up to 99,999 files,
// 97 TiB at the default 1 GiB).

import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WarcName {
  dir: string;
  /** The name without the WARC extension: `out` for `out.warc.gz`. */
  stem: string;
  /** `.warc.gz` or `.warc`. */
  ext: string;
  gzip: boolean;
}

const EXT = /\.warc(\.gz)?$/i;

/** Splits a WARC path; null when it does not end in .warc or .warc.gz. */
export function parseWarcPath(path: string): WarcName | null {
  const base = basename(path);
  const m = EXT.exec(base);
  if (!m || m.index === 0) return null;
  return { dir: dirname(path), stem: base.slice(0, m.index), ext: m[0], gzip: m[1] !== undefined };
}

export function rotatedPath(name: WarcName, index: number): string {
  if (index === 0) return join(name.dir, name.stem + name.ext);
  return join(name.dir, `${name.stem}-${String(index).padStart(5, '0')}${name.ext}`);
}

/**
 * The index of the current (last) file of a rotated series: the highest `<stem>-NNNNN<ext>` in
 * the directory, 0 when there is none (then the user's own name is the current file).
 */
export async function currentIndex(name: WarcName): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(name.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const prefix = name.stem + '-';
  let best = 0;
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith(name.ext)) continue;
    const digits = entry.slice(prefix.length, entry.length - name.ext.length);
    if (!/^\d{5,}$/.test(digits)) continue;
    best = Math.max(best, Number(digits));
  }
  return best;
}
