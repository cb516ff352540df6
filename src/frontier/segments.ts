// The queue's sealed segments, oldest first, each either a Buffer in memory or a file in the
// spill directory. The queue writes into one segment and reads from another; every full segment
// in between waits here. Beyond the memory budget a sealed segment goes to disk at once and its
// Buffer is handed back to the writer, so spilling allocates nothing: the newest segments spill
// (they are read last) while the oldest stay in memory (read next).
//
// Spill files live in one directory inside the directory the caller named, one file per segment
// (<n>.seg), deleted as soon as it is read back (disk use follows the backlog, not the history),
// and all of them on close(). A SIGKILLed run leaves its directory behind; the admission log, not
// the spill, is what a resumed run reads. So a crawl with a records file names its spill
// directory after that file (`spillName`), and the next run on the same file removes what a
// killed one left there as it starts (an `owner` file, `<host> <pid>`, keeps it from removing a
// directory a live run of the same file is using: then it spills to a mkdtemp one). Without a
// name it is made with mkdtemp (sweep-frontier-<pid>-XXXXXX), and a killed run's stays. With no
// spill directory nothing is ever written.
// I/O is synchronous, one whole segment at a time: it happens once per segment (1 MiB, some
// 20,000 URLs), never per URL.

import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Fifo } from '../polite/fifo.js';

interface Sealed {
  /** The bytes, while in memory; null once spilled. */
  buf: Buffer | null;
  /** Bytes used in `buf` or in the file. */
  used: number;
  /** The spill file, when on disk. */
  file: string | null;
}

export interface SegmentStoreOptions {
  /** Size of a standard segment. */
  segmentBytes: number;
  /** Most bytes of sealed segments (and one spare) held in memory before spilling. */
  budgetBytes: number;
  /** Where spill files may go; null keeps everything in memory. */
  spillDir: string | null;
  /** The spill directory's name inside spillDir, owned by this store (see above); else mkdtemp. */
  spillName?: string | null;
}

/** What a store writes in its directory: only such a directory is removed as a leftover. */
const SPILL_FILE = /^\d+\.seg$/;
/** In a named directory: `<host> <pid>` of the run using it, so that another run leaves it alone. */
const OWNER = 'owner';

export class SegmentStore {
  readonly #segmentBytes: number;
  readonly #budget: number;
  readonly #spillDir: string | null;
  #dir: string | null = null;
  /** The named directory to spill into, once its leftover is gone; null: mkdtemp. */
  readonly #named: string | null = null;
  readonly #fifo = new Fifo<Sealed>();
  #inMemory = 0;
  #spare: Buffer | null = null;
  #fileSeq = 0;
  #spilled = 0;

  constructor(opts: SegmentStoreOptions) {
    this.#segmentBytes = opts.segmentBytes;
    this.#budget = opts.budgetBytes;
    this.#spillDir = opts.spillDir;
    if (opts.spillDir !== null && opts.spillName != null) this.#named = removeLeftover(join(opts.spillDir, opts.spillName));
  }

  /** Bytes of Buffers held here (sealed in memory and the spare). */
  get memoryBytes(): number {
    return this.#inMemory + (this.#spare?.length ?? 0);
  }

  /** Segments written to disk so far. */
  get spilledSegments(): number {
    return this.#spilled;
  }

  /** The spill directory in use, once something spilled. */
  get spillPath(): string | null {
    return this.#dir;
  }

