// --save-dir: each 2xx body, decoded, written under `<dir>/<host>[_<port>]/<path>` (see
// save-path.ts for the names). A body streams into a temporary file in `<dir>/.sweep-part/`
// through the decoders its Content-Encoding names, and is renamed to its final name only once
// complete: a crash never leaves half a file under a page's name. A body cut short (--max-body,
// a dropped connection) is not saved at all, for the same reason.
//
// The name is chosen only then (save-path.ts place(), against the disk as it is at that moment):
// these commits run one at a time, so two pages of one run never race for a name, and a file once
// under its name stays there (its record names it). A file or symlink where a directory must
// be is never followed and never moved: the directory takes a `~n` name instead.
//
// Which URL each file holds outlives the run, in `<dir>/.sweep-saved.ndjson` (one line per file:
// `{"path","url"}`): a later run over the same dir, or a --resume after a kill, knows a file as
// its URL's own and replaces it when that URL is fetched again, and never replaces anything else.
// The line is written before the file appears under its name, so a kill in between leaves at most
// a line for a file that is not there (harmless: the name is free on disk). A new name is taken
// with link(2), which fails if the name exists where rename(2) would replace it: even another
// process writing into the same dir cannot make one page overwrite another's file.

import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, lstat, mkdir, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { pipeline, Transform, type TransformCallback, type Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { contentDecoders, type DecoderFactory } from '../content-coding.js';
import { headerValue } from '../http-headers.js';
import { readLineFile } from '../run/line-file.js';
import { mapUrl, place, type MappedUrl, type Occupant } from './save-path.js';

export const PART_DIR = '.sweep-part';
/** The list of the files saved in the dir and their URLs (no page is named with a leading dot). */
export const SAVED_LIST = '.sweep-saved.ndjson';
export const DEFAULT_MAX_DECODED = 1024 ** 3;
const MAX_TRIES = 8;
/** link(2) errors that mean the file system has no hard links (FAT, exFAT, some network mounts). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export interface SaveDirOptions {
  dir: string;
  /** --save-types: media types (`text/html`, `image/*`); null or empty saves every type. */
  types?: readonly string[] | null;
  /** Decoded bytes allowed per file (a small gzip can inflate to a huge file); default 1 GiB. */
  maxBytes?: number;
}

export type SaveOutcome =
  | { path: string; bytes: number }
  | { path: null; reason: 'truncated' | 'decode' | 'too-large' | 'aborted' | 'io'; message?: string };

export interface SaveFile {
  /** A body chunk as received (still content-encoded). Returns false while the save dir lags. */
  data(chunk: Buffer): boolean;
  /** Finishes the file: renamed to its final name, unless the body was cut short. */
  end(outcome: { truncated: boolean }): Promise<SaveOutcome>;
  /** Drops the file (the exchange failed). */
  abort(): void;
}

export { parseSaveTypes } from './save-types.js';

class Limit extends Transform {
  bytes = 0;
  readonly #max: number;
  constructor(max: number) {
    super();
    this.#max = max;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#max) done(Object.assign(new Error(`decoded body larger than ${this.#max} bytes`), { code: 'SAVE_TOO_LARGE' }));
    else done(null, chunk);
  }
}

export class SaveDirWriter {
  /** Called when backedUp clears. */
  onDrain: () => void = () => {};
  readonly dir: string;
  readonly #root: string;
  readonly #types: readonly string[] | null;
  readonly #maxBytes: number;
  /** Directories known to exist (made or seen by this run): no lstat for them again. */
  readonly #knownDirs = new Set<string>();
  /** The URL key of the page at each path sweep saved in this dir (SAVED_LIST, and this run's). */
  readonly #owners: Map<string, string>;
  readonly #list: FileHandle;
  #hardLinks = true;
  readonly #waiting = new Set<object>();
  #commits: Promise<unknown> = Promise.resolve();
  readonly #open = new Set<Promise<unknown>>();

  static async open(o: SaveDirOptions): Promise<SaveDirWriter> {
    try {
      await mkdir(o.dir, { recursive: true });
      // Parts a killed run left: never under a page's name, so they can simply go.
      await rm(join(o.dir, PART_DIR), { recursive: true, force: true });
      await mkdir(join(o.dir, PART_DIR));
      const owners = await readSavedList(join(o.dir, SAVED_LIST));
      return new SaveDirWriter(o, owners, await open(join(o.dir, SAVED_LIST), 'a'));
    } catch (err) {
      throw new UsageError(`--save-dir ${o.dir}: ${(err as Error).message}`);
    }
  }

