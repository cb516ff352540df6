// Crash safety: a WARC written by the writer and cut at any byte (what a SIGKILL mid-write can
// leave) repairs to exactly its complete records before the cut, and reads cleanly with warcio.

import { copyFileSync, createReadStream, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { WARCParser } from 'warcio';
import { describe, expect, it } from 'vitest';
import { WarcWriter } from '../src/keep/warc-writer.js';
import { repairCurrentWarc, repairWarcTail } from '../src/keep/warc-repair.js';
import { UsageError } from '../src/errors.js';
import { readWarc, type ReadRecord } from './keep-warc-reader.js';
import { noise } from './noise.js';

const seed = process.env.CI ? { seed: 20261123 } : {};
const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-repair-'));
let files = 0;

interface Spec {
  path: string;
  status: number;
  body: Uint8Array;
  chunked: boolean;
}

const specArb = fc.record({
  path: fc.webPath(),
  status: fc.constantFrom(200, 301, 404, 500),
  body: fc.uint8Array({ maxLength: 3000 }),
  chunked: fc.boolean(),
});

async function writeWarc(ext: string, specs: Spec[]): Promise<string> {
  const path = join(dir, `w${files++}${ext}`);
  const warc = await WarcWriter.open({ path, worker: false, memoryLimit: 2048 });
  for (const s of specs) {
    const ex = warc.exchange({ url: `http://example.com${s.path || '/'}`, method: 'GET', headers: [['host', 'example.com']], date: new Date(), ip: null });
    ex.head(s.status, 'Status', (s.chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(s.body.length)]).map((h) => Buffer.from(h)));
    for (let i = 0; i < s.body.length; i += 700) ex.data(Buffer.from(s.body.subarray(i, i + 700)));
    await ex.end({ truncated: null });
  }
  await warc.close();
  return path;
}

async function warcioCount(path: string): Promise<number> {
  let n = 0;
  for await (const record of new WARCParser(createReadStream(path))) {
    await record.readFully();
    n++;
  }
  return n;
}

const ids = (records: ReadRecord[]) => records.map((r) => r.headers.get('warc-record-id'));

/** Cuts a copy of `path` at `cut`, repairs it, and checks it against the records before the cut. */
async function cutAndRepair(path: string, whole: ReadRecord[], cut: number, gzip: boolean, withWarcio: boolean): Promise<void> {
  const copy = `${path}.cut${gzip ? '.warc.gz' : '.warc'}`;
  writeFileSync(copy, readFileSync(path).subarray(0, cut));
  const complete = whole.filter((r) => r.offset + r.length <= cut);
  const end = complete.length === 0 ? 0 : complete.at(-1)!.offset + complete.at(-1)!.length;
  const result = await repairWarcTail(copy);
  const holdsExchanges = complete.some((r) => r.headers.get('warc-type') !== 'warcinfo');
  expect(result).toEqual({ records: complete.length, holdsExchanges, tornBytes: cut - end });
  expect(statSync(copy).size).toBe(end);
  expect(ids(readWarc(readFileSync(copy), gzip))).toEqual(ids(complete));
  if (withWarcio) expect(await warcioCount(copy)).toBe(complete.length);
}

describe.each(['.warc.gz', '.warc'])('repairWarcTail (%s)', (ext) => {
  const gzip = ext === '.warc.gz';

  it('repairs a file cut at any byte to exactly its complete records (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 4 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), async (specs, cuts) => {
        const path = await writeWarc(ext, specs);
        const whole = readWarc(readFileSync(path), gzip);
        const size = statSync(path).size;
        for (const [i, f] of cuts.entries()) await cutAndRepair(path, whole, Math.floor(f * size), gzip, i === 0);
      }),
      { numRuns: 25, ...seed },
    );
  });

  it('repairs every cut near a record boundary, byte by byte, and every 13th byte between', async () => {
    const path = await writeWarc(ext, [
      { path: '/a', status: 200, body: Buffer.from('first body'), chunked: true },
      { path: '/b', status: 404, body: Buffer.from('second'), chunked: false },
    ]);
    const whole = readWarc(readFileSync(path), gzip);
    const size = statSync(path).size;
    const near = (cut: number) => whole.some((r) => Math.abs(cut - r.offset) <= 40 || Math.abs(cut - r.offset - r.length) <= 40);
    for (let cut = 0; cut <= size; cut++) if (near(cut) || cut % 13 === 0) await cutAndRepair(path, whole, cut, gzip, false);
  });

  it('leaves a whole file alone', async () => {
    const path = await writeWarc(ext, [{ path: '/x', status: 200, body: Buffer.from('x'), chunked: false }]);
    const before = readFileSync(path);
    expect(await repairWarcTail(path)).toEqual({ records: 3, holdsExchanges: true, tornBytes: 0 });
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses to cut a file damaged before its last record (not a torn tail)', async () => {
    const path = await writeWarc(ext, [
      { path: '/a', status: 200, body: Buffer.alloc(500, 'a'), chunked: false },
      { path: '/b', status: 200, body: Buffer.alloc(500, 'b'), chunked: false },
    ]);
    const whole = readWarc(readFileSync(path), gzip);
    const damaged = readFileSync(path);
    const victim = whole[2]!; // the first response, with a whole pair after it
    if (gzip) damaged[victim.offset + victim.length - 6]! ^= 0xff; // inside its CRC-32 trailer
    else damaged.write('WARX', victim.offset);
    writeFileSync(path, damaged);
    // A usage error (one line on stderr, exit 2), not an internal error with a stack trace.
    const refusal = repairWarcTail(path);
    await expect(refusal).rejects.toThrow(/not cutting/);
    await expect(refusal).rejects.toBeInstanceOf(UsageError);
    expect(readFileSync(path).equals(damaged)).toBe(true);
  });
});