  /** A standard-size Buffer to write into: the spare when there is one. */
  fresh(): Buffer {
    const spare = this.#spare;
    if (spare !== null) {
      this.#spare = null;
      return spare;
    }
    return Buffer.allocUnsafeSlow(this.#segmentBytes);
  }

  /** Keeps a standard-size Buffer nobody uses any more as the spare (one at most). */
  recycle(buf: Buffer): void {
    if (this.#spare === null && buf.length === this.#segmentBytes) this.#spare = buf;
  }

  /** Appends a full segment; returns a Buffer for the writer to go on with. */
  seal(buf: Buffer, used: number): Buffer {
    if (this.#spillDir !== null && this.#inMemory + buf.length > this.#budget) {
      const file = this.#spill(buf, used);
      this.#fifo.push({ buf: null, used, file });
      return buf.length === this.#segmentBytes ? buf : this.fresh();
    }
    this.#fifo.push({ buf, used, file: null });
    this.#inMemory += buf.length;
    return this.fresh();
  }

  /**
   * Removes the oldest sealed segment and returns its bytes (a spilled one is read into
   * `recycle` when it fits); null when there is none. `recycle` is the reader's finished Buffer.
   */
  take(recycle: Buffer | null): { buf: Buffer; used: number } | null {
    const seg = this.#fifo.shift();
    if (seg === undefined) return null;
    if (seg.buf !== null) {
      this.#inMemory -= seg.buf.length;
      if (recycle !== null) this.recycle(recycle);
      return { buf: seg.buf, used: seg.used };
    }
    let buf = recycle !== null && recycle.length >= seg.used ? recycle : null;
    if (buf === null) {
      if (recycle !== null) this.recycle(recycle);
      buf = seg.used <= this.#segmentBytes ? this.fresh() : Buffer.allocUnsafeSlow(seg.used);
    }
    this.#readBack(seg.file!, buf, seg.used);
    return { buf, used: seg.used };
  }

  /** Deletes every spill file and the spill directory; drops the Buffers. */
  close(): void {
    if (this.#dir !== null) {
      // Only the directory this store made (with mkdtemp, or its named one), never anything else.
      rmSync(this.#dir, { recursive: true, force: true });
      this.#dir = null;
    }
    this.#fifo.drain();
    this.#inMemory = 0;
    this.#spare = null;
  }

  #spill(buf: Buffer, used: number): string {
    if (this.#dir === null) {
      if (this.#named !== null && takeNamed(this.#named)) {
        this.#dir = this.#named;
      } else {
        // The pid in the name tells a killed run's leftovers (which close() never removed) apart.
        this.#dir = mkdtempSync(join(this.#spillDir!, `sweep-frontier-${process.pid}-`));
      }
    }
    const file = join(this.#dir, `${this.#fileSeq++}.seg`);
    const fd = openSync(file, 'wx', 0o600);
    try {
      let off = 0;
      while (off < used) off += writeSync(fd, buf, off, used - off);
    } finally {
      closeSync(fd);
    }
    this.#spilled++;
    return file;
  }

  #readBack(file: string, buf: Buffer, used: number): void {
    const fd = openSync(file, 'r');
    try {
      let off = 0;
      while (off < used) {
        const n = readSync(fd, buf, off, used - off, off);
        if (n === 0) throw new Error(`frontier: spill file ${file} is shorter than written`);
        off += n;
      }
    } finally {
      closeSync(fd);
    }
    unlinkSync(file);
  }
}

/**
 * Makes `dir` free for a store to use: removes it when it is a spill directory a killed run left
 * (nothing in it but <n>.seg files and an owner file naming a process of this host that is gone,
 * or none). Returns `dir`, or null when it is in use or something else is there, which is left
 * alone (the store then uses mkdtemp).
 */
function removeLeftover(dir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return dir;
    return null; // a file of that name, or unreadable: not ours to judge
  }
  if (!names.every((n) => SPILL_FILE.test(n) || n === OWNER)) return null;
  if (names.includes(OWNER) && !ownerGone(join(dir, OWNER))) return null;
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** True when the owner file names a process of this host that no longer runs. */
function ownerGone(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const [host, pidText] = text.trim().split(' ');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false; // another host's: cannot tell
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false; // alive
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Makes the named directory with this run as its owner; false when another run got there first. */
function takeNamed(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    return false;
  }
  writeFileSync(join(dir, OWNER), `${hostname()} ${process.pid}\n`, { mode: 0o600 });
  return true;
}
