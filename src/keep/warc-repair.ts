// Crash safety for WARC files. The writer only appends whole records, so a SIGKILL leaves at most
// one torn record at the end of the current file: part of a gzip member (or, for .warc, part of a
// record). repairWarcTail cuts the file back to the end of its last complete record, so any WARC
// reader can read it and the next run can append.
//
// It refuses to cut when what follows the first bad byte still holds a whole record: that is a
// damaged file, not a torn tail, and cutting would destroy good records.

import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { InflateRaw } from 'minizlib';
import { currentIndex, parseWarcPath, rotatedPath } from './warc-names.js';

export interface RepairResult {
  /** Complete records the file holds (warcinfo included). */
  records: number;
  /** Bytes cut off the end (0: the file was whole). */
  tornBytes: number;
}

/** Repairs the current (last) file of the series `warcPath` names; returns its path too. */
export async function repairCurrentWarc(warcPath: string): Promise<RepairResult & { path: string }> {
  const name = parseWarcPath(warcPath);
  if (!name) throw new Error(`${warcPath}: not a .warc or .warc.gz name`);
  const path = rotatedPath(name, await currentIndex(name));
  return { path, ...(await repairWarcTail(path)) };
}

export async function repairWarcTail(path: string): Promise<RepairResult> {
  const gzip = path.toLowerCase().endsWith('.gz');
  const fh = await open(path, 'r+');
  try {
    const size = (await fh.stat()).size;
    const reader = new Window(fh, size);
    const scan = gzip ? await scanMembers(reader, 0) : await scanPlain(reader, 0);
    if (scan.end < size) {
      const later = gzip ? await findMember(reader, scan.end + 1) : await findPlain(reader, scan.end + 1);
      if (later >= 0) {
        throw new Error(
          `${path}: damaged at byte ${scan.end}, but a whole record follows at byte ${later}; not cutting (this is not a torn tail)`,
        );
      }
      // No fsync here: the writer appends next and fsyncs when it closes; a crash before that
      // leaves a torn tail again, which the next repair cuts the same way.
      await fh.truncate(scan.end);
    }
    return { records: scan.records, tornBytes: size - scan.end };
  } finally {
    await fh.close();
  }
}

/** Reads a file through a sliding window. */
class Window {
  readonly size: number;
  readonly #fh: FileHandle;
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;

  constructor(fh: FileHandle, size: number) {
    this.#fh = fh;
    this.size = size;
  }

  /** Up to `max` bytes from `pos` (fewer only at the end of the file). */
  async bytes(pos: number, max: number): Promise<Buffer> {
    const want = Math.min(max, this.size - pos);
    if (want <= 0) return Buffer.alloc(0);
    if (pos < this.#start || pos + want > this.#start + this.#buf.length) {
      const length = Math.min(Math.max(want, 4 << 20), this.size - pos);
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await this.#fh.read(buf, 0, length, pos);
      this.#buf = buf.subarray(0, bytesRead);
      this.#start = pos;
    }
    return this.#buf.subarray(pos - this.#start, pos - this.#start + want);
  }
}

interface Scan {
  records: number;
  /** Offset just past the last complete record. */
  end: number;
}

const PROBE = 64 * 1024;
const CHUNK = 1 << 20;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const WARC_MAGIC = Buffer.from('WARC/1.');

/** The length of a WARC header block at the start of `buf` and its Content-Length, or null. */
function warcHeader(buf: Buffer): { headerLength: number; contentLength: number } | null {
  if (!buf.subarray(0, 7).equals(WARC_MAGIC)) return null;
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) return null;
  const m = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(buf.toString('latin1', 0, end + 2));
  if (!m) return null;
  return { headerLength: end + 4, contentLength: Number(m[1]) };
}

async function scanPlain(r: Window, from: number): Promise<Scan> {
  let pos = from;
  let records = 0;
  while (pos < r.size) {
    const end = await plainRecordEnd(r, pos);
    if (end < 0) break;
    records++;
    pos = end;
  }
  return { records, end: pos };
}

/** End offset of the complete plain record at `pos`, or -1. */
async function plainRecordEnd(r: Window, pos: number): Promise<number> {
  const h = warcHeader(await r.bytes(pos, PROBE));
  if (!h) return -1;
  const end = pos + h.headerLength + h.contentLength + 4;
  if (end > r.size) return -1;
  return (await r.bytes(end - 4, 4)).equals(CRLFCRLF) ? end : -1;
}

