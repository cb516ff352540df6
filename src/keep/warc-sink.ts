// The end of the WARC pipe: takes finished exchanges, hashes them, formats the request and
// response records, compresses each record into its own gzip member (for .warc.gz), appends them
// to the current file, rotates files, and reports where each response landed. Synchronous on
// purpose: it runs on the writer's worker thread (or, with `worker: false`, inline on the main
// thread), where blocking fs calls and CPU work cost the crawl's event loop nothing.
//
// Hashing lives here, not on the main thread, for the same reason as gzip: at 440-byte pages the
// three digests per exchange and their base32 cost more main-thread time than building the heads.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { digestBytes, digestHex, digestOf, warcDigest, type DigestAlgo } from './digest.js';
import { MemberCompressor } from './gzip-member.js';
import { rotatedPath, type WarcName } from './warc-names.js';
import { formatHeader, newRecordId, RECORD_END, warcFields, type RecordFields } from './warc-record.js';
import { putLatin1 } from './latin1-write.js';

export interface SinkSettings {
  name: WarcName;
  /** zlib level for .warc.gz. */
  level: number;
  maxSize: number;
  digest: DigestAlgo;
  info: Readonly<Record<string, string>>;
  /** Index of the file to start in, and whether to append to it (resume) or create it. */
  startIndex: number;
  append: boolean;
  /**
   * (append) The file already holds request/response records, so this run's first pair may go
   * to the next file instead; its warcinfo is then written only with that pair (see #open).
   */
  appendHoldsExchanges?: boolean;
}

/** Numbers per exchange in ExchangeBatch.meta. */
export const META_STRIDE = 9;

/**
 * Exchanges ready to be written, in completion order. For exchange i, meta[i*9 ..] holds offsets
 * into `bytes`: fieldsStart, fieldsLength, reqStart, reqLength, reqHeadLength, resStart,
 * resLength, resHeadLength, spoolIndex.
 * - fields: `uri \n ip \n date \n truncated` (latin1; empty strings for none);
 * - req: the HTTP request head as sent, then its body if any;
 * - res: the HTTP response head as stored, then the payload when it was kept in memory; a
 *   spooled payload is the spool file `spools[spoolIndex]` instead.
 */
export interface ExchangeBatch {
  bytes: Uint8Array;
  meta: Float64Array;
  spools: { path: string; length: number }[];
}

/**
 * What the sink reports per exchange besides where the response landed: that is written into the
 * batch's own meta area (writeBatch), which the crawl's thread shares.
 */
export interface WrittenBatch {
  /** WARC-Payload-Digest of each response. */
  digests: string[];
  /** Hex SHA-256 of each payload. */
  sha256: string[];
}

export const LOC_STRIDE = 3;

const FLUSH_BYTES = 1 << 20;
const STAGE_BYTES = 1 << 20;

const READ_CHUNK = 1 << 20;

/**
 * The most a gzip member of `n` raw bytes can take: zlib's deflateBound for the default window
 * and memLevel (what MemberCompressor uses), `n + n/4096 + n/16384 + n/2^25 + 7`, plus the
 * 18-byte gzip header and trailer. It holds for a stream fed without flushes and finished with
 * Z_FINISH, as a spooled record is. Used only where the member is not made before it is placed.
 */
export function gzipBound(n: number): number {
  return n + Math.floor(n / 4096) + Math.floor(n / 16384) + Math.floor(n / 2 ** 25) + 7 + 18;
}
const END = Buffer.from(RECORD_END, 'latin1');
const REQUEST_TYPE = 'application/http;msgtype=request';
const RESPONSE_TYPE = 'application/http;msgtype=response';

