// One gzip member per WARC record, so a reader can seek to any record's offset and inflate just
// that member (the .warc.gz convention every WARC tool relies on).
//
// Why minizlib and not zlib.gzipSync: gzipSync builds a fresh zlib stream per call (a Transform
// stream plus a native handle and ~256 KiB of deflate state), and for a 1 KiB record that set-up
// costs more than the compression itself (bench/warc.mjs measures both). minizlib drives the same
// native zlib synchronously and keeps one handle: finish the member (Z_FINISH), deflateReset,
// next member. The output is byte-for-byte what zlib writes; only the set-up is saved.

import { constants, Gzip } from 'minizlib';

export interface GzipSettings {
  /** zlib level 0-9 (bench/warc.mjs: level 1 costs the least CPU per record for about the same size). */
  level: number;
}

/** Compresses whole records, one member each, reusing one zlib handle. */
export class MemberCompressor {
  readonly #oneShot: Gzip;
  readonly #stream: Gzip;
  #out: Buffer[] = [];
  #outBytes = 0;

  constructor(settings: GzipSettings) {
    // Every write to #oneShot finishes a member; #stream takes a record in pieces.
    this.#oneShot = new Gzip({ level: settings.level, flush: constants.Z_FINISH });
    this.#stream = new Gzip({ level: settings.level });
    const collect = (chunk: Buffer): void => {
      this.#out.push(chunk);
      this.#outBytes += chunk.length;
    };
    this.#oneShot.on('data', collect);
    this.#stream.on('data', collect);
  }

  /** The gzip member holding `record` (one buffer: the usual case for small records). */
  member(record: Buffer): Buffer {
    this.#oneShot.write(record);
    this.#oneShot.reset();
    return this.#take();
  }

  /** Streams a large record: feed its pieces, take output as it comes, then finish. */
  write(piece: Buffer): Buffer | null {
    this.#stream.write(piece);
    return this.#outBytes === 0 ? null : this.#take();
  }

  finish(): Buffer {
    this.#stream.flush(constants.Z_FINISH);
    this.#stream.reset();
    return this.#take();
  }

  #take(): Buffer {
    const out = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    return out;
  }

  close(): void {
    this.#oneShot.close();
    this.#stream.close();
  }
}
