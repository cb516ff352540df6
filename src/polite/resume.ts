// --resume FILE: what a previous run already finished. The file is that run's NDJSON output and
// becomes this run's output (appended to). A record is *final* unless its error code is
// `aborted` (a signal or shutdown stopped it); lines with a final record are not crawled again,
// every other line is. The same rule serves any other place that must decide "done or not".
//
// Crash safety: records are whole lines written in order, so a run killed at any moment
// (SIGKILL included) leaves at most one torn line, at the very end. It is cut off (the file is
// truncated after its last newline) before anything is appended, never parsed: run/line-file.ts.

import { readLineFile } from '../run/line-file.js';

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

/**
 * Reads a previous run's records and cuts a torn tail (run/line-file.ts). A missing file is an
 * empty state (the first run of a resumable crawl); so is an empty one (a run killed before its
 * first record). A line too long to be a record is counted unreadable. `chunkBytes` is the read
 * size (tests make it small to cross chunk boundaries).
 */
export async function scanResume(path: string, chunkBytes = 256 * 1024, keys?: FinishedKeys): Promise<ResumeState> {
  const state: ResumeState = { final: new LineSet(), records: 0, tornBytes: 0, unreadable: 0 };
  if (keys !== undefined) state.finishedKeys = keys;
  const scan = await readLineFile(
    path,
    {
      line: (buf, start, end) => readLine(buf.toString('utf8', start, end), state, keys),
      overlong: () => state.unreadable++,
    },
    { chunkBytes },
  );
  if (scan !== null) state.tornBytes = scan.size - scan.kept;
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
