// --warc with --resume: a crawl SIGKILLed mid-write leaves at most one torn WARC record; the
// resumed run cuts it off before appending, so the file reads cleanly with any WARC reader, and
// every URL's final record points at a whole response record.

import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runAndKill, runCli, tempDir, tempList } from './helpers.js';
import { checkDigests, readWarc } from './keep-warc-reader.js';
import { noise } from './noise.js';

let tb: Testbed;
let server: Server;
let origin: string;

/** A whole WARC record as another crawler wrote it: plain, and as one gzip member. */
const block = Buffer.from('a record inside a payload');
const FOREIGN = Buffer.concat([
  Buffer.from(`WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\nContent-Length: ${block.length}\r\n\r\n`),
  block,
  Buffer.from('\r\n\r\n'),
]);
const FOREIGN_GZ = gzipSync(FOREIGN);
/** A crawled WARC served as a body: 1 MiB of noise, the record, 1 MiB of noise. */
const bodies: Record<string, Buffer> = {
  '/crawl.warc': Buffer.concat([noise(1, 1 << 20), FOREIGN, noise(2, 1 << 20)]),
  '/crawl.warc.gz': Buffer.concat([noise(3, 1 << 20), FOREIGN_GZ, noise(4, 1 << 20)]),
};

beforeAll(async () => {
  tb = await startTestbed();
  server = createServer((req, res) => {
    const body = bodies[req.url ?? ''] ?? Buffer.from('small page');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await tb.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('--warc --resume', () => {
  it('after SIGKILLs, the WARC holds only whole records and every final record points at one', async () => {
    const n = 200;
    const dir = tempDir();
    const out = join(dir, 'crawl.ndjson');
    const warc = join(dir, 'crawl.warc.gz');
    const list = tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/10/k${i}`));
    const args = ['-q', '-c', '8', '--warc', warc, '--resume', out, list];
    for (const p of [0.2 + Math.random() * 0.2, 0.5 + Math.random() * 0.3]) {
      const r = await runAndKill(args, out, Math.floor(p * n * 300));
      expect(r.signal).toBe('SIGKILL');
    }
    const last = await runCli(args);
    expect(last.code, last.stderr).toBe(0);
    const read = readWarc(readFileSync(warc), true); // throws on a torn or damaged record
    for (const rec of read) checkDigests(rec);
    const finals = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; url: string; error: { code: string } | null; warc?: { offset: number } })
      .filter((r) => r.error?.code !== 'aborted');
    expect(new Set(finals.map((r) => r.line)).size).toBe(n);
    for (const r of finals) {
      const at = read.find((x) => x.offset === r.warc?.offset);
      expect(at?.headers.get('warc-target-uri'), r.url).toBe(r.url);
    }
  });

  // The response record torn by a SIGKILL carries a whole WARC record in its payload (a crawled
  // .warc or .warc.gz; at level 1 the embedded gzip member is stored byte for byte). --resume
  // must cut the torn record, not take the record inside it for one after a damaged file.
  it.each(['.warc.gz', '.warc'])('cuts a torn record whose payload holds a whole WARC record (%s)', async (ext) => {
    const gzip = ext === '.warc.gz';
    const dir = tempDir();
    const out = join(dir, 'out.ndjson');
    const warc = join(dir, `o${ext}`);
    const big = `${origin}/crawl${ext}`;
    const args = ['-q', '-c', '1', '--warc', warc, '--resume', out, tempList([`${origin}/small`, big])];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const file = readFileSync(warc);
    expect(file.indexOf(gzip ? FOREIGN_GZ : FOREIGN), 'the embedded record is in the file as it is').toBeGreaterThan(0);
    // What a SIGKILL while writing the big response leaves: its record cut, its URL not final.
    truncateSync(warc, file.length - 4096);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    writeFileSync(out, lines.filter((l) => (JSON.parse(l) as { url: string }).url !== big).join('\n') + '\n');

    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    const read = readWarc(readFileSync(warc), gzip);
    for (const rec of read) checkDigests(rec);
    const finals = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { url: string; warc?: { offset: number; length: number } });
    expect(finals.map((r) => r.url).sort()).toEqual([`${origin}/small`, big].sort());
    for (const r of finals) {
      const at = read.find((x) => x.offset === r.warc?.offset);
      expect(at?.headers.get('warc-target-uri'), r.url).toBe(r.url);
      expect(at?.length).toBe(r.warc?.length);
    }
  });

  it('refuses a file damaged before its end in one line, exit 2, and leaves it as it is', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.ndjson');
    const warc = join(dir, 'o.warc');
    const args = ['-q', '-c', '1', '--warc', warc, '--resume', out, tempList([`${origin}/a`, `${origin}/b`])];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const read = readWarc(readFileSync(warc), false);
    const damaged = readFileSync(warc);
    damaged.write('WARX', read[2]!.offset); // the first response; a whole pair follows it
    writeFileSync(warc, damaged);
    writeFileSync(out, '');
    const again = await runCli(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^sweep: --resume: .*o\.warc is damaged at byte \d+, but a whole record follows at byte \d+; not cutting.*\n$/);
    expect(again.stderr.split('\n')).toHaveLength(2);
    expect(readFileSync(warc).equals(damaged)).toBe(true);
  });
});
