// The admission log: FILE.frontier beside a resumable crawl's records FILE. Every URL the
// frontier admits (or lowers to a smaller depth) is appended here BEFORE the record of the page
// that found it is written: the record sink calls flushSync() just before each batch of records.
// A write(2) that returned is in the page cache and survives SIGKILL, so after a kill every
// page with a record has its links in the log, and a page without one is fetched again.
//
// Format: UTF-8 text, one line per page, then one line per URL it admitted, like an outline:
//
//   #sweep-frontier 1                          the first line, once
//   <depth>\t<parent URL>                      these links were found on <parent> (empty: none)
//   \t<url>                                    one admitted URL, at that depth
//
// The parent is written once per page, not once per link. Tabs and newlines cannot be part of
// a URL (the WHATWG serializer strips them, and percent-encodes every other control, space and
// non-ASCII character: href is printable ASCII), so a line needs no escaping; append() refuses
// a key that has one. Lines are read back whole (replay.ts): a torn last line is cut, never parsed.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

export const LOG_HEADER = '#sweep-frontier 1';

const UNSAFE = /[\t\n\r]/;
const AUTO_FLUSH = 1 << 20;

/** Throws when `url` would break a log line (a bug in the caller's normalisation). */
export function assertLoggable(url: string): void {
  if (UNSAFE.test(url)) throw new TypeError(`frontier: a URL key contains a tab or newline: ${JSON.stringify(url)}`);
}

export class AdmissionLog {
  readonly path: string;
  #fd: number | null;
  #pending = '';

  /**
   * Opens `path` for appending, writing the header when the file is empty or absent. Replay it
   * first (replayLog), which also cuts a torn tail.
   */
  constructor(path: string, size: number) {
    this.path = path;
    this.#fd = openSync(path, 'a', 0o644);
    if (size === 0) this.#pending = `${LOG_HEADER}\n`;
  }

  /**
   * Appends a page's admitted URLs, in memory until flushSync(), or at once past 1 MiB: writing
   * the log early never breaks its promise (links before the record), and it bounds the text
   * held when records are slow to come. Keys are checked by the caller (assertLoggable).
   */
  append(parent: string | null, depth: number, urls: readonly string[]): void {
    if (urls.length === 0) return;
    let text = `${depth}\t${parent ?? ''}\n`;
    for (const url of urls) text += `\t${url}\n`;
    this.#pending += text;
    if (this.#pending.length > AUTO_FLUSH) this.flushSync();
  }

  /** Writes everything appended so far with one write(2) (more only if the kernel writes short). */
  flushSync(): void {
    if (this.#pending === '' || this.#fd === null) return;
    const buf = Buffer.from(this.#pending, 'utf8');
    this.#pending = '';
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
  }

  /** Flushes, fsyncs (a clean end survives power loss too) and closes. */
  close(): void {
    if (this.#fd === null) return;
    this.flushSync();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = null;
  }
}
