// A CDXJ index of the response records, in pywb's format, one line per record as it is written:
//
//   com,example)/a 20261123100000 {"url":"http://example.com/a","mime":"text/html","status":"200",
//     "digest":"sha256:...","length":"1234","offset":"5678","filename":"out.warc.gz"}
//
// Fields as pywb's own indexer writes them (pywb/indexer/archiveindexer.py): `mime` is the
// Content-Type up to the first `;` or space ("unk" when there is none), `status` and the numbers
// are strings, a `sha1:` digest loses its prefix while `sha256:` keeps it, `filename` is the WARC's
// name without directory, and in an uncompressed .warc `length` leaves out the CRLF CRLF that
// closes the record (python warcio and warcio.js count it that way; a gzip member is counted
// whole). Lines come in write order, not sorted: pywb binary-searches an index
// file, so sort it first (`LC_ALL=C sort -o out.cdxj out.cdxj`); `wb-manager add` indexes the
// WARC itself and needs no CDXJ.

import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { surt } from './surt.js';
import type { WrittenResponse } from './warc-exchange.js';

export function cdxjLine(r: WrittenResponse): string {
  const ct = r.contentType?.trim() ?? '';
  const mime = ct === '' ? 'unk' : ct.split(/[; ]/, 1)[0]!;
  const digest = r.payloadDigest.startsWith('sha1:') ? r.payloadDigest.slice(5) : r.payloadDigest;
  const timestamp = r.date.replace(/[^0-9]/g, '').slice(0, 14);
  const fields = {
    url: r.url,
    mime,
    status: String(r.status),
    digest,
    length: String(r.location.file.endsWith('.gz') ? r.location.length : r.location.length - 4),
    offset: String(r.location.offset),
    filename: basename(r.location.file),
  };
  return `${surt(r.url)} ${timestamp} ${JSON.stringify(fields)}\n`;
}

export class CdxjWriter {
  readonly #out: WriteStream;
  #error: Error | null = null;
  onError: (err: Error) => void = () => {};

  /** Opens (or, to resume, appends to, after cutting a torn last line) the index file. */
  static async open(path: string, resume = false): Promise<CdxjWriter> {
    if (resume) await repairCdxjTail(path);
    const out = createWriteStream(path, { flags: resume ? 'a' : 'w' });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    return new CdxjWriter(out);
  }

  private constructor(out: WriteStream) {
    this.#out = out;
    out.on('error', (err) => {
      if (this.#error) return;
      this.#error = err;
      this.onError(err);
    });
  }

  /** Adds the line for one response record: give this to WarcWriter.onResponse. */
  add(r: WrittenResponse): void {
    if (!this.#error) this.#out.write(cdxjLine(r));
  }

  /** True while the index file lags; the WARC writer's backpressure bounds it in practice. */
  get backedUp(): boolean {
    return this.#out.writableNeedDrain;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#out.end(() => (this.#error ? reject(this.#error) : resolve()));
    });
  }
}

/** Cuts a torn last line (no newline yet) off an index a killed run left. Returns bytes cut. */
export async function repairCdxjTail(path: string): Promise<number> {
  let fh;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const probe = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; end -= probe.length) {
      const start = Math.max(0, end - probe.length);
      const { bytesRead } = await fh.read(probe, 0, end - start, start);
      const nl = probe.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        await fh.truncate(start + nl + 1);
        return size - (start + nl + 1);
      }
    }
    await fh.truncate(0);
    return size;
  } finally {
    await fh.close();
  }
}
