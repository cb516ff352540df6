// --warc-max-size: a file rotates before it would pass the size, never splitting a record pair,
// and no earlier than that (exact record lengths: the WARC headers, which carry the target URI
// twice a pair, included); a file passes the size only when one pair alone is larger. A resumed
// file that already holds exchanges rotates before this run's first pair when that pair does not
// fit, and is then left exactly as it was.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberCompressor } from '../src/keep/gzip-member.js';
import { gzipBound } from '../src/keep/warc-sink.js';
import { WarcWriter } from '../src/keep/warc-writer.js';
import { rotatedPath, parseWarcPath } from '../src/keep/warc-names.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';
import { checkDigests, readWarc, splitHttp, type ReadRecord } from './keep-warc-reader.js';
import { fc } from './property.js';
import { noise } from './noise.js';

/** The files of a series, in order, read. */
function series(path: string): { name: string; size: number; records: ReadRecord[] }[] {
  const name = parseWarcPath(path)!;
  const out = [];
  for (let i = 0; ; i++) {
    const file = rotatedPath(name, i);
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      break;
    }
    out.push({ name: file, size: buf.length, records: readWarc(buf, name.gzip) });
  }
  expect(out.length).toBe(readdirSync(name.dir).filter((f) => f.startsWith(name.stem) && f.endsWith(name.ext)).length);
  return out;
}

const pairs = (records: ReadRecord[]) => records.filter((r) => r.headers.get('warc-type') === 'response').length;

interface Spec {
  pathLength: number;
  size: number;
  noisy: boolean;
  chunked: boolean;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  pathLength: fc.integer({ min: 1, max: 2500 }),
  size: fc.integer({ min: 0, max: 12_000 }),
  noisy: fc.boolean(),
  chunked: fc.boolean(),
});

async function feed(warc: WarcWriter, i: number, s: Spec): Promise<void> {
  const url = `http://h.example/${String(i).padStart(s.pathLength, 'p')}`;
  const ex = warc.exchange({ url, method: 'GET', headers: [['host', 'h.example'], ['user-agent', 'rotation-test']], date: new Date(), ip: '127.0.0.1' });
  ex.head(200, 'OK', (s.chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(s.size)]).map((h) => Buffer.from(h)));
  const body = s.noisy ? noise(i + 1, s.size) : Buffer.alloc(s.size, 'a');
  for (let at = 0; at < body.length; at += 3000) ex.data(body.subarray(at, at + 3000));
  expect(await ex.end({ truncated: null })).not.toBeNull();
}

