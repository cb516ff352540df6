// --warc keeps every exchange that got a response head, also when the response then broke off:
// what arrived is written, marked WARC-Truncated `disconnect` (reset, closed early), `time`
// (--timeout) or `unspecified` (a malformed chunk), each retried attempt included. An attempt
// with no head (reset before any response byte) writes nothing.

import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrawlError, type ErrorCode } from '../src/errors.js';
import { truncatedReason } from '../src/keep/warc-tap.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';
import { checkDigests, readWarc, splitHttp, type ReadRecord } from './keep-warc-reader.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

type Rec = { url: string; attempts: number; error: { code: string } | null; sha256?: string; warc?: { offset: number; length: number } };

describe('--warc and responses that break off', () => {
  it('writes each attempt that got a head, with what arrived, marked why it is short', async () => {
    const dir = tempDir();
    const warc = join(dir, 'cut.warc.gz');
    const urls = {
      reset: `${tb.url}/reset-body/1`, // headers, part of a 100 KiB body, then RST: retried
      short: `${tb.url}/short/1`, // Content-Length 1000, 100 bytes, then the connection ends
      slow: `${tb.url}/trickle/1`, // a byte every 100 ms: --timeout ends it
      bad: `${tb.url}/bad-chunked/1`, // an invalid chunk size: protocol, not retried
      nohead: `${tb.url}/reset/1`, // reset before any response byte
      fine: `${tb.url}/p/1`,
    };
    const r = await runCli(['-q', '-r', '1', '--retry-delay', '1', '-t', '700', '--warc', warc, tempList(Object.values(urls))]);
    expect(r.code, r.stderr).toBe(0); // failed URLs are records, not a failed run
    const records = new Map((r.records as unknown as Rec[]).map((x) => [x.url, x]));
    const read = readWarc(readFileSync(warc), true);
    for (const rec of read) checkDigests(rec);
    const responses = (url: string): ReadRecord[] => read.filter((x) => x.headers.get('warc-type') === 'response' && x.headers.get('warc-target-uri') === url);
    const requests = (url: string): ReadRecord[] => read.filter((x) => x.headers.get('warc-type') === 'request' && x.headers.get('warc-target-uri') === url);

    // Both attempts of each retried URL, each a whole pair.
    for (const [key, reason] of [['reset', 'disconnect'], ['short', 'disconnect'], ['slow', 'time']] as const) {
      const url = urls[key];
      const rec = records.get(url)!;
      expect(rec.attempts, key).toBe(2);
      const got = responses(url);
      expect(got.map((x) => x.headers.get('warc-truncated')), key).toEqual([reason, reason]);
      expect(requests(url), key).toHaveLength(2);
      for (const res of got) {
        const { head, payload } = splitHttp(res.block);
        expect(head, key).toMatch(/^HTTP\/1\.1 200/);
        // The received Content-Length is kept aside; the one a reader uses is what is stored.
        expect(head, key).toMatch(/\r\nX-Orig-Content-Length: \d+\r\n/i);
        expect(head, key).toContain(`\r\nContent-Length: ${payload.length}\r\n`);
      }
      // The record points at its last attempt's response.
      const last = read.find((x) => x.offset === rec.warc?.offset)!;
      expect(last, key).toBe(got.at(-1));
      expect(rec.sha256, key).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(records.get(urls.reset)!.error!.code).toBe('connection_reset');
    expect(records.get(urls.slow)!.error!.code).toBe('timeout');
    expect(splitHttp(responses(urls.short)[0]!.block).payload).toHaveLength(100);
    const slow = splitHttp(responses(urls.slow)[0]!.block).payload.length;
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThan(100);

    // A malformed chunk after the head: kept, reason unspecified.
    expect(records.get(urls.bad)!.error!.code).toBe('protocol');
    expect(responses(urls.bad).map((x) => x.headers.get('warc-truncated'))).toEqual(['unspecified']);

    // No head, no record: nothing arrived to keep.
    expect(records.get(urls.nohead)!.attempts).toBe(2);
    expect(read.filter((x) => x.headers.get('warc-target-uri') === urls.nohead)).toHaveLength(0);
    expect(records.get(urls.nohead)!.warc).toBeUndefined();

    // A complete response carries no WARC-Truncated.
    expect(responses(urls.fine).map((x) => x.headers.get('warc-truncated'))).toEqual([undefined]);

    // warcio reads the same records.
    let n = 0;
    for await (const record of new WARCParser(createReadStream(warc))) {
      await record.readFully();
      n++;
    }
    expect(n).toBe(read.length);
  });
});

describe('truncatedReason', () => {
  it('maps how an exchange ended to a WARC 1.1 WARC-Truncated reason', () => {
    const end = (code: ErrorCode | null, truncated = false) => truncatedReason({ error: code === null ? null : new CrawlError(code, code), truncated });
    expect(end(null)).toBeNull();
    expect(end('body_too_large', true)).toBe('length');
    expect(end('timeout')).toBe('time');
    for (const code of ['connection_reset', 'network', 'tls'] as const) expect(end(code)).toBe('disconnect');
    for (const code of ['protocol', 'aborted'] as const) expect(end(code)).toBe('unspecified');
  });
});
