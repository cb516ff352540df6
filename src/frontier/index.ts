// The crawl frontier: what has been found (seen.ts), what waits to be fetched (queue.ts) and,
// for --resume, what was admitted (log.ts, replay.ts). Per discovered URL: two hashes, a probe
// and an append of bytes; no object lives per URL until it leaves the queue.
//
// How the run core uses it:
//   const frontier = await Frontier.open({ logPath: resume ? `${FILE}.frontier` : null, spillDir, isFinished });
//   frontier.claim(seedUrl)            for every input line's URL, fetched through the input path
//   frontier.admit(pageUrl, d + 1, links)   when a page at depth d is done, before its record
//   frontier.flushSync()               right before each batch of records is written
//   frontier.next()                    when a slot is free; undefined: nothing waits (for now)
//   frontier.close()                   at the end (deletes spill files, fsyncs the log)
//
// isFinished answers by URL key (the normalised URL), for seeds' records as much as for
// discovered ones: a seed finished before the kill but not known as such would be fetched again
// if the log holds it too. A SeenSet makes a compact set of finished keys (done.claim(key, 0),
// then done.has(key): 24 bytes a URL, where a Set of strings takes ~100).
//
// Breadth first: the queue is FIFO and a URL found again at a smaller depth while it waits is
// fetched at that depth (it keeps its place and its first parent: the page where it was first
// found). A URL is handed out by next() at most once per run, and never after claim().

import { loadHasher, type Hasher } from '../polite/hash.js';
import { AdmissionLog, assertLoggable } from './log.js';
import { PackedQueue, type QueueEntry } from './queue.js';
import { replayLog, type ReplayStats } from './replay.js';
import { SeenSet } from './seen.js';

export type { QueueEntry as FrontierEntry } from './queue.js';
export type { ReplayStats } from './replay.js';

export interface FrontierOptions {
  /** The admission log (`FILE.frontier` beside the records of --resume FILE); null: none. */
  logPath: string | null;
  /** Where queue segments may spill beyond `memoryBudget`; null: all in memory. */
  spillDir: string | null;
  /** The spill directory's name in spillDir, which the next run of the same crawl clears (segments.ts). */
  spillName?: string | null;
  /** Bytes of queue segments kept in memory when spilling (default 16 MiB). */
  memoryBudget?: number;
  /** Queue segment size (default 1 MiB; tests use small ones). */
  segmentBytes?: number;
  /** On resume: true when the records file already has a final record for this URL key. */
  isFinished?: (url: string) => boolean;
  /** Initial seen-set capacity (it grows by doubling). */
  initialCapacity?: number;
  /** The hasher (default: the shared xxhash-wasm instance). */
  hasher?: Hasher;
}

export class Frontier {
  readonly #seen: SeenSet;
  readonly #queue: PackedQueue;
  readonly #log: AdmissionLog | null;
  /** What the log held when the frontier opened; null without a log. */
  readonly replayed: ReplayStats | null;
  // Queued entries whose URL was claimed since: next() skips them.
  #stale = 0;
  // Scratch arrays reused by admit() (no allocation per page beyond the log's text).
  readonly #fresh: string[] = [];
  readonly #logged: string[] = [];

  private constructor(seen: SeenSet, queue: PackedQueue, log: AdmissionLog | null, replayed: ReplayStats | null) {
    this.#seen = seen;
    this.#queue = queue;
    this.#log = log;
    this.replayed = replayed;
  }

  /** Makes a frontier; with a logPath, first replays what the log holds (cutting a torn tail). */
  static async open(opts: FrontierOptions): Promise<Frontier> {
    const hasher = opts.hasher ?? (await loadHasher());
    const seen = new SeenSet(hasher, opts.initialCapacity);
    const queue = new PackedQueue({
      spillDir: opts.spillDir,
      spillName: opts.spillName ?? null,
      memoryBudget: opts.memoryBudget,
      segmentBytes: opts.segmentBytes,
    });
    if (opts.logPath === null) return new Frontier(seen, queue, null, null);
    try {
      const replayed = await replayLog(opts.logPath, { seen, queue }, opts.isFinished);
      return new Frontier(seen, queue, new AdmissionLog(opts.logPath, replayed.bytes), replayed);
    } catch (err) {
      queue.close();
      throw err;
    }
  }

  /** URLs waiting to be handed out by next(). */
  get pending(): number {
    return this.#queue.length - this.#stale;
  }

  /** Distinct URLs admitted or claimed. */
  get seenCount(): number {
    return this.#seen.size;
  }

  /** Bytes held in memory: the seen-set's table and the queue's segments. */
  get memoryBytes(): number {
    return this.#seen.byteLength + this.#queue.memoryBytes;
  }

  /** Queue segments spilled to disk so far. */
  get spilledSegments(): number {
    return this.#queue.spilledSegments;
  }

  /**
   * Admits the links found on `parent` at `depth` (the parent's depth + 1): URLs not seen
   * before are logged and queued, URLs waiting at a larger depth are lowered (and logged).
   * Duplicates within `urls` count once. Returns how many were new.
   */
  admit(parent: string | null, depth: number, urls: readonly string[]): number {
    if (parent === '') parent = null;
    const log = this.#log;
    if (log !== null) {
      // Before any state changes: a bad key is the caller's bug, and must not half-admit a page.
      if (parent !== null) assertLoggable(parent);
      for (const url of urls) assertLoggable(url);
    }
    const fresh = this.#fresh;
    const logged = this.#logged;
    const seen = this.#seen;
    try {
      for (const url of urls) {
        const r = seen.admit(url, depth);
        if (r === 'new') {
          fresh.push(url);
          if (log !== null) logged.push(url);
        } else if (r === 'lowered' && log !== null) {
          logged.push(url);
        }
      }
      this.#queue.push(parent, depth, fresh);
      log?.append(parent, depth, logged);
      return fresh.length;
    } finally {
      fresh.length = 0;
      logged.length = 0;
    }
  }

  /**
   * Takes `url` out of the frontier's hands: it is fetched elsewhere (an input line), now or
   * already. False when it was handed out or claimed before (a duplicate); true otherwise, and
   * if it was waiting in the queue, next() will skip it.
   */
  claim(url: string, depth = 0): boolean {
    const was = this.#seen.claim(url, depth);
    if (was === 'pending') this.#stale++;
    return was !== 'started';
  }

  /** The next URL to fetch, at the smallest depth it was found at; undefined when none waits. */
  next(): QueueEntry | undefined {
    for (;;) {
      const entry = this.#queue.shift();
      if (entry === undefined) return undefined;
      const depth = this.#seen.markStarted(entry.url);
      if (depth < 0) {
        this.#stale--; // claimed while it waited
        continue;
      }
      entry.depth = depth;
      return entry;
    }
  }

  /** Writes the log's appended lines (call right before writing a batch of records). */
  flushSync(): void {
    this.#log?.flushSync();
  }

  /** Flushes and closes the log; drops the queue and deletes its spill files. */
  close(): void {
    this.#log?.close();
    this.#queue.close();
  }
}