export class WarcSink {
  readonly #s: SinkSettings;
  readonly #gz: MemberCompressor | null;
  #index: number;
  #fd = -1;
  #size = 0;
  /**
   * Rotation waits while the file is no bigger than this: the size right after the file's own
   * warcinfo record, so a file never holds only that; 0 for a resumed file that already holds
   * exchanges (it may rotate before this run's first pair).
   */
  #floor = 0;
  #warcinfoId = '';
  /** A resumed file's new warcinfo record, written just before this run's first pair in it. */
  #pendingInfo: Buffer | null = null;
  readonly #emptyDigest: string;
  #broken = false;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Plain records are written into this buffer, which goes to the file as it is (see #record). */
  readonly #stage: Buffer;
  #staged = 0;
  /** A .gz record is assembled here before it is compressed. Each sink has only its mode's buffer. */
  #scratch: Buffer;

  constructor(settings: SinkSettings) {
    this.#s = settings;
    this.#gz = settings.name.gzip ? new MemberCompressor({ level: settings.level }) : null;
    this.#stage = Buffer.allocUnsafeSlow(this.#gz === null ? STAGE_BYTES : 0);
    this.#scratch = Buffer.allocUnsafeSlow(this.#gz === null ? 0 : 64 * 1024);
    this.#index = settings.startIndex;
    this.#emptyDigest = digestOf(settings.digest);
    this.#open(settings.append);
  }

