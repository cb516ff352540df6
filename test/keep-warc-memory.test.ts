// A 1 GiB body goes through the WARC writer with flat memory: spooled to disk as it arrives,
// streamed through gzip into the WARC, never held whole. The body is generated here, chunk by
// chunk, honouring the writer's backpressure the way the crawl's handler would.

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WarcWriter } from '../src/keep/warc-writer.js';

const GiB = 1024 ** 3;
const CHUNK = 64 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('keeps RSS flat while a 1 GiB body streams into a .warc.gz', { timeout: 240_000 }, async () => {
  const path = join(dir, 'huge.warc.gz');
  const warc = await WarcWriter.open({ path });
  let drained: (() => void) | null = null;
  warc.onDrain = () => drained?.();
  const ex = warc.exchange({ url: 'http://h/huge', method: 'GET', headers: [['host', 'h']], date: new Date(), ip: null });
  ex.head(200, 'OK', ['Content-Length', String(GiB)].map((s) => Buffer.from(s)));

  // Text-like bytes, different in every chunk, so gzip has real work and nothing dedupes.
  const base = Buffer.from(Array.from({ length: CHUNK / 16 }, (_, i) => `line ${i.toString(36).padStart(9, '0')}\n`).join(''));
  const sha = createHash('sha256');
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  for (let sent = 0, n = 0; sent < GiB; sent += CHUNK, n++) {
    const chunk = Buffer.from(base); // a fresh buffer: the writer keeps chunks until they are on disk
    chunk.writeUInt32BE(n, 0);
    sha.update(chunk);
    if (!ex.data(chunk)) await new Promise<void>((resolve) => (drained = resolve));
    if ((n & 255) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ended = ex.end({ truncated: null });
  const loc = await ended;
  await warc.close();
  peak = Math.max(peak, process.memoryUsage().rss);

  const growth = peak - before;
  expect(growth).toBeLessThan(GiB / 8); // measured: tens of MiB; the bound leaves a wide margin
  expect(loc).not.toBeNull();
  expect(loc!.payloadSha256Hex).toBe(sha.digest('hex'));
  expect(loc!.offset + loc!.length).toBe(statSync(path).size);
  expect(readdirSync(dir)).toEqual(['huge.warc.gz']); // the spool file is gone
  console.log(`1 GiB body: RSS grew ${(growth / 2 ** 20).toFixed(0)} MiB; WARC ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`);
});
