// Crash safety for WARC files. The writer only appends whole records, so a SIGKILL leaves at most
// one torn record at the end of the current file: part of a gzip member (or, for .warc, part of a
// record). repairWarcTail cuts the file back to the end of its last complete record, so any WARC
// reader can read it and the next run can append.
//
// What follows the last complete record is a torn tail only if it has the shape a SIGKILL leaves:
// the file is a prefix of what the writer meant to write, so the first record that is not whole
// starts right there, begins as every record does, and runs past the end of the file (plain: its
// header's Content-Length reaches past EOF, or its header is cut; gzip: its member inflates
// without a data error up to EOF, or only its 8-byte trailer is cut). Everything after the bad
// byte is then that record's own bytes, whatever they hold: a crawled .warc or .warc.gz served as
// a body carries whole records inside the payload (level-1 deflate stores incompressible data, so
// an embedded gzip member appears byte for byte), and those must not stop the cut.
//
// Anything else is damage, not a crash: a record that ends inside the file but is wrong (bad CRC,
// no closing CRLF CRLF, a Content-Length that does not fit), a data error in a member, bytes that
// do not begin a record. Then the old, cautious rule holds: the whole rest of the file is searched
// and, if it still holds a whole record, the repair refuses (a UsageError: one line, exit 2) and
// leaves the file as it is; cutting would destroy good records. (A refusal may come from a record
// embedded in the damaged record's payload; refusing costs the user a look, cutting would not be
// undoable.) Only when nothing whole follows is the damaged tail cut.

import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { InflateRaw } from 'minizlib';
import { UsageError } from '../errors.js';
import { currentIndex, parseWarcPath, rotatedPath } from './warc-names.js';

export interface RepairResult {
  /** Complete records the file holds (warcinfo included). */
  records: number;
  /** One of them is not a warcinfo record (a request or response: the file holds exchanges). */
  holdsExchanges: boolean;
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
      // A torn record runs to EOF: nothing after it to search (see the top of this file).
      const later = scan.torn ? -1 : gzip ? await findMember(reader, scan.end + 1) : await findPlain(reader, scan.end + 1);
      if (later >= 0) {
        throw new UsageError(
          `--resume: ${path} is damaged at byte ${scan.end}, but a whole record follows at byte ${later}; not cutting (this is not a torn tail from a killed run)`,
        );
      }
      // No fsync here: the writer appends next and fsyncs when it closes; a crash before that
      // leaves a torn tail again, which the next repair cuts the same way.
      await fh.truncate(scan.end);
    }
    return { records: scan.records, holdsExchanges: scan.holdsExchanges, tornBytes: size - scan.end };
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
  /** A complete record is not a warcinfo record. */
  holdsExchanges: boolean;
  /** Offset just past the last complete record. */
  end: number;
  /** What starts at `end` (when it is not EOF) has the shape of a torn last record. */
  torn: boolean;
}

/** Record probes: an end offset (>= 0), or one of these. */
const TORN = -1; // a prefix of a record, running past EOF: what a SIGKILL leaves
const BAD = -2; // not a whole record and not a torn one

const PROBE = 64 * 1024;
const CHUNK = 1 << 20;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const WARC_MAGIC = Buffer.from('WARC/1.');

/** `buf` begins as `magic` does (as far as it goes: a short buffer may be a cut one). */
function startsLike(buf: Buffer, magic: Buffer): boolean {
  const n = Math.min(buf.length, magic.length);
  return buf.subarray(0, n).equals(magic.subarray(0, n));
}

interface WarcHeader {
  headerLength: number;
  contentLength: number;
  /** The header (latin1), from its version line to the CRLF of its last field. */
  text: string;
}

/**
 * The header is a warcinfo record's. Asked only until a scan has seen another type (usually at
 * the second record): one more regex per record would be a measurable share of a scan's time.
 */
function isWarcinfo(h: WarcHeader): boolean {
  return /\r\nwarc-type:[ \t]*warcinfo[ \t]*\r\n/i.test(h.text);
}

/** The length of a WARC header block at the start of `buf`, its Content-Length and type, or null. */
function warcHeader(buf: Buffer): WarcHeader | null {
  if (!buf.subarray(0, 7).equals(WARC_MAGIC)) return null;
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) return null;
  const text = buf.toString('latin1', 0, end + 2);
  const m = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(text);
  if (!m) return null;
  return { headerLength: end + 4, contentLength: Number(m[1]), text };
}

