// A small WARC reader written for the tests, independent of src/keep (its own gzip member walk,
// header parsing, base32 and digest checks), so the writer is checked against a second reading
// of the format and not against itself. warcio's parser is the third.

import { createHash } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';

export interface ReadRecord {
  /** Offset of the record (its gzip member for .warc.gz) in the file, and its length there. */
  offset: number;
  length: number;
  version: string;
  /** Header names lower-cased; repeated names keep the last value. */
  headers: Map<string, string>;
  headerLines: string[];
  block: Buffer;
}

/** Splits a whole record at the start of `data`; throws unless it is exactly one record. */
function parseRecord(data: Buffer, offset: number, length: number, exact: boolean): { record: ReadRecord; end: number } {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`record at ${offset}: no end of header`);
  const lines = data.toString('utf8', 0, headEnd).split('\r\n');
  const version = lines.shift()!;
  if (!/^WARC\/1\.[01]$/.test(version)) throw new Error(`record at ${offset}: bad version line ${JSON.stringify(version)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`record at ${offset}: bad header line ${JSON.stringify(line)}`);
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const cl = headers.get('content-length');
  if (cl === undefined || !/^\d+$/.test(cl)) throw new Error(`record at ${offset}: no Content-Length`);
  const blockStart = headEnd + 4;
  const blockEnd = blockStart + Number(cl);
  if (data.length < blockEnd + 4) throw new Error(`record at ${offset}: block shorter than Content-Length`);
  if (data.toString('latin1', blockEnd, blockEnd + 4) !== '\r\n\r\n') throw new Error(`record at ${offset}: no CRLF CRLF after the block`);
  if (exact && data.length !== blockEnd + 4) throw new Error(`record at ${offset}: ${data.length - blockEnd - 4} bytes after the record in its member`);
  const record = { offset, length: exact ? length : blockEnd + 4, version, headers, headerLines: lines, block: data.subarray(blockStart, blockEnd) };
  return { record, end: blockEnd + 4 };
}

export function readWarc(file: Buffer, gzip: boolean): ReadRecord[] {
  const out: ReadRecord[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (!gzip) {
      const { record, end } = parseRecord(file.subarray(pos), pos, 0, false);
      out.push(record);
      pos += end;
      continue;
    }
    if (file[pos] !== 0x1f || file[pos + 1] !== 0x8b || file[pos + 2] !== 8) throw new Error(`no gzip member at ${pos}`);
    const flags = file[pos + 3]!;
    let at = pos + 10;
    if (flags & 4) at += 2 + file.readUInt16LE(at);
    if (flags & 8) at = file.indexOf(0, at) + 1;
    if (flags & 16) at = file.indexOf(0, at) + 1;
    if (flags & 2) at += 2;
    const { buffer: data, engine } = inflateRawSync(file.subarray(at), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    at += engine.bytesWritten;
    if (at + 8 > file.length) throw new Error(`member at ${pos}: no trailer`);
    if (file.readUInt32LE(at) !== crc32(data) >>> 0) throw new Error(`member at ${pos}: CRC mismatch`);
    if (file.readUInt32LE(at + 4) !== data.length % 2 ** 32) throw new Error(`member at ${pos}: size mismatch`);
    at += 8;
    out.push(parseRecord(data, pos, at - pos, true).record);
    pos = at;
  }
  return out;
}

function b32(bytes: Buffer): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += A[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

export function warcDigestOf(label: string, data: Buffer): string {
  const algo = label === 'sha1' ? 'sha1' : 'sha256';
  return `${label}:${b32(createHash(algo).update(data).digest())}`;
}

/** The HTTP head and payload of an application/http block. */
export function splitHttp(block: Buffer): { head: string; payload: Buffer; lines: string[] } {
  const end = block.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('HTTP block without end of head');
  const head = block.toString('latin1', 0, end + 4);
  return { head, payload: block.subarray(end + 4), lines: head.slice(0, -4).split('\r\n') };
}

/** Throws unless the record's block and payload digests match its bytes. */
export function checkDigests(r: ReadRecord): void {
  const blockDigest = r.headers.get('warc-block-digest');
  if (blockDigest) {
    const label = blockDigest.split(':')[0]!;
    const want = warcDigestOf(label, r.block);
    if (want !== blockDigest) throw new Error(`record at ${r.offset}: block digest ${blockDigest}, computed ${want}`);
  }
  const payloadDigest = r.headers.get('warc-payload-digest');
  if (payloadDigest) {
    const label = payloadDigest.split(':')[0]!;
    const want = warcDigestOf(label, splitHttp(r.block).payload);
    if (want !== payloadDigest) throw new Error(`record at ${r.offset}: payload digest ${payloadDigest}, computed ${want}`);
  }
}
