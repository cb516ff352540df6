// Streams URL lists (files in order, `-` for stdin) into batches of Jobs.
// The consumer pulls batches, so reading pauses whenever the pool is full: an endless pipe
// or a 1,000,000-line file never sits in memory. Line numbers run across all inputs.

import { createReadStream, open as openFd } from 'node:fs';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { clip, UsageError } from './errors.js';
import type { Via } from './follow/via.js';
import { MAX_URL_LENGTH, parseTarget, redactUrl, type Target } from './target.js';

export interface Job {
  /** 1-based line number across all inputs. */
  line: number;
  /** The URL as given (trimmed, password redacted): what the record's `url` shows. */
  url: string;
  /** Null when the line is not a fetchable URL; `invalid` then says why. */
  target: Target | null;
  invalid: string | null;
  /** Recursive crawls only (src/follow): depth, parent, seed and kind; absent otherwise. */
  via?: Via;
}

/** Read-side counters for the progress bar: bytes read against the known total of file inputs. */
export interface InputProgress {
  bytesRead: number;
  /** Sum of the sizes of file inputs; null when any input is a pipe or stdin. */
  bytesTotal: number | null;
  linesRead: number;
  skipped: number;
  done: boolean;
}

const CHUNK = 64 * 1024;
/** Most Jobs made ahead of the pool (see readJobs). */
const JOB_BATCH = 256;

export function makeJob(line: number, text: string): Job {
  const target = parseTarget(text);
  const url = redactUrl(text);
  return typeof target === 'string'
    ? { line, url, target: null, invalid: target }
    : { line, url, target, invalid: null };
}

/** What an over-long line's record keeps of it: its first 200 characters. */
const headOf = (text: string): string => clip(text, 200);

/**
 * A line over MAX_URL_LENGTH characters (as read, whitespace included): an invalid job whatever
 * it holds, whether it arrived in one chunk or many, so the outcome never depends on chunking.
 */
function overlongJob(line: number, head: string): Job {
  return {
    line,
    url: redactUrl(head.trimStart(), false) + '…',
    target: null,
    invalid: `line longer than ${MAX_URL_LENGTH} characters`,
  };
}

/** Fails before anything is fetched when an input file is missing, unreadable or a directory. */
export async function checkInputs(sources: readonly string[]): Promise<void> {
  for (const source of sources) {
    if (source === '-') continue;
    try {
      if ((await stat(source)).isDirectory()) throw new UsageError(`input file '${source}' is a directory`);
      await access(source, constants.R_OK);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code);
      throw new UsageError(`cannot read input file '${source}': ${why}`);
    }
  }
}

/** Sums the sizes of the inputs when all are regular files (for an ETA); null otherwise. */
export async function totalInputBytes(sources: readonly string[]): Promise<number | null> {
  let total = 0;
  for (const source of sources) {
    if (source === '-') return null;
    const info = await stat(source);
    if (!info.isFile()) return null;
    total += info.size;
  }
  return total;
}

async function open(source: string, stdin: Readable): Promise<Readable> {
  if (source === '-') return stdin;
  // A FIFO (named, or a shell's <(...), which is a pipe) is read through libuv's pipe handle,
  // as stdin is: a file stream reads it in the thread pool, where a read waiting for the writer
  // cannot be cancelled, and a stopped run could not exit until the writer wrote or closed.
  if ((await stat(source)).isFIFO()) {
    // The open waits for a writer, as `cat` does; libuv makes the descriptor non-blocking.
    const fd = await new Promise<number>((resolve, reject) => openFd(source, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
    return new Socket({ fd, readable: true, writable: false });
  }
  return createReadStream(source, { highWaterMark: CHUNK });
}

/**
 * Yields arrays of Jobs: at most JOB_BATCH each, at least one array per chunk read (possibly
 * empty). Jobs are made as the consumer asks for them, not a whole 64 KiB chunk (~2,000 lines)
 * at once: a Job waiting ~100 ms for its turn outlives two young-generation collections and is
 * promoted, to be collected by a Mark-Compact later; a batch of 256 is used within ~15 ms.
 * Blank lines and `#` comments
 * are counted as skipped and produce no Job. A line over MAX_URL_LENGTH is not accumulated: its
 * head is kept for the record and the rest is dropped as it streams by.
 *
 * Why an empty array is yielded too: the consumer stops reading with `return()`, and an async
 * generator runs that only once its pending `next()` has settled. A chunk without a newline
 * (an endless line: `sweep /dev/zero`) would otherwise never settle it, and the first signal
 * could not stop the read. One extra promise turn per 64 KiB chunk is all it costs.
 */
export async function* readJobs(
  sources: readonly string[],
  progress: InputProgress,
  stdin: Readable = process.stdin,
): AsyncGenerator<Job[]> {
  let line = 0;
  for (const source of sources) {
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let overlong: string | null = null;
    const flushLine = (text: string, out: Job[]): void => {
      line++;
      progress.linesRead++;
      if (overlong !== null || text.length > MAX_URL_LENGTH) {
        out.push(overlongJob(line, overlong ?? headOf(text)));
        overlong = null;
        return;
      }
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.charCodeAt(0) === 35 /* # */) {
        progress.skipped++;
        return;
      }
      out.push(makeJob(line, trimmed));
    };
    for await (const chunk of await open(source, stdin)) {
      const buf = chunk as Buffer;
      progress.bytesRead += buf.length;
      const text = decoder.write(buf);
      let jobs: Job[] = [];
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        const piece = text.slice(start, nl);
        flushLine(carry === '' ? piece : carry + piece, jobs);
        carry = '';
        start = nl + 1;
        nl = text.indexOf('\n', start);
        if (jobs.length >= JOB_BATCH) {
          yield jobs;
          jobs = [];
        }
      }
      if (overlong === null) {
        carry = carry === '' ? text.slice(start) : carry + text.slice(start);
        if (carry.length > MAX_URL_LENGTH) {
          overlong = headOf(carry);
          carry = '';
        }
      }
      yield jobs;
    }
    const rest = carry + decoder.end();
    if (rest !== '' || overlong !== null) {
      const jobs: Job[] = [];
      flushLine(rest, jobs);
      if (jobs.length > 0) yield jobs;
    }
  }
  progress.done = true;
}