async function scanPlain(r: Window, from: number): Promise<Scan> {
  let pos = from;
  let records = 0;
  let holdsExchanges = false;
  let end = BAD;
  const type = { warcinfo: true };
  while (pos < r.size) {
    end = await plainRecordEnd(r, pos, holdsExchanges ? null : type);
    if (end < 0) break;
    records++;
    if (!type.warcinfo) holdsExchanges = true;
    pos = end;
  }
  return { records, holdsExchanges, end: pos, torn: end === TORN };
}

/** End offset of the complete plain record at `pos`, or TORN, or BAD; `type` learns its type. */
async function plainRecordEnd(r: Window, pos: number, type: { warcinfo: boolean } | null = null): Promise<number> {
  const probe = await r.bytes(pos, PROBE);
  const h = warcHeader(probe);
  if (type !== null && h !== null) type.warcinfo = isWarcinfo(h);
  if (!h) {
    // A header cut by EOF: every byte left is header (no CRLF CRLF yet), begun as a record is.
    const cut = probe.length === r.size - pos && probe.indexOf(CRLFCRLF) < 0 && startsLike(probe, WARC_MAGIC);
    return cut ? TORN : BAD;
  }
  const end = pos + h.headerLength + h.contentLength + 4;
  if (end > r.size) return TORN;
  return (await r.bytes(end - 4, 4)).equals(CRLFCRLF) ? end : BAD;
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
  let holdsExchanges = false;
  let end = BAD;
  try {
    while (pos < r.size) {
      end = await checker.end(r, pos);
      if (end < 0) break;
      records++;
      if (!checker.warcinfo) {
        holdsExchanges = true;
        checker.askType = false;
      }
      pos = end;
    }
  } finally {
    checker.close();
  }
  return { records, holdsExchanges, end: pos, torn: end === TORN };
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
 * trailer) and holds exactly one complete WARC record, or is the torn start of one. Reuses one
 * inflate handle across members (a fresh zlib handle per member would cost more than inflating a
 * small record).
 */
class MemberChecker {
  #inflate: InflateRaw | null = null;
  #failed = false;
  #crc = 0;
  #total = 0;
  #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  /** Whether to tell a whole member's record type (warcinfo below). */
  askType = true;
  /** The last whole member's record is a warcinfo record (while askType). */
  warcinfo = true;

  /** End offset of the member at `pos`, or TORN, or BAD. */
  async end(r: Window, pos: number): Promise<number> {
    const probe = await r.bytes(pos, PROBE);
    const headerLength = gzipHeaderLength(probe);
    // The writer's members have a plain 10-byte header: fewer bytes left than that is a cut one.
    if (headerLength < 0) return probe.length < 10 && probe.length === r.size - pos && startsLike(probe, GZIP_MAGIC) ? TORN : BAD;
    const inflate = this.#fresh();
    let at = pos + headerLength;
    for (;;) {
      const input = await r.bytes(at, CHUNK);
      // EOF before the deflate stream ended: a torn member if all of it inflated cleanly and
      // what it holds begins as a record does.
      if (input.length === 0) return this.#startsAsRecord() ? TORN : BAD;
      inflate.write(input);
      // A data error: no prefix of a good member has one.
      if (this.#failed) return BAD;
      const used = (inflate.handle as unknown as { bytesWritten: number }).bytesWritten;
      at += used;
      if (used < input.length) break;
    }
    const h = warcHeader(Buffer.concat(this.#head));
    if (!h || h.headerLength + h.contentLength + 4 !== this.#total || !this.#tail.equals(CRLFCRLF)) return BAD;
    if (this.askType) this.warcinfo = isWarcinfo(h);
    const crc = this.#crc >>> 0;
    const length = this.#total % 2 ** 32;
    const trailer = await r.bytes(at, 8);
    if (trailer.length === 8) return trailer.readUInt32LE(0) === crc && trailer.readUInt32LE(4) === length ? at + 8 : BAD;
    // The record inflated whole and EOF cuts the trailer: torn if the bytes there are right so far.
    const want = Buffer.alloc(8);
    want.writeUInt32LE(crc, 0);
    want.writeUInt32LE(length, 4);
    return trailer.equals(want.subarray(0, trailer.length)) ? TORN : BAD;
  }

  close(): void {
    this.#inflate?.close();
    this.#inflate = null;
  }

  #startsAsRecord(): boolean {
    return startsLike(Buffer.concat(this.#head), WARC_MAGIC);
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