/** A whole WARC record, as another tool might have written it: one gzip member, or plain. */
function foreignRecord(gzip: boolean): Buffer {
  const block = Buffer.from('a record inside a payload');
  const record = Buffer.concat([
    Buffer.from(`WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\nContent-Length: ${block.length}\r\n\r\n`),
    block,
    Buffer.from('\r\n\r\n'),
  ]);
  return gzip ? gzipSync(record) : record;
}

// A crawled .warc(.gz) served as a body: its records sit whole inside the response record's
// payload (for .warc.gz too: level-1 deflate stores incompressible data, so an embedded gzip
// member appears in the file byte for byte). A SIGKILL that tears that response record must
// still be repaired: the records it carries are its own bytes, not records after a damaged one.
describe.each(['.warc.gz', '.warc'])('repairWarcTail: a torn record whose payload holds whole records (%s)', (ext) => {
  const gzip = ext === '.warc.gz';
  const inner = foreignRecord(gzip);

  it('cuts it, wherever the cut falls after the embedded record (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }), // the noise
        // Past one deflate block (~16 KiB of literals at level 1), so the member lands in a
        // stored block of noise; the property checks that it did.
        fc.integer({ min: 40_000, max: 90_000 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 4 }),
        async (noiseSeed, before, after, cuts) => {
          const body = Buffer.concat([noise(noiseSeed, before), inner, noise(noiseSeed + 1, after)]);
          const path = await writeWarc(ext, [
            { path: '/first', status: 200, body: Buffer.from('first'), chunked: false },
            { path: '/crawl.warc', status: 200, body, chunked: false },
          ]);
          const file = readFileSync(path);
          const whole = readWarc(file, gzip);
          const last = whole.at(-1)!;
          const at = file.indexOf(inner, last.offset);
          // Deflate does not always store the member verbatim (a block boundary can fall inside
          // it): such a file is not the case under test, and is skipped.
          fc.pre(at > last.offset);
          const from = at + inner.length;
          for (const f of cuts) await cutAndRepair(path, whole, from + Math.floor(f * (file.length - from)), gzip, false);
        },
      ),
      { numRuns: 12, ...seed },
    );
  });

  it('still refuses when the record before it is damaged (a whole record follows that)', async () => {
    const body = Buffer.concat([noise(7, 50_000), inner, noise(8, 1000)]);
    const path = await writeWarc(ext, [
      { path: '/a', status: 200, body: Buffer.alloc(500, 'a'), chunked: false },
      { path: '/crawl.warc', status: 200, body, chunked: false },
    ]);
    const whole = readWarc(readFileSync(path), gzip);
    const damaged = readFileSync(path).subarray(0, statSync(path).size - 4096);
    const victim = whole[2]!; // the first response, a whole pair's worth of records before the torn one
    if (gzip) damaged[victim.offset + victim.length - 6]! ^= 0xff;
    else damaged.write('WARX', victim.offset);
    writeFileSync(path, damaged);
    await expect(repairWarcTail(path)).rejects.toBeInstanceOf(UsageError);
    expect(readFileSync(path).equals(damaged)).toBe(true);
  });
});

describe('repairCurrentWarc', () => {
  it('finds the last file of a rotated series and repairs that one', async () => {
    const path = join(dir, 'series.warc.gz');
    const warc = await WarcWriter.open({ path, maxSize: 4096, worker: false });
    for (let i = 0; i < 6; i++) {
      const ex = warc.exchange({ url: `http://h/${i}`, method: 'GET', headers: [], date: new Date(), ip: null });
      ex.head(200, 'OK', []);
      ex.data(noise(i + 1, 2500)); // incompressible: one pair per 4096-byte file
      await ex.end({ truncated: null });
    }
    await warc.close();
    const last = join(dir, 'series-00005.warc.gz');
    const size = statSync(last).size;
    copyFileSync(last, `${last}.bak`);
    writeFileSync(last, readFileSync(`${last}.bak`).subarray(0, size - 10));
    const result = await repairCurrentWarc(path);
    expect(result.path).toBe(last);
    // The warcinfo and the request stay (whole records); the torn response goes.
    expect(result.records).toBe(2);
    expect(result.tornBytes).toBe(size - 10 - statSync(last).size);
  });
});
