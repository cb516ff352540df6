// --warc and --cdx through the real CLI against the testbed: a gzipped page, redirects, a retried
// 503, a 404 and a body cut by --max-body, read back by warcio's parser and by the independent
// reader of keep-warc-reader.ts (lengths and digests recomputed); each record's `warc` points at
// its response record, and `sha256` is the payload's digest.

import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';
import { checkDigests, readWarc, splitHttp } from './keep-warc-reader.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

type Rec = { line: number; url: string; status: number; sha256?: string; warc?: { file: string; offset: number; length: number }; error: { code: string } | null };

describe('--warc', () => {
  it('keeps every exchange; warcio and an independent reader agree; records point at their responses', async () => {
    const dir = tempDir();
    const warc = join(dir, 'crawl.warc.gz');
    const cdx = join(dir, 'crawl.cdxj');
    const urls = [`${tb.url}/site/10/`, `${tb.url}/redirect/2/w`, `${tb.url}/flaky/1/w`, `${tb.url}/status/404/w`, `${tb.url}/big/200000/w`];
    const r = await runCli(['-q', '--retry-delay', '1', '--max-body', '50000', '-H', 'Accept-Encoding: gzip', '-H', 'Authorization: Bearer s3cret', '--warc', warc, '--cdx', cdx, tempList(urls)]);
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec).sort((a, b) => a.line - b.line);

    const file = readFileSync(warc);
    const read = readWarc(file, true);
    for (const rec of read) checkDigests(rec);
    const types = read.map((x) => x.headers.get('warc-type'));
    expect(types[0]).toBe('warcinfo');
    // Request and response for every exchange: 1 page, 3 hops, 2 attempts, 1, 1.
    expect(types.filter((t) => t === 'response')).toHaveLength(8);
    expect(types.filter((t) => t === 'request')).toHaveLength(8);
    // Secrets are redacted in request records by default.
    const requests = read.filter((x) => x.headers.get('warc-type') === 'request').map((x) => x.block.toString('latin1'));
    expect(requests.every((q) => !q.includes('s3cret'))).toBe(true);
    expect(requests.some((q) => /authorization: \*\*\*/i.test(q))).toBe(true);

    for (const rec of records) {
      expect(rec.warc, rec.url).toBeDefined();
      const at = read.find((x) => x.offset === rec.warc!.offset)!;
      expect(at.headers.get('warc-type')).toBe('response');
      expect(at.length).toBe(rec.warc!.length);
      const { payload } = splitHttp(at.block);
      expect(createHash('sha256').update(payload).digest('hex')).toBe(rec.sha256);
    }
    // The gzipped page is stored as received (content-coding kept), the cut body marked.
    const page = read.find((x) => x.offset === records[0]!.warc!.offset)!;
    expect(splitHttp(page.block).head).toMatch(/content-encoding: gzip/i);
    const big = read.find((x) => x.offset === records[4]!.warc!.offset)!;
    expect(records[4]!.error!.code).toBe('body_too_large');
    expect(big.headers.get('warc-truncated')).toBe('length');

    // The server's address as connected (the testbed is on loopback), on both records of a pair.
    const exchanges = read.filter((x) => x.headers.get('warc-type') !== 'warcinfo');
    expect(exchanges.length).toBeGreaterThan(0);
    for (const r of exchanges) expect(r.headers.get('warc-ip-address')).toBe('127.0.0.1');

    // warcio reads the same file.
    let n = 0;
    for await (const record of new WARCParser(createReadStream(warc))) {
      await record.readFully();
      n++;
    }
    expect(n).toBe(read.length);
    // One CDXJ line per response record, pointing at it.
    const lines = readFileSync(cdx, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(8);
    for (const line of lines) {
      const j = JSON.parse(line.slice(line.indexOf('{'))) as { offset: string; length: string; url: string };
      const at = read.find((x) => x.offset === Number(j.offset))!;
      expect(at.headers.get('warc-target-uri')).toBe(j.url);
    }
  });

  it('--cdx without --warc, and a --warc name that is neither .warc nor .warc.gz, are usage errors', async () => {
    const a = await runCli(['--cdx', 'x.cdxj'], { stdin: '' });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--cdx needs --warc/);
    const b = await runCli(['--warc', 'out.zip'], { stdin: '' });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--warc/);
  });
});