async function findPlain(r: Window, from: number): Promise<number> {
  for (let pos = from; pos < r.size; ) {
    const buf = await r.bytes(pos, CHUNK);
    const at = buf.indexOf('WARC/1.');
    if (at < 0) {
      pos += Math.max(1, buf.length - 6);
      continue;
    }
    if ((await plainRecordEnd(r, pos + at)) >= 0) return pos + at;
    pos += at + 1;
  }
  return -1;
}

async function scanMembers(r: Window, from: number): Promise<Scan> {
  const checker = new MemberChecker();
  let pos = from;
  let records = 0;
  try {
    while (pos < r.size) {
      const end = await checker.end(r, pos);
      if (end < 0) break;
      records++;
      pos = end;
    }
  } finally {
    checker.close();
  }
  return { records, end: pos };
}

/** Length of the gzip header at the start of `b`; -1 if it is not one or is cut short. */
function gzipHeaderLength(b: Buffer): number {
  if (b.length < 10 || b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return -1;
  const flags = b[3]!;
  let at = 10;
  if (flags & 4) {
    if (b.length < at + 2) return -1;
    at += 2 + b.readUInt16LE(at);
  }
  for (const bit of [8, 16]) {
    if (flags & bit) {
      const zero = b.indexOf(0, at);
      if (zero < 0) return -1;
      at = zero + 1;
    }
  }
  if (flags & 2) at += 2;
  return at <= b.length ? at : -1;
}

/**
 * Decides whether a gzip member at an offset is complete (deflate stream, CRC-32 and size
 * trailer) and holds exactly one complete WARC record. Reuses one inflate handle across members
 * (a fresh zlib handle per member would cost more than inflating a small record).
 */
class MemberChecker {
  #inflate: InflateRaw | null = null;
  #failed = false;
  #crc = 0;
  #total = 0;
  #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);

  /** End offset of the member at `pos`, or -1. */
  async end(r: Window, pos: number): Promise<number> {
    const headerLength = gzipHeaderLength(await r.bytes(pos, PROBE));
    if (headerLength < 0) return -1;
    const inflate = this.#fresh();
    let at = pos + headerLength;
    for (;;) {
      const input = await r.bytes(at, CHUNK);
      if (input.length === 0) return -1;
      inflate.write(input);
      if (this.#failed) return -1;
      const used = (inflate.handle as unknown as { bytesWritten: number }).bytesWritten;
      at += used;
      if (used < input.length) break;
    }
    const trailer = await r.bytes(at, 8);
    if (trailer.length < 8 || trailer.readUInt32LE(0) !== this.#crc >>> 0 || trailer.readUInt32LE(4) !== this.#total % 2 ** 32) {
      return -1;
    }
    const h = warcHeader(Buffer.concat(this.#head));
    if (!h || h.headerLength + h.contentLength + 4 !== this.#total || !this.#tail.equals(CRLFCRLF)) return -1;
    return at + 8;
  }

  close(): void {
    this.#inflate?.close();
    this.#inflate = null;
  }

  #fresh(): InflateRaw {
    this.#crc = 0;
    this.#total = 0;
    this.#head = [];
    this.#headBytes = 0;
    this.#tail = Buffer.alloc(0);
    if (this.#inflate && !this.#failed) {
      this.#inflate.reset();
      return this.#inflate;
    }
    // After a zlib error the handle is gone: start a new one.
    this.#failed = false;
    const inflate = new InflateRaw({});
    inflate.on('error', () => (this.#failed = true));
    inflate.on('data', (out: Buffer) => {
      this.#crc = crc32(out, this.#crc);
      this.#total += out.length;
      if (this.#headBytes < PROBE) {
        this.#head.push(out);
        this.#headBytes += out.length;
      }
      this.#tail = out.length >= 4 ? out.subarray(out.length - 4) : Buffer.concat([this.#tail, out]).subarray(-4);
    });
    this.#inflate = inflate;
    return inflate;
  }
}

async function findMember(r: Window, from: number): Promise<number> {
  const checker = new MemberChecker();
  try {
    for (let pos = from; pos < r.size; ) {
      const buf = await r.bytes(pos, CHUNK);
      const at = buf.indexOf(GZIP_MAGIC);
      if (at < 0) {
        pos += Math.max(1, buf.length - 2);
        continue;
      }
      if ((await checker.end(r, pos + at)) >= 0) return pos + at;
      pos += at + 1;
    }
    return -1;
  } finally {
    checker.close();
  }
}
