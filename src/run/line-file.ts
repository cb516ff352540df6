// The line files sweep appends to and reopens after a kill: the records file (--resume), the
// frontier log (a recursive crawl's --resume), `sweep results -o` exports and --save-dir's list of
// saved files (`.sweep-saved.ndjson`). Each is written in
// whole lines, in order, so a kill at any moment (SIGKILL included) leaves at most one torn line:
// whatever follows the last newline byte. It is cut off before anything is appended, never
// parsed. Lines are split on the newline byte, which never occurs inside a UTF-8 sequence, so a
// multi-byte character torn by a kill stays in the torn tail.
//
// One reader for all of them, so that they cannot drift: each used to have its own loop, and only
// one of them capped how much of a newline-less stretch it would hold in memory.

import { open, type FileHandle } from 'node:fs/promises';

/**
 * No line of these files comes near this (a record stays under 1 MiB: a URL of at most 64 Ki
 * characters, JSON-escaped, twice, and a short message). A longer stretch is not held in memory:
 * as a complete line it is reported with `overlong`, as the tail it is cut like any torn line.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

export interface LineVisitor {
  /** A complete line without its newline, at buf[start, end): valid only during the call. */
  line(buf: Buffer, start: number, end: number): void;
  /** A complete line longer than the cap, in its place in the order of lines. */
  overlong(): void;
}

export interface LineFileOptions {
  /** Read size (tests make it small to cross chunk boundaries). */
  chunkBytes?: number;
  maxLineBytes?: number;
  /**
   * How many bytes to keep, given the bytes up to and including the last newline (the default
   * keeps exactly those). Less is allowed: the frontier log keeps nothing without its header.
   */
  keep?: (complete: number) => number;
}

export interface LineFileScan {
  /** The file's size when it was read. */
  size: number;
  /** Its size now: everything after this was cut (and the cut synced). */
  kept: number;
}

/**
 * Reads every complete line of `path` into `visitor`, then cuts the torn tail. A missing file
 * gives null (nothing to read, nothing to cut). Memory: one chunk, plus the line being read when
 * it spans chunks (at most `maxLineBytes`).
 */
export async function readLineFile(path: string, visitor: LineVisitor, options: LineFileOptions = {}): Promise<LineFileScan | null> {
  const { chunkBytes = 256 * 1024, maxLineBytes = MAX_LINE_BYTES, keep = (complete: number) => complete } = options;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let size: number;
  let complete: number;
  try {
    size = (await handle.stat()).size;
    complete = await visitLines(handle, size, visitor, chunkBytes, maxLineBytes);
  } finally {
    await handle.close();
  }
  const kept = keep(complete);
  if (kept < size) await truncateTo(path, kept);
  return { size, kept };
}

/** Visits the complete lines of the first `size` bytes; returns the bytes up to the last newline. */
async function visitLines(handle: FileHandle, size: number, visitor: LineVisitor, chunkBytes: number, maxLineBytes: number): Promise<number> {
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, size)));
  let parts: Buffer[] = []; // the line being read, when it spans chunks (copies: buf is reused)
  let partBytes = 0;
  let overlong = false;
  let complete = 0;
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - offset), offset);
    if (bytesRead === 0) break; // the file shrank under us: what is left is not ours to judge
    let start = 0;
    let nl = buf.indexOf(10, 0);
    while (nl !== -1 && nl < bytesRead) {
      if (overlong || partBytes + nl - start > maxLineBytes) visitor.overlong();
      else if (partBytes === 0) visitor.line(buf, start, nl);
      else {
        const line = Buffer.concat([...parts, buf.subarray(start, nl)]);
        visitor.line(line, 0, line.length);
      }
      parts = [];
      partBytes = 0;
      overlong = false;
      start = nl + 1;
      complete = offset + start;
      nl = buf.indexOf(10, start);
    }
    if (start < bytesRead && !overlong) {
      partBytes += bytesRead - start;
      if (partBytes > maxLineBytes) {
        overlong = true;
        parts = [];
      } else {
        parts.push(Buffer.from(buf.subarray(start, bytesRead)));
      }
    }
    offset += bytesRead;
  }
  return complete;
}

/**
 * Cuts a torn last line without reading the file from its start: for files that are only
 * appended to and need no parse (exports). Reads backwards from the end to the last newline. A
 * missing file is fine. Returns the bytes cut.
 */
export async function cutTornTail(path: string): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let size: number;
  let end: number;
  try {
    size = (await handle.stat()).size;
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, Math.max(1, size)));
    end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(10);
      if (nl !== -1) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
  } finally {
    await handle.close();
  }
  if (end < size) await truncateTo(path, end);
  return size - end;
}

/** Truncates to `bytes` and syncs: the cut must hold before anything is appended after it. */
async function truncateTo(path: string, bytes: number): Promise<void> {
  const writable = await open(path, 'r+');
  try {
    await writable.truncate(bytes);
    await writable.sync();
  } finally {
    await writable.close();
  }
}