  private constructor(o: SaveDirOptions, owners: Map<string, string>, list: FileHandle) {
    this.#owners = owners;
    this.#list = list;
    this.dir = o.dir;
    this.#root = resolve(o.dir);
    this.#types = o.types && o.types.length > 0 ? o.types.map((t) => t.toLowerCase()) : null;
    this.#maxBytes = o.maxBytes ?? DEFAULT_MAX_DECODED;
  }

  /** True while some file's stream is full; onDrain says when all have room again. */
  get backedUp(): boolean {
    return this.#waiting.size > 0;
  }

  /** Would a response with this status and Content-Type be saved? */
  wants(statusCode: number, contentType: string | null): boolean {
    if (statusCode < 200 || statusCode > 299) return false;
    if (this.#types === null) return true;
    if (contentType === null) return false;
    const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
    return this.#types.some((t) => t === media || (t.endsWith('/*') && media.startsWith(t.slice(0, -1))));
  }

  /**
   * Starts saving one response body; null when it is not to be saved: not 2xx, a type
   * --save-types leaves out, a content-coding there is no decoder for, or not an http(s) URL.
   */
  begin(url: string, statusCode: number, rawHeaders: readonly Buffer[]): SaveFile | null {
    if (!this.wants(statusCode, headerValue(rawHeaders, 'content-type'))) return null;
    const decoders = contentDecoders(headerValue(rawHeaders, 'content-encoding'));
    if (decoders === null) return null;
    const mapped = mapUrl(url);
    if (mapped === null) return null;
    return new PendingFile(this, mapped, decoders, this.#maxBytes);
  }

  /** Waits for every file begun to end or abort, and for their renames. */
  async close(): Promise<void> {
    while (this.#open.size > 0) await Promise.allSettled([...this.#open]);
    await this.#commits;
    await this.#list.close();
  }

  // ---- used by PendingFile ---------------------------------------------------------------------

  partPath(): string {
    return join(this.dir, PART_DIR, randomUUID());
  }

  track(p: Promise<unknown>): void {
    this.#open.add(p);
    void p.finally(() => this.#open.delete(p));
  }

  waiting(file: object, full: boolean): void {
    if (full) this.#waiting.add(file);
    else if (this.#waiting.delete(file) && this.#waiting.size === 0) this.onDrain();
  }

  /** Moves a finished part to the page's name, chosen now; returns that path. */
  commit(part: string, mapped: MappedUrl): Promise<string> {
    const run = this.#commits.then(() => this.#commit(part, mapped));
    this.#commits = run.catch(() => undefined);
    return run;
  }

  async #commit(part: string, mapped: MappedUrl): Promise<string> {
    // Only another process changing the tree under us can make a placement fail; a few tries.
    for (let attempt = 1; ; attempt++) {
      const placing = place(mapped);
      let step = placing.next();
      while (!step.done) step = placing.next(await this.#occupant(step.value));
      const { rel, replace } = step.value;
      const target = this.#inside(rel);
      if (await this.#makeDirs(rel)) {
        // This URL's own file (the list says so): replaced, as `wget -x` does on a re-run.
        if (replace) {
          await rename(part, target);
          return target;
        }
        await this.#listed(rel, mapped.key);
        if (await this.#takeNew(part, target)) return target;
        // Something took the name since place() looked (another process): not ours after all.
        await this.#listed(rel, null);
      }
      if (attempt === MAX_TRIES) throw new Error(`save path ${rel}: the names kept being taken`);
    }
  }

  /** Notes in SAVED_LIST (and in memory) which URL the file at `rel` holds; null: none of ours. */
  async #listed(rel: string, key: string | null): Promise<void> {
    await this.#list.write(`{"path":${JSON.stringify(rel)},"url":${JSON.stringify(key)}}\n`);
    if (key === null) this.#owners.delete(rel);
    else this.#owners.set(rel, key);
  }

  /** Gives the part the name `target` unless that name exists; false if it does. */
  async #takeNew(part: string, target: string): Promise<boolean> {
    if (this.#hardLinks) {
      try {
        await link(part, target);
        // The page is under its name now; a part left behind goes with the next run's sweep.
        await unlink(part).catch(() => undefined);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST') return false;
        if (!NO_LINKS.has(code)) throw err;
        this.#hardLinks = false;
      }
    }
    // No hard links here: an exclusive create claims the name (it fails if the name exists), then
    // the complete part replaces that empty claim. A kill in between leaves an empty file under the
    // name, listed as this URL's, so fetching the URL again replaces it.
    try {
      await (await open(target, 'wx')).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await rename(part, target);
    return true;
  }

  /** What is at `rel` now (lstat: a symlink is a symlink, never what it points to). */
  async #occupant(rel: string): Promise<Occupant> {
    if (this.#knownDirs.has(rel)) return 'dir';
    const st = await lstat(this.#inside(rel)).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
    if (st === null) return null;
    if (st.isDirectory()) {
      this.#knownDirs.add(rel);
      return 'dir';
    }
    return { owner: st.isFile() ? (this.#owners.get(rel) ?? null) : null };
  }

  /** Makes the directories of `rel` that place() found free; false if one was taken meanwhile. */
  async #makeDirs(rel: string): Promise<boolean> {
    let dir = '';
    for (const segment of rel.split('/').slice(0, -1)) {
      dir = dir === '' ? segment : `${dir}/${segment}`;
      if (this.#knownDirs.has(dir)) continue;
      try {
        await mkdir(this.#inside(dir));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if ((await this.#occupant(dir)) !== 'dir') return false;
      }
      this.#knownDirs.add(dir);
    }
    return true;
  }

  /** The absolute path of a relative one, checked to be inside the save dir (defence in depth). */
  #inside(rel: string): string {
    const abs = resolve(this.#root, rel);
    if (!abs.startsWith(this.#root + sep)) throw new Error(`save path ${rel} would leave ${this.#root}`);
    return abs;
  }
}

class PendingFile implements SaveFile {
  readonly #w: SaveDirWriter;
  readonly #mapped: MappedUrl;
  readonly #part: string;
  readonly #head: Writable;
  readonly #limit: Limit;
  readonly #file: WriteStream;
  readonly #done: Promise<Error | null>;
  #ended = false;

  constructor(w: SaveDirWriter, mapped: MappedUrl, decoders: DecoderFactory[], maxBytes: number) {
    this.#w = w;
    this.#mapped = mapped;
    this.#part = w.partPath();
    this.#limit = new Limit(maxBytes);
    this.#file = createWriteStream(this.#part, { flags: 'wx', mode: 0o644 });
    const stages = [...decoders.map((d) => d()), this.#limit, this.#file];
    this.#head = stages[0]!;
    this.#done = new Promise((resolve) => pipeline(stages as [Transform, ...Transform[], Writable], (err) => resolve(err ?? null)));
    this.#head.on('drain', () => w.waiting(this, false));
    // A chain that failed (a body that does not decode, too large, the disk refusing) emits no
    // 'drain' again: stop counting it as behind, or the paused body (and with it every other
    // body and the pool) would wait for ever. What still arrives is dropped; end() says why.
    void this.#done.then((err) => {
      if (err !== null) w.waiting(this, false);
    });
    w.track(this.#done);
  }

  data(chunk: Buffer): boolean {
    if (this.#ended || this.#head.destroyed) return !this.#w.backedUp;
    if (!this.#head.write(chunk)) this.#w.waiting(this, true);
    return !this.#w.backedUp;
  }

  async end(outcome: { truncated: boolean }): Promise<SaveOutcome> {
    if (this.#ended) return { path: null, reason: 'aborted' };
    if (outcome.truncated) {
      this.abort();
      return { path: null, reason: 'truncated' };
    }
    this.#ended = true;
    this.#head.end();
    const err = await this.#done;
    this.#w.waiting(this, false);
    if (err) {
      await this.#discard();
      const e = err as NodeJS.ErrnoException;
      // File system errors carry the syscall; anything else came out of a decoder.
      const reason = e.code === 'SAVE_TOO_LARGE' ? 'too-large' : e.syscall ? 'io' : 'decode';
      return { path: null, reason, message: err.message };
    }
    try {
      const path = await this.#w.commit(this.#part, this.#mapped);
      return { path, bytes: this.#limit.bytes };
    } catch (e) {
      await this.#discard();
      return { path: null, reason: 'io', message: (e as Error).message };
    }
  }

  abort(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#w.waiting(this, false);
    this.#head.destroy();
    this.#w.track(this.#done.then(() => this.#discard()));
  }

  async #discard(): Promise<void> {
    await unlink(this.#part).catch(() => undefined);
  }
}

/**
 * The URL of each file in SAVED_LIST (the last line for a path wins; `"url":null` takes it back).
 * A torn last line (a kill mid-write; its file was never linked) is cut off, so that the next line
 * appended starts a line of its own. Lines that are not JSON of that shape are skipped.
 */
async function readSavedList(path: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  // The shared reader of sweep's append-only line files: cuts (and syncs) the torn last line a
  // kill left, and holds no newline-less stretch over its cap; such a line names no file of ours.
  await readLineFile(path, {
    line: (buf, start, end) => savedLine(owners, buf.toString('utf8', start, end)),
    overlong: () => {},
  });
  return owners;
}

function savedLine(owners: Map<string, string>, line: string): void {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return;
  }
  if (typeof entry !== 'object' || entry === null) return;
  const { path, url } = entry as { path?: unknown; url?: unknown };
  if (typeof path !== 'string') return;
  if (typeof url === 'string') owners.set(path, url);
  else if (url === null) owners.delete(path);
}
