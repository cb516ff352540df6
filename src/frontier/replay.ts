// Reads an admission log (log.ts) back into a seen-set and a queue when a crawl resumes:
// every URL line is admitted again at its depth (so later lines that lowered a depth lower it
// again), URLs that already have a final record are only marked started, and the others are
// queued in log order, which is the order they were first admitted. A torn last line (a kill
// in the middle of a write) is cut off the file, never parsed (run/line-file.ts). Memory is
// bounded: the file is read in 1 MiB chunks and only the seen-set and the queue (which spills)
// keep anything.

import { UsageError } from '../errors.js';
import { MAX_LINE_BYTES, readLineFile, type LineVisitor } from '../run/line-file.js';
import { LOG_HEADER } from './log.js';
import type { PackedQueue } from './queue.js';
import { MAX_DEPTH, type SeenSet } from './seen.js';

export interface ReplayStats {
  /** URL lines read (complete ones). */
  entries: number;
  /** Distinct URLs put back in the queue. */
  pending: number;
  /** Distinct URLs that already had a final record. */
  finished: number;
  /** Bytes cut off the end: a torn last line (or a file with no complete header line). */
  tornBytes: number;
  /** The file's size after the cut. */
  bytes: number;
}

export interface ReplayTarget {
  seen: SeenSet;
  queue: PackedQueue;
}

const CHUNK = 1 << 20;
const MAX_BATCH = 4096;
const HEADER = Buffer.from(LOG_HEADER);

/**
 * Replays the log at `path` into `into`. `isFinished(url)` says whether the records file
 * already holds a final record for that URL. A missing file replays nothing.
 */
export async function replayLog(
  path: string,
  into: ReplayTarget,
  isFinished: (url: string) => boolean = () => false,
): Promise<ReplayStats> {
  const stats: ReplayStats = { entries: 0, pending: 0, finished: 0, tornBytes: 0, bytes: 0 };
  const reader = new LineReplayer(path, into, isFinished, stats);
  const scan = await readLineFile(path, reader, {
    chunkBytes: CHUNK,
    // Without a complete header line the file holds nothing (blank lines at most): start afresh.
    keep: (complete) => (reader.sawHeader ? complete : 0),
  });
  reader.end();
  if (scan !== null) {
    stats.tornBytes = scan.size - scan.kept;
    stats.bytes = scan.kept;
  }
  return stats;
}

/** The parser's state between lines: the page line that the URL lines below it belong to. */
class LineReplayer implements LineVisitor {
  sawHeader = false;
  #lineNo = 0;
  #depth = -1;
  #parent: string | null = null;
  #batch: string[] = [];

  constructor(
    readonly path: string,
    readonly into: ReplayTarget,
    readonly isFinished: (url: string) => boolean,
    readonly stats: ReplayStats,
  ) {}

  line(buf: Buffer, start: number, end: number): void {
    this.#lineNo++;
    if (start === end) return; // blank
    if (!this.sawHeader) {
      if (end - start !== HEADER.length || buf.compare(HEADER, 0, HEADER.length, start, end) !== 0) {
        this.#fail(`the first line should be "${LOG_HEADER}"`);
      }
      this.sawHeader = true;
    } else if (buf[start] === 9) {
      if (this.#depth < 0 || end - start === 1) this.#fail('a URL line without a page line before it, or empty');
      this.#url(buf.toString('utf8', start + 1, end));
    } else {
      this.#page(buf, start, end);
    }
  }

  overlong(): void {
    this.#lineNo++;
    this.#fail(`a line over ${MAX_LINE_BYTES} bytes`);
  }

  end(): void {
    this.#flush();
  }

  #page(buf: Buffer, start: number, end: number): void {
    let depth = 0;
    let i = start;
    for (; i < end && buf[i]! >= 48 && buf[i]! <= 57 && depth <= MAX_DEPTH; i++) depth = depth * 10 + buf[i]! - 48;
    if (i === start || i === end || buf[i] !== 9 || depth > MAX_DEPTH) this.#fail('expected "<depth>\\t<parent URL>"');
    this.#flush();
    this.#depth = depth;
    this.#parent = i + 1 === end ? null : buf.toString('utf8', i + 1, end);
  }

  #url(url: string): void {
    const { seen } = this.into;
    this.stats.entries++;
    if (this.isFinished(url)) {
      if (seen.claim(url, this.#depth) === 'new') this.stats.finished++;
    } else if (seen.admit(url, this.#depth) === 'new') {
      this.#batch.push(url);
      if (this.#batch.length >= MAX_BATCH) this.#flush();
    }
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    this.into.queue.push(this.#parent, this.#depth, this.#batch);
    this.stats.pending += this.#batch.length;
    this.#batch = [];
  }

  #fail(what: string): never {
    throw new UsageError(`${this.path}:${this.#lineNo}: not a sweep frontier log: ${what}`);
  }
}
