// --resume FILE: what a previous run already finished. The file is that run's NDJSON output and
// becomes this run's output (appended to). A record is *final* unless its error code is
// `aborted` (a signal or shutdown stopped it); lines with a final record are not crawled again,
// every other line is. The same rule serves any other place that must decide "done or not".
//
// Crash safety: records are whole lines written in order, so a run killed at any moment
// (SIGKILL included) leaves at most one torn line, at the very end. It is cut off (the file is
// truncated after its last newline) before anything is appended, never parsed.

import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

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
}

/** True when a parsed record is final (see the header comment). */
export function isFinal(record: { error?: { code?: unknown } | null }): boolean {
  return record.error == null || record.error.code !== 'aborted';
}

/**
 * Reads a previous run's records and cuts a torn tail. A missing file is an empty state
 * (the first run of a resumable crawl).
 */
export async function scanResume(path: string): Promise<ResumeState> {
  const state: ResumeState = { final: new LineSet(), records: 0, tornBytes: 0, unreadable: 0 };
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw err;
  }
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let consumed = 0; // bytes up to and including the last newline seen
  let offset = 0;
  for await (const chunk of createReadStream(path, { end: size - 1, highWaterMark: 256 * 1024 })) {
    const buf = chunk as Buffer;
    const lastNl = buf.lastIndexOf(10);
    if (lastNl !== -1) consumed = offset + lastNl + 1;
    offset += buf.length;
    const text = carry + decoder.write(buf);
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      readLine(text.slice(start, nl), state);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    carry = text.slice(start);
  }
  if (size === 0) return state;
  if (consumed < size) {
    state.tornBytes = size - consumed;
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(consumed);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return state;
}

function readLine(text: string, state: ResumeState): void {
  if (text.trim() === '') return;
  let record: { line?: unknown; error?: { code?: unknown } | null };
  try {
    record = JSON.parse(text) as typeof record;
  } catch {
    state.unreadable++;
    return;
  }
  if (record === null || typeof record !== 'object' || !Number.isSafeInteger(record.line)) {
    state.unreadable++;
    return;
  }
  state.records++;
  if (isFinal(record)) state.final.add(record.line as number);
}
