// A streaming WARC 1.1 writer for the crawl's response seam.
//
//   const warc = await WarcWriter.open({ path: 'out.warc.gz', ... });
//   const ex = warc.exchange({ url, method, headers, date, ip });   // per hop / attempt
//   ex.head(status, statusText, rawHeaders); ex.data(chunk) ...; await ex.end({ truncated: null });
//   await warc.close();
//
// Own writer rather than warcio.js's serializer: warcio's WARCSerializer instantiates a
// hash-wasm module per record and compresses through a web CompressionStream per record; on
// this machine it managed ~390 exchanges/s with gzip (~2.6 ms each), two orders of magnitude
// short of the crawl (bench/warc.mjs prints the comparison). warcio's parser still reads back
// everything written here in the tests.

import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { DigestAlgo } from './digest.js';
import { RecordQueue, type ExchangeDone, type ExchangeParts } from './record-queue.js';
import { InlineSink, WorkerSink, type SinkClient } from './sink-client.js';
import { SPOOL_SUFFIX, spoolPrefix } from './spool.js';
import { Exchange, type ExchangeContext, type WarcExchange, type WarcRequest, type WrittenResponse } from './warc-exchange.js';
import { currentIndex, parseWarcPath, rotatedPath, type WarcName } from './warc-names.js';
import { repairWarcTail } from './warc-repair.js';
import type { SinkSettings } from './warc-sink.js';

export type { WarcExchange, WarcLocation, WarcOutcome, WarcRequest, WrittenResponse, TruncatedReason } from './warc-exchange.js';

export const DEFAULT_MAX_SIZE = 1024 ** 3;
export const DEFAULT_LEVEL = 1;
export const DEFAULT_MEMORY_LIMIT = 1024 * 1024;
export const DEFAULT_HIGH_WATER = 16 * 1024 * 1024;

export interface WarcOptions {
  /** `.warc.gz` (one gzip member per record) or `.warc` (plain). */
  path: string;
  /** Rotate to `<stem>-00001<ext>`, ... before a file would pass this many bytes (default 1 GiB). */
  maxSize?: number;
  digest?: DigestAlgo;
  /** Write Authorization, Cookie and Proxy-Authorization values as sent (default: redacted). */
  keepSecrets?: boolean;
  /** Fields of each file's warcinfo record (software, the command line without secrets, ...). */
  info?: Readonly<Record<string, string>>;
  /** zlib level for .warc.gz (default 1, see bench/warc.mjs). */
  level?: number;
  /** Compress and write on a worker thread (default true). */
  worker?: boolean;
  /** Payload bytes held in memory per exchange before spooling to disk (default 1 MiB). */
  memoryLimit?: number;
  /** `backedUp` turns true past this many bytes waiting to be written (default 16 MiB). */
  highWaterMark?: number;
  /** Append to the current file of an existing series, after cutting off a torn last record. */
  resume?: boolean;
}

export class WarcWriter {
  /** Called once when `backedUp` clears (the pool resumes starting requests). */
  onDrain: () => void = () => {};
  /** Called once if the file cannot be written; later exchanges write nothing and end() gives null. */
  onError: (err: Error) => void = () => {};
  /** Called for each response record once it is in the file, in file order (the CDXJ index). */
  onResponse: ((response: WrittenResponse) => void) | null = null;

  readonly #name: WarcName;
  readonly #client: SinkClient;
  readonly #queue: RecordQueue;
  readonly #highWater: number;
  readonly #ctx: ExchangeContext;
  #queued = 0;
  #spooled = 0;
  #backed = false;
  #failure: Error | null = null;
  readonly #work = new Set<Promise<unknown>>();
  #closing: Promise<void> | null = null;
  readonly #files: string[] = [];