  /** The path of the file being written. */
  get path(): string {
    return rotatedPath(this.#s.name, this.#index);
  }

  /**
   * Writes the batch's records. Exchange i's location (file index, offset, length of its response
   * record) goes into `batch.meta` at i * LOC_STRIDE, in place: that is at or before i * META_STRIDE,
   * meta the loop has already read, so no exchange's meta is overwritten before it is used.
   */
  writeBatch(batch: ExchangeBatch): WrittenBatch {
    const n = batch.meta.length / META_STRIDE;
    const out: WrittenBatch = { digests: new Array<string>(n), sha256: new Array<string>(n) };
    const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    const meta = batch.meta;
    for (let i = 0; i < n; i++) {
      const m = i * META_STRIDE;
      const [uri, ip, date, truncated] = bytes.toString('latin1', meta[m]!, meta[m]! + meta[m + 1]!).split('\n') as [string, string, string, string];
      const req = bytes.subarray(meta[m + 2]!, meta[m + 2]! + meta[m + 3]!);
      const reqHeadLength = meta[m + 4]!;
      const res = bytes.subarray(meta[m + 5]!, meta[m + 5]! + meta[m + 6]!);
      const resHeadLength = meta[m + 7]!;
      const spool = meta[m + 8]! >= 0 ? batch.spools[meta[m + 8]!]! : null;
      const blockLength = res.length + (spool ? spool.length : 0);

      // Digests and headers first: rotation is decided on the records' exact lengths, and only
      // the WARC-Warcinfo-ID in the headers depends on the file they go to.
      const algo = this.#s.digest;
      const gz = this.#gz;
      const reqId = newRecordId();
      const resId = newRecordId();
      const reqBody = req.subarray(reqHeadLength);
      const reqFields: RecordFields = {
        type: 'request',
        id: reqId,
        warcinfoId: this.#warcinfoId,
        date,
        targetUri: uri,
        ip,
        concurrentTo: resId,
        contentType: REQUEST_TYPE,
        contentLength: req.length,
        blockDigest: warcDigest(algo, digestBytes(algo, req)),
        payloadDigest: reqBody.length === 0 ? this.#emptyDigest : warcDigest(algo, digestBytes(algo, reqBody)),
      };

      let block: Buffer;
      let payload: Buffer;
      if (spool) {
        const h = this.#hashSpool(res, spool);
        block = h.block;
        payload = h.payload;
        out.sha256[i] = h.sha256;
      } else {
        const payloadBytes = res.subarray(resHeadLength);
        const payloadHex = digestHex(algo, payloadBytes);
        block = digestBytes(algo, res);
        payload = Buffer.from(payloadHex, 'hex');
        out.sha256[i] = algo === 'sha256' ? payloadHex : digestHex('sha256', payloadBytes);
      }
      const payloadDigest = warcDigest(algo, payload);
      out.digests[i] = payloadDigest;
      const resFields: RecordFields = {
        type: 'response',
        id: resId,
        warcinfoId: this.#warcinfoId,
        date,
        targetUri: uri,
        ip,
        concurrentTo: reqId,
        contentType: RESPONSE_TYPE,
        contentLength: blockLength,
        blockDigest: warcDigest(algo, block),
        payloadDigest,
        truncated,
      };
      let reqHeader = formatHeader(reqFields);
      let resHeader = formatHeader(resFields);
      // For .warc.gz the members are made now, so their lengths are known exactly; a spooled
      // response is compressed as it is read, so it counts at its bound.
      let reqMember = gz ? this.#member(reqHeader, req) : null;
      let resMember = gz && !spool ? this.#member(resHeader, res) : null;
      const resRaw = resHeader.length + blockLength + END.length;
      const need =
        (this.#pendingInfo?.length ?? 0) +
        (reqMember ? reqMember.length : reqHeader.length + req.length + END.length) +
        (resMember ? resMember.length : gz ? gzipBound(resRaw) : resRaw);
      if (this.#size > this.#floor && this.#size + need > this.#s.maxSize) {
        this.#rotate();
        reqFields.warcinfoId = resFields.warcinfoId = this.#warcinfoId;
        reqHeader = formatHeader(reqFields);
        resHeader = formatHeader(resFields);
        if (reqMember) reqMember = this.#member(reqHeader, req);
        if (resMember) resMember = this.#member(resHeader, res);
      }
      if (this.#pendingInfo) {
        this.#push(this.#pendingInfo);
        this.#pendingInfo = null;
      }
      if (reqMember) this.#push(reqMember);
      else this.#record(reqHeader, req);
      const offset = this.#size;
      if (spool) this.#spooledRecord(resHeader, res, spool);
      else if (resMember) this.#push(resMember);
      else this.#record(resHeader, res);
      meta[i * LOC_STRIDE] = this.#index;
      meta[i * LOC_STRIDE + 1] = offset;
      meta[i * LOC_STRIDE + 2] = this.#size - offset;
    }
    this.#flush();
    return out;
  }

  /** Flushes, fsyncs and closes the current file, and frees the compressor. */
  close(): void {
    this.#closeFile();
    this.#gz?.close();
  }

  #closeFile(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    if (this.#broken) {
      // A write already failed (and was reported): let go of the file, keep no promises about it.
      closeSync(fd);
      return;
    }
    try {
      this.#flushTo(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #open(append: boolean): void {
    const path = this.path;
    this.#fd = openSync(path, append ? 'a' : 'w');
    this.#pendingInfo = null;
    try {
      this.#size = append ? fstatSync(this.#fd).size : 0;
      this.#warcinfoId = newRecordId();
      const block = Buffer.from(warcFields(this.#s.info), 'utf8');
      const header = formatHeader({
        type: 'warcinfo',
        id: this.#warcinfoId,
        date: new Date().toISOString(),
        filename: basename(path),
        contentType: 'application/warc-fields',
        contentLength: block.length,
        blockDigest: digestOf(this.#s.digest, block),
      });
      if (append && this.#s.appendHoldsExchanges === true && this.#size > 0) {
        // The file holds exchanges already: this run's first pair may not fit in it, and then goes
        // to the next file with nothing added here. So the warcinfo waits for that pair, and counts
        // with it (a run that writes nothing leaves the file as it was).
        const bytes = Buffer.from(header, 'utf8');
        this.#pendingInfo = this.#gz ? this.#member(bytes.toString('latin1'), block) : Buffer.concat([bytes, block, END]);
        this.#floor = 0;
        return;
      }
      this.#record(header, block, 'utf8');
      this.#flush(); // a file that refuses writes says so now
    } catch (err) {
      closeSync(this.#fd);
      this.#fd = -1;
      throw err;
    }
    this.#floor = this.#size;
  }

  #rotate(): void {
    this.#closeFile();
    this.#index++;
    this.#open(false);
  }

  /** One record: its WARC header text, then `block`, then CRLF CRLF. */
  #record(header: string, block: Buffer, encoding: BufferEncoding = 'latin1'): void {
    if (encoding !== 'latin1') header = Buffer.from(header, encoding).toString('latin1');
    const length = header.length + block.length + END.length;
    if (this.#gz) this.#push(this.#member(header, block));
    else if (length <= STAGE_BYTES) {
      // Straight into the staging buffer that goes to the file: no per-record Buffers.
      if (this.#staged + length > STAGE_BYTES) this.#flush();
      const stage = this.#stage;
      let at = this.#staged;
      at += putLatin1(stage, header, at);
      at += block.copy(stage, at);
      at += END.copy(stage, at);
      this.#staged = at;
      this.#size += length;
    } else {
      this.#push(Buffer.from(header, 'latin1'));
      this.#push(Buffer.from(block));
      this.#push(END);
    }
  }

  /** The gzip member of one record (header latin1). */
  #member(header: string, block: Buffer): Buffer {
    const length = header.length + block.length + END.length;
    // Assembled in a reused scratch buffer: the compressor reads it before the next record, and
    // the member it gives back is its own (a later member does not overwrite it).
    if (this.#scratch.length < length) this.#scratch = Buffer.allocUnsafeSlow(Math.max(length, this.#scratch.length * 2));
    const scratch = this.#scratch;
    let at = putLatin1(scratch, header, 0);
    at += block.copy(scratch, at);
    at += END.copy(scratch, at);
    return this.#gz!.member(scratch.subarray(0, at));
  }

  /** Block and payload digests of a response whose payload is in a spool file (one read). */
  #hashSpool(head: Buffer, spool: { path: string; length: number }): { block: Buffer; payload: Buffer; sha256: string } {
    const algo = this.#s.digest;
    const block = createHash(algo).update(head);
    const payload = createHash(algo);
    const sha256: Hash | null = algo === 'sha256' ? null : createHash('sha256');
    this.#readSpool(spool, (piece) => {
      block.update(piece);
      payload.update(piece);
      sha256?.update(piece);
    });
    const payloadBytes = payload.digest();
    return { block: block.digest(), payload: payloadBytes, sha256: (sha256 ? sha256.digest() : payloadBytes).toString('hex') };
  }

  #spooledRecord(header: string, head: Buffer, spool: { path: string; length: number }): void {
    try {
      const gz = this.#gz;
      const take = (piece: Buffer): void => {
        if (!gz) return this.#push(Buffer.from(piece));
        const compressed = gz.write(piece);
        if (compressed) this.#push(compressed);
      };
      take(Buffer.from(header, 'latin1'));
      take(head);
      this.#readSpool(spool, take);
      take(END);
      if (gz) this.#push(gz.finish());
    } finally {
      unlinkSync(spool.path);
    }
  }

  #readSpool(spool: { path: string; length: number }, each: (piece: Buffer) => void): void {
    const fd = openSync(spool.path, 'r');
    try {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, spool.length)));
      let left = spool.length;
      while (left > 0) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, left), null);
        if (n === 0) throw new Error(`spool file ${spool.path} ended ${left} bytes early`);
        each(chunk.subarray(0, n));
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Queues an output buffer (compressed members, large records), after what is staged. */
  #push(buf: Buffer): void {
    if (this.#staged > 0) this.#unstage();
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    this.#size += buf.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush();
  }

  /** Moves the staged bytes into the pending list (a copy: the staging buffer is reused). */
  #unstage(): void {
    this.#pending.push(Buffer.from(this.#stage.subarray(0, this.#staged)));
    this.#pendingBytes += this.#staged;
    this.#staged = 0;
  }

  #flush(): void {
    this.#flushTo(this.#fd);
  }

  #flushTo(fd: number): void {
    if (this.#pendingBytes === 0 && this.#staged === 0) return;
    let data: Buffer;
    if (this.#pendingBytes === 0) {
      data = this.#stage.subarray(0, this.#staged);
      this.#staged = 0;
    } else {
      if (this.#staged > 0) this.#unstage();
      data = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    let written = 0;
    try {
      while (written < data.length) written += writeSync(fd, data, written);
    } catch (err) {
      this.#broken = true;
      throw err;
    }
  }
}
