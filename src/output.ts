// Where records go: stdout or an -o file. Records are whole lines, gathered into large writes
// (every 64 KiB, and at most 25 ms after a record came in), and the pool asks `backedUp` before
// starting a request, so a slow reader of stdout slows the crawl instead of filling memory.
// A write per event-loop turn cost 6% of throughput (100k URLs: ~3,000 fs writes, ~300 now).
//
// stdout is opened as an fs.WriteStream on fd 1: process.stdout is synchronous for pipes on
// Linux, which would stall every socket while a slow reader catches up, and gives no backpressure.
// Except when fd 1 is a socket (a Node parent's `stdio: 'pipe'` is a socketpair): fs writes to a
// non-blocking socket fail with EAGAIN as soon as the reader falls behind, while process.stdout
// is then an asynchronous net.Socket with real backpressure.

import { createWriteStream, fstatSync, fsync } from 'node:fs';
import type { Writable } from 'node:stream';

const BATCH_BYTES = 64 * 1024;
/** The longest a record waits in the batch before it is written. */
const FLUSH_MS = 25;
/** Bytes queued in the stream before the pool stops starting requests. */
const HIGH_WATER = 1024 * 1024;

export class RecordSink {
  readonly #stream: Writable;
  readonly #isFile: boolean;
  #batch: string[] = [];
  #batchBytes = 0;
  #backedUp = false;
  #broken = false;
  /** Called when the reader went away (EPIPE): the crawl should stop quietly. */
  onBroken: () => void = () => {};
  onDrain: () => void = () => {};
  /**
   * Runs right before each batch is written: a recursive crawl writes its frontier's admission
   * log there, so a record never reaches the file before the links its page gave.
   */
  beforeWrite: (() => void) | null = null;

  /** `append`: add to an existing file instead of replacing it (--resume). */
  constructor(path: string | null, append = false) {
    this.#isFile = path !== null;
    this.#stream =
      path !== null
        ? createWriteStream(path, { flags: append ? 'a' : 'w', highWaterMark: HIGH_WATER })
        : stdoutIsSocket()
          ? process.stdout
          : createWriteStream('', { fd: 1, autoClose: false, highWaterMark: HIGH_WATER });
    this.#stream.on('error', (err: NodeJS.ErrnoException) => {
      this.#broken = true;
      this.#batch = [];
      this.#batchBytes = 0;
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_DESTROYED') this.onBroken();
      else this.onError(err);
    });
    this.#stream.on('drain', () => {
      this.#backedUp = false;
      this.onDrain();
    });
  }

  onError: (err: Error) => void = () => {};

  get backedUp(): boolean {
    return this.#backedUp;
  }

  get broken(): boolean {
    return this.#broken;
  }

  /** Queues one newline-terminated record. */
  write(line: string): void {
    if (this.#broken) return;
    this.#batch.push(line);
    this.#batchBytes += line.length;
    if (this.#batchBytes >= BATCH_BYTES) this.flush();
    else if (this.#timer === null) this.#timer = setTimeout(this.#onTimer, FLUSH_MS);
  }

  #timer: NodeJS.Timeout | null = null;
  readonly #onTimer = (): void => {
    this.#timer = null;
    this.flush();
  };

  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#batch.length === 0 || this.#broken) return;
    const text = this.#batch.length === 1 ? this.#batch[0]! : this.#batch.join('');
    this.#batch = [];
    this.beforeWrite?.();
    this.#batchBytes = 0;
    // A socket's own high-water mark is 16 KiB; ours decides when the pool waits ('drain' still
    // comes, once the buffer that made write() return false has emptied).
    if (!this.#stream.write(text) && this.#stream.writableLength >= HIGH_WATER) this.#backedUp = true;
  }

  /** Flushes, waits until everything is handed to the OS, fsyncs an -o file, and closes it. */
  async close(): Promise<void> {
    this.flush();
    if (this.#broken) return;
    await new Promise<void>((resolve) => {
      // Write callbacks run in order: when this empty write's runs, every record before it is out.
      if (this.#stream.writableLength === 0) resolve();
      else this.#stream.write('', () => resolve());
    });
    if (this.#isFile && !this.#broken) {
      const fd = (this.#stream as unknown as { fd: number | null }).fd;
      if (typeof fd === 'number') await new Promise<void>((resolve) => fsync(fd, () => resolve()));
    }
    await new Promise<void>((resolve) => {
      if (this.#isFile) this.#stream.end(() => resolve());
      else resolve();
    });
  }
}

function stdoutIsSocket(): boolean {
  try {
    return fstatSync(1).isSocket();
  } catch {
    return false;
  }
}