  static async open(o: WarcOptions): Promise<WarcWriter> {
    const name = parseWarcPath(o.path);
    if (!name) throw new UsageError(`--warc ${o.path}: the file name must end in .warc.gz or .warc`);
    const maxSize = o.maxSize ?? DEFAULT_MAX_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < 4096) {
      throw new UsageError(`--warc-max-size ${o.maxSize}: expected a whole number of bytes, at least 4096`);
    }
    const level = o.level ?? DEFAULT_LEVEL;
    if (!Number.isInteger(level) || level < 0 || level > 9) throw new UsageError(`WARC gzip level ${level}: expected 0-9`);
    const digest = o.digest ?? 'sha256';
    let startIndex = await currentIndex(name);
    let append = false;
    let appendHoldsExchanges = false;
    if (o.resume) {
      await sweepSpools(name);
      try {
        const repaired = await repairWarcTail(rotatedPath(name, startIndex));
        append = true;
        appendHoldsExchanges = repaired.holdsExchanges;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    } else if (startIndex > 0) {
      throw new UsageError(
        `--warc ${o.path}: ${rotatedPath(name, startIndex)} is left from an earlier crawl; move that series away, or pass --resume to continue it`,
      );
    } else startIndex = 0;
    const settings: SinkSettings = {
      name,
      level,
      maxSize,
      digest,
      info: {
        format: 'WARC File Format 1.1',
        conformsTo: 'https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/',
        ...o.info,
      },
      startIndex,
      append,
      appendHoldsExchanges,
    };
    let client: SinkClient;
    try {
      client = o.worker === false ? new InlineSink(settings) : await WorkerSink.start(settings);
    } catch (err) {
      throw new UsageError(`--warc ${o.path}: ${(err as Error).message}`);
    }
    return new WarcWriter(name, client, o);
  }

  private constructor(name: WarcName, client: SinkClient, o: WarcOptions) {
    this.#name = name;
    this.#client = client;
    this.#highWater = o.highWaterMark ?? DEFAULT_HIGH_WATER;
    this.#queue = new RecordQueue(client, (d) => this.#account(d, 0));
    client.onError = (err) => this.#fail(err);
    const writer = this;
    this.#ctx = {
      keepSecrets: o.keepSecrets === true,
      memoryLimit: o.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      spoolDir: name.dir,
      spoolStem: name.stem,
      get backedUp() {
        return writer.backedUp;
      },
      get failed() {
        return writer.#failure !== null;
      },
      spoolBytes: (d) => this.#account(0, d),
      enqueue: (parts: ExchangeParts, done: ExchangeDone) => {
        if (this.#failure) done(-1, 0, 0, '', '');
        else this.#queue.add(parts, done);
      },
      get observed() {
        return writer.onResponse !== null;
      },
      written: (r) => this.onResponse?.(r),
      fileAt: (i) => (this.#files[i] ??= rotatedPath(this.#name, i)),
      track: (work) => {
        this.#work.add(work);
        void work.finally(() => this.#work.delete(work));
      },
    };
  }

  /** One exchange: a hop of a redirect chain or one retried attempt. */
  exchange(req: WarcRequest): WarcExchange {
    return new Exchange(this.#ctx, req);
  }

  /** True while more than highWaterMark bytes wait for the disk; onDrain says when it clears. */
  get backedUp(): boolean {
    return this.#backed;
  }

  /** Flushes everything, fsyncs and closes the file. Exchanges not yet ended are not written. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
      await this.#queue.drained();
      await this.#client.close();
    })();
    return this.#closing;
  }

  #account(queued: number, spooled: number): void {
    this.#queued += queued;
    this.#spooled += spooled;
    const waiting = this.#queued + this.#spooled;
    if (!this.#backed && waiting > this.#highWater) this.#backed = true;
    else if (this.#backed && waiting <= this.#highWater / 2) {
      this.#backed = false;
      this.onDrain();
    }
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    const { dones, bytes } = this.#queue.failAll();
    this.#account(-bytes, 0);
    for (const done of dones) done(-1, 0, 0, '', '');
    this.onError(err);
  }
}

/** Spool files a killed run left in the WARC's directory. */
async function sweepSpools(name: WarcName): Promise<void> {
  const prefix = spoolPrefix(name.stem);
  let entries: string[] = [];
  try {
    entries = await readdir(name.dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith(prefix) && entry.endsWith(SPOOL_SUFFIX)) await unlink(join(name.dir, entry)).catch(() => undefined);
  }
}
