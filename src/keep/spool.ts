// A temporary file for one large payload. A WARC record header needs the block's length and
// digests before the block, so a body that outgrows the in-memory limit goes to disk as it
// arrives and is copied into the WARC file when it ends. The file lives in the WARC's own
// directory (same file system: no surprise ENOSPC on a small /tmp, and the copy stays local),
// under a hidden name the resume step knows how to sweep up after a crash.

import { close, open, unlink, write, writev } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export const SPOOL_SUFFIX = '.spool';

export function spoolPrefix(stem: string): string {
  return `.${stem}.`;
}

export interface SpooledPayload {
  path: string;
  length: number;
}

/**
 * Appends chunks in order with at most one write in flight (later chunks are gathered into one
 * writev). `onPending` reports bytes held in memory waiting for the disk, for backpressure.
 */
export class Spool {
  readonly path: string;
  #fd = -1;
  #opening = true;
  #queue: Buffer[] = [];
  #queued = 0;
  #writing = false;
  #length = 0;
  #error: Error | null = null;
  #idle: (() => void) | null = null;
  readonly #onPending: (delta: number) => void;

  constructor(dir: string, stem: string, onPending: (delta: number) => void) {
    this.path = join(dir, `${spoolPrefix(stem)}${randomUUID()}${SPOOL_SUFFIX}`);
    this.#onPending = onPending;
    open(this.path, 'wx', 0o600, (err, fd) => {
      this.#opening = false;
      if (err) this.#error = err;
      else this.#fd = fd;
      this.#pump();
    });
  }

  write(chunk: Buffer): void {
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#length += chunk.length;
    this.#onPending(chunk.length);
    this.#pump();
  }

  /** Resolves once every chunk is on disk and the file is closed. */
  async finish(): Promise<SpooledPayload> {
    await this.#drained();
    await this.#closeFd();
    if (this.#error) throw this.#error;
    return { path: this.path, length: this.#length };
  }

  /** Drops the file (an aborted exchange). Never throws. */
  async discard(): Promise<void> {
    await this.#drained().catch(() => undefined);
    await this.#closeFd().catch(() => undefined);
    await new Promise<void>((resolve) => unlink(this.path, () => resolve()));
  }

  #drained(): Promise<void> {
    if (!this.#opening && !this.#writing && (this.#queued === 0 || this.#error)) return Promise.resolve();
    return new Promise((resolve) => (this.#idle = resolve));
  }

  #closeFd(): Promise<void> {
    const fd = this.#fd;
    this.#fd = -1;
    if (fd < 0) return Promise.resolve();
    return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
  }

  #pump(): void {
    if (this.#opening || this.#writing) return;
    if (this.#error || this.#queued === 0) {
      if (this.#error && this.#queued > 0) {
        this.#onPending(-this.#queued);
        this.#queue = [];
        this.#queued = 0;
      }
      const idle = this.#idle;
      this.#idle = null;
      idle?.();
      return;
    }
    const chunks = this.#queue;
    const bytes = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#writing = true;
    const done = (err: NodeJS.ErrnoException | null, written: number): void => {
      this.#writing = false;
      if (err) this.#error = err;
      else if (written < bytes) {
        // A short write: put the rest back in front and go again.
        const rest = Buffer.concat(chunks, bytes).subarray(written);
        this.#queue.unshift(rest);
        this.#queued += rest.length;
      }
      this.#onPending(-(err ? bytes : Math.min(written, bytes)));
      this.#pump();
    };
    if (chunks.length === 1) write(this.#fd, chunks[0]!, 0, bytes, null, done);
    else writev(this.#fd, chunks, null, done);
  }
}
