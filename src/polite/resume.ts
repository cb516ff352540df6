// --resume FILE: what a previous run already finished. The file is that run's NDJSON output and
// becomes this run's output (appended to). A record is *final* unless its error code is
// `aborted` (a signal or shutdown stopped it); lines with a final record are not crawled again,
// every other line is. The same rule serves any other place that must decide "done or not".
//
// Crash safety: records are whole lines written in order, so a run killed at any moment
// (SIGKILL included) leaves at most one torn line, at the very end. It is cut off (the file is
// truncated after its last newline) before anything is appended, never parsed.

import { open, type FileHandle } from 'node:fs/promises';

/** A growable bitset of line numbers. */
export class LineSet {
  #bits = new Uint8Array(1024);
  #count = 0;

  add(line: number): void {
    const byte = line >>> 3;
    if (byte >= this.#bits.length) {
      let size = this.#bits.length;
      while (size <= byte) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#bits);
      this.#bits = next;
    }
    const mask = 1 << (line & 7);
    if ((this.#bits[byte]! & mask) === 0) {
      this.#bits[byte]! |= mask;
      this.#count++;
    }
  }

  has(line: number): boolean {
    const byte = line >>> 3;
    return byte < this.#bits.length && (this.#bits[byte]! & (1 << (line & 7))) !== 0;
  }

  get size(): number {
    return this.#count;
  }
}

export interface ResumeState {
  /** Lines that already have a final record. */
  final: LineSet;
  /** Complete records read (final or not). */
  records: number;
  /** Bytes cut off the end (a torn last line); 0 when the file ended cleanly. */
  tornBytes: number;
  /** Complete lines that were not a record (not JSON or no line number): ignored. */
  unreadable: number;
  /** Recursive crawls: the URL keys of every final record (seeds' and found URLs'). */
  finishedKeys?: { has(key: string): boolean };
}

/** For recursive crawls: how a record's `url` becomes a frontier key, and where keys go. */
export interface FinishedKeys {
  keyOf(url: string): string | null;
  add(key: string): void;
  has(key: string): boolean;
}

/** True when a parsed record is final (see the header comment). */
export function isFinal(record: { error?: { code?: unknown } | null }): boolean {
  return record.error == null || record.error.code !== 'aborted';
}

/** Lines longer than this cannot be records (a record stays under 1 MiB: a URL of at most
 * 64 Ki characters, JSON-escaped, twice, and a short message): not accumulated, counted unreadable. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * Reads a previous run's records and cuts a torn tail. A missing file is an empty state
 * (the first run of a resumable crawl); so is an empty one (a run killed before its first
 * record). Lines are split on the newline byte, which never occurs inside a UTF-8 sequence, so
 * a multi-byte character torn by a kill stays in the torn tail. `chunkBytes` is the read size
 * (tests make it small to cross chunk boundaries).
 */
export async function scanResume(path: string, chunkBytes = 256 * 1024, keys?: FinishedKeys): Promise<ResumeState> {
  const state: ResumeState = { final: new LineSet(), records: 0, tornBytes: 0, unreadable: 0 };
  if (keys !== undefined) state.finishedKeys = keys;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw err;
  }
  let size: number;
  let consumed = 0; // bytes up to and including the last newline
  try {
    size = (await handle.stat()).size;
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, size)));
    let parts: Buffer[] = []; // the line being read, when it spans chunks
    let partBytes = 0;
    let overlong = false;
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - offset), offset);
      if (bytesRead === 0) break; // the file shrank under us: what is left is not ours to judge
      let start = 0;
      let nl = buf.indexOf(10, 0);
      while (nl !== -1 && nl < bytesRead) {
        if (overlong) state.unreadable++;
        else if (partBytes === 0) readLine(buf.toString('utf8', start, nl), state, keys);
        else readLine(Buffer.concat([...parts, buf.subarray(start, nl)]).toString('utf8'), state, keys);
        parts = [];
        partBytes = 0;
        overlong = false;
        start = nl + 1;
        consumed = offset + start;
        nl = buf.indexOf(10, start);
      }
      if (start < bytesRead && !overlong) {
        partBytes += bytesRead - start;
        if (partBytes > MAX_RECORD_BYTES) {
          overlong = true;
          parts = [];
        } else {
          parts.push(Buffer.from(buf.subarray(start, bytesRead))); // a copy: buf is reused
        }
      }
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (consumed < size) {
    state.tornBytes = size - consumed;
    const writable = await open(path, 'r+');
    try {
      await writable.truncate(consumed);
      await writable.sync();
    } finally {
      await writable.close();
    }
  }
  return state;
}

/** Record line numbers are 1-based and fit the LineSet (a bogus 1e15 or -1 must not wrap). */
const MAX_LINE = 0xffffffff;

function readLine(text: string, state: ResumeState, keys: FinishedKeys | undefined): void {
  if (text.trim() === '') return;
  let record: { line?: unknown; url?: unknown; error?: { code?: unknown } | null };
  try {
    record = JSON.parse(text) as typeof record;
  } catch {
    state.unreadable++;
    return;
  }
  const line = record === null || typeof record !== 'object' ? undefined : record.line;
  // A URL found by a recursive crawl has no input line (null): known by its URL alone.
  const found = line === null && keys !== undefined && typeof record.url === 'string';
  if (!found && (typeof line !== 'number' || !Number.isInteger(line) || line < 1 || line > MAX_LINE)) {
    state.unreadable++;
    return;
  }
  state.records++;
  if (!isFinal(record)) return;
  if (!found) state.final.add(line as number);
  if (keys !== undefined && typeof record.url === 'string') {
    const key = keys.keyOf(record.url);
    if (key !== null) keys.add(key);
  }
}
