// One HTTP exchange (one hop of a redirect chain, one retried attempt) on its way into the WARC:
// the request as sent, the head and body as received. At end() it becomes a request record and a
// response record, adjacent, linked both ways by WARC-Concurrent-To; the file sink (warc-sink.ts,
// on the writer's thread) hashes, formats and compresses them.
//
// Memory: the payload is held in memory up to `memoryLimit` bytes; past that it goes to a spool
// file as it arrives (see spool.ts), and the sink reads it from there.

import { parseResponseHead, requestHead, responseHeadParts, type ResponseHeadInfo } from './http-head.js';
import type { ExchangeDone, ExchangeParts } from './record-queue.js';
import { Spool, type SpooledPayload } from './spool.js';
import { headerSafeUri, headerSafeValue } from './warc-record.js';

export interface WarcRequest {
  /** The absolute URL of this hop, as requested. */
  url: string;
  method: string;
  /** As sent, in order; include `host`. */
  headers: readonly (readonly [string, string])[];
  /** When the request was sent: the WARC-Date of both records. */
  date: Date;
  /** The server's IP address, when known. */
  ip: string | null;
  /** A request body, if one was sent (sweep's GET and HEAD send none). */
  body?: Buffer | null;
}

/** WARC-Truncated reasons (WARC 1.1 §5.13). */
export type TruncatedReason = 'length' | 'time' | 'disconnect' | 'unspecified';

export interface WarcOutcome {
  /** Why the stored payload is not the whole body, or null when it is. */
  truncated: TruncatedReason | null;
}

export interface WarcLocation {
  /** Path of the WARC file the response record is in. */
  file: string;
  /** Byte offset of the response record (its gzip member for .warc.gz) in that file. */
  offset: number;
  /** Length in bytes of that record (member) in the file. */
  length: number;
  /** Hex SHA-256 of the payload as received (content-encoding kept, transfer coding removed). */
  payloadSha256Hex: string;
}

/** What the CDXJ index (and any other observer) learns of each response record written. */
export interface WrittenResponse {
  url: string;
  /** WARC-Date (ISO 8601 UTC). */
  date: string;
  status: number;
  /** The response's Content-Type header, or null. */
  contentType: string | null;
  /** WARC-Payload-Digest (`sha256:BASE32`). */
  payloadDigest: string;
  location: WarcLocation;
}

export interface WarcExchange {
  /** The response head as received; undici's raw header list ([name, value, ...] Buffers). */
  head(statusCode: number, statusText: string, rawHeaders: readonly Buffer[], httpVersion?: string): void;
  /** A body chunk as received (kept by reference until end). Returns false while the writer is backed up. */
  data(chunk: Buffer): boolean;
  /** Writes the request and response records. Resolves to where the response landed, or null when nothing was written. */
  end(outcome: WarcOutcome): Promise<WarcLocation | null>;
  /** The exchange failed before a usable response: nothing is written, a spool file is removed. */
  abort(): void;
}

/** What an exchange needs from its writer. */
export interface ExchangeContext {
  readonly keepSecrets: boolean;
  readonly memoryLimit: number;
  readonly spoolDir: string;
  readonly spoolStem: string;
  readonly backedUp: boolean;
  readonly failed: boolean;
  spoolBytes(delta: number): void;
  enqueue(parts: ExchangeParts, done: ExchangeDone): void;
  /** Someone listens to written(): only then is a WrittenResponse built. */
  readonly observed: boolean;
  written(response: WrittenResponse): void;
  fileAt(index: number): string;
  /** Keeps close() waiting for an end() that is still reading a spool. */
  track(work: Promise<unknown>): void;
}

export class Exchange implements WarcExchange {
  readonly #ctx: ExchangeContext;
  readonly #req: WarcRequest;
  #info: ResponseHeadInfo | null = null;
  #status = 0;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #spool: Spool | null = null;
  #done = false;

  constructor(ctx: ExchangeContext, req: WarcRequest) {
    this.#ctx = ctx;
    this.#req = req;
  }

  head(statusCode: number, statusText: string, rawHeaders: readonly Buffer[], httpVersion = '1.1'): void {
    if (this.#done) return;
    this.#info = parseResponseHead(this.#req.method, statusCode, statusText, rawHeaders, httpVersion);
    this.#status = statusCode;
    // Each attempt has its own exchange; a second head() would start the body over.
    this.#dropBody();
  }

  data(chunk: Buffer): boolean {
    if (this.#done || this.#info === null) return !this.#ctx.backedUp;
    this.#bytes += chunk.length;
    if (this.#spool) this.#spool.write(chunk);
    else {
      this.#chunks.push(chunk);
      if (this.#bytes > this.#ctx.memoryLimit) this.#startSpool();
    }
    return !this.#ctx.backedUp;
  }

  end(outcome: WarcOutcome): Promise<WarcLocation | null> {
    if (this.#done) return Promise.resolve(null);
    this.#done = true;
    if (this.#info === null || this.#ctx.failed) {
      this.#dropBody();
      return Promise.resolve(null);
    }
    if (this.#spool === null) return new Promise((resolve) => this.#enqueue(outcome, null, resolve));
    const spool = this.#spool;
    this.#spool = null;
    const work = spool.finish().then(
      (payload) => new Promise<WarcLocation | null>((resolve) => this.#enqueue(outcome, payload, resolve)),
      // The disk refused the spool: the record is lost, and says so by resolving null.
      () => spool.discard().then(() => null),
    );
    this.#ctx.track(work);
    return work;
  }

  abort(): void {
    if (this.#done) return;
    this.#done = true;
    this.#dropBody();
  }

  #enqueue(outcome: WarcOutcome, spooled: SpooledPayload | null, resolve: (loc: WarcLocation | null) => void): void {
    const ctx = this.#ctx;
    const req = this.#req;
    const info = this.#info!;
    // The fragment is never sent: it is not part of the URI that was requested.
    const hash = req.url.indexOf('#');
    const uri = headerSafeUri(hash < 0 ? req.url : req.url.slice(0, hash));
    const date = req.date.toISOString();
    const body = req.body && req.body.length > 0 ? req.body : null;
    const resHead = responseHeadParts(info, this.#bytes);
    const parts: ExchangeParts = {
      fields: `${uri}\n${req.ip ? headerSafeValue(req.ip) : ''}\n${date}\n${outcome.truncated ?? ''}`,
      reqHead: requestHead(req.method, req.url, req.headers, ctx.keepSecrets),
      reqBody: body,
      resHead: resHead.parts,
      resHeadLength: resHead.length,
      payload: this.#chunks,
      payloadBytes: this.#bytes,
      spool: spooled,
    };
    this.#chunks = [];
    const status = this.#status;
    const contentType = info.contentType;
    ctx.enqueue(parts, (fileIndex, offset, length, payloadDigest, payloadSha256Hex) => {
      if (fileIndex < 0) return resolve(null);
      const location: WarcLocation = { file: ctx.fileAt(fileIndex), offset, length, payloadSha256Hex };
      if (ctx.observed) ctx.written({ url: uri, date, status, contentType, payloadDigest, location });
      resolve(location);
    });
  }

  #startSpool(): void {
    const ctx = this.#ctx;
    this.#spool = new Spool(ctx.spoolDir, ctx.spoolStem, (d) => ctx.spoolBytes(d));
    for (const chunk of this.#chunks) this.#spool.write(chunk);
    this.#chunks = [];
  }

  #dropBody(): void {
    this.#chunks = [];
    this.#bytes = 0;
    if (this.#spool) {
      const spool = this.#spool;
      this.#spool = null;
      this.#ctx.track(spool.discard());
    }
  }
}