describe('gzipBound', () => {
  it('bounds every member the compressor makes, whole or streamed in pieces (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 400_000 }),
        fc.constantFrom('noise', 'mixed', 'zeros'),
        fc.integer({ min: 1, max: 70_000 }),
        (level, n, kind, piece) => {
          const data = kind === 'zeros' ? Buffer.alloc(n) : noise(n + level, n);
          if (kind === 'mixed') for (let i = 0; i < n; i += 7) data[i] = 0x20;
          const gz = new MemberCompressor({ level });
          try {
            expect(gz.member(data).length).toBeLessThanOrEqual(gzipBound(n));
            let streamed = 0;
            for (let at = 0; at < n; at += piece) streamed += gz.write(data.subarray(at, at + piece))?.length ?? 0;
            streamed += gz.finish().length;
            expect(streamed).toBeLessThanOrEqual(gzipBound(n));
          } finally {
            gz.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe.each(['.warc', '.warc.gz'])('--warc-max-size (%s)', (ext) => {
  const gzip = ext === '.warc.gz';

  it('rotates exactly: a file passes the size only holding one pair, and rotated only when the next pair did not fit (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 10 }), fc.integer({ min: 4096, max: 40_000 }), async (specs, maxSize) => {
        const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-rotation-'));
        const path = join(dir, `r${ext}`);
        // memoryLimit 4096: the larger bodies are spooled, so .warc.gz counts them at their bound.
        const warc = await WarcWriter.open({ path, maxSize, worker: false, memoryLimit: 4096 });
        for (const [i, s] of specs.entries()) await feed(warc, i, s);
        await warc.close();
        const files = series(path);
        expect(files.reduce((n, f) => n + pairs(f.records), 0)).toBe(specs.length);
        for (const [k, f] of files.entries()) {
          for (const r of f.records) checkDigests(r);
          const types = f.records.map((r) => r.headers.get('warc-type'));
          expect(types).toEqual(['warcinfo', ...Array<string[]>(pairs(f.records)).fill(['request', 'response']).flat()]);
          if (f.size > maxSize) expect(pairs(f.records), `${f.name} (${f.size} > ${maxSize}) holds one pair alone`).toBe(1);
          const next = files[k + 1];
          if (next === undefined) continue;
          // Not early either: the next file's first pair would have taken this one past the size.
          const [req, res] = next.records.slice(1, 3) as [ReadRecord, ReadRecord];
          let pair = req.length + res.length;
          // A member's length may differ by a few bytes with another warcinfo id inside; a
          // spooled response counts at its bound.
          let slack = 0;
          if (gzip) {
            slack = 16;
            const raw = gunzipSync(readFileSync(next.name).subarray(res.offset, res.offset + res.length)).length;
            if (splitHttp(res.block).payload.length > 4096) slack += gzipBound(raw) - res.length;
          }
          pair += slack;
          expect(f.size + pair, `${f.name} (${f.size}) rotated before a pair of ${pair} bytes`).toBeGreaterThan(maxSize);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('after --resume, rotates before the first pair that does not fit, leaving the resumed file as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-rotation-'));
    const path = join(dir, `r${ext}`);
    const first = await WarcWriter.open({ path, maxSize: 10_000, worker: false });
    for (let i = 0; i < 2; i++) await feed(first, i, { pathLength: 4, size: 2000, noisy: true, chunked: false });
    await first.close();
    const before = readFileSync(path);
    expect(before.length).toBeLessThan(10_000);

    // A resumed run that writes nothing adds nothing.
    await (await WarcWriter.open({ path, maxSize: 10_000, worker: false, resume: true })).close();
    expect(readFileSync(path).equals(before)).toBe(true);

    const again = await WarcWriter.open({ path, maxSize: 10_000, worker: false, resume: true });
    await feed(again, 2, { pathLength: 4, size: 4000, noisy: true, chunked: false });
    await again.close();
    expect(readFileSync(path).equals(before)).toBe(true);
    const files = series(path);
    expect(files.map((f) => pairs(f.records))).toEqual([2, 1]);
    expect(files[1]!.size).toBeLessThanOrEqual(10_000);

    // A pair that fits goes into the resumed file, after this run's own warcinfo.
    const third = await WarcWriter.open({ path, maxSize: 10_000, worker: false, resume: true });
    await feed(third, 3, { pathLength: 4, size: 100, noisy: true, chunked: false });
    await third.close();
    const last = series(path)[1]!;
    expect(last.records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'request', 'response', 'warcinfo', 'request', 'response']);
    expect(last.records[4]!.headers.get('warc-warcinfo-id')).toBe(last.records[3]!.headers.get('warc-record-id'));
    expect(last.size).toBeLessThanOrEqual(10_000);
  });

  it('after --resume of a file holding only its warcinfo, the first pair stays in it, whatever its size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-rotation-'));
    const path = join(dir, `r${ext}`);
    await (await WarcWriter.open({ path, maxSize: 4096, worker: false })).close();
    const again = await WarcWriter.open({ path, maxSize: 4096, worker: false, resume: true });
    await feed(again, 0, { pathLength: 4, size: 6000, noisy: true, chunked: false });
    await again.close();
    const files = series(path);
    expect(files).toHaveLength(1);
    expect(files[0]!.records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'warcinfo', 'request', 'response']);
  });
});

describe('--warc-max-size through the CLI', () => {
  let tb: Testbed;
  beforeAll(async () => {
    tb = await startTestbed();
  });
  afterAll(() => tb.close());

  it('a resumed run rotates before its first pair when that does not fit', async () => {
    const dir = tempDir();
    const warc = join(dir, 'o.warc');
    const out = join(dir, 'out.ndjson');
    const urls = [`${tb.url}/big/2000/a`, `${tb.url}/big/2000/b`];
    const list = join(dir, 'urls.txt');
    writeFileSync(list, urls.join('\n') + '\n');
    const args = ['-q', '-c', '1', '--warc', warc, '--warc-max-size', '10000', '--resume', out, list];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(warc);
    writeFileSync(list, [...urls, `${tb.url}/big/4000/c`].join('\n') + '\n');
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(warc).equals(before)).toBe(true);
    const files = series(warc);
    expect(files.map((f) => pairs(f.records))).toEqual([2, 1]);
    for (const f of files) expect(f.size).toBeLessThanOrEqual(10_000);
  });

  it('counts the WARC headers: long URLs still rotate before a file passes the size', async () => {
    const dir = tempDir();
    const warc = join(dir, 'o.warc');
    const long = 'x'.repeat(1500);
    // A pair here is ~6.3 KB, ~4 KB of it WARC headers and the request head: two do not fit.
    const r = await runCli(['-q', '-c', '1', '--warc', warc, '--warc-max-size', '12000', tempList([1, 2, 3, 4].map((i) => `${tb.url}/p/${i}${long}`))]);
    expect(r.code, r.stderr).toBe(0);
    const files = series(warc);
    expect(files.map((f) => pairs(f.records))).toEqual([1, 1, 1, 1]);
    for (const f of files) expect(f.size, f.name).toBeLessThanOrEqual(12_000);
  });
});
