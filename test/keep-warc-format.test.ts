// The pure pieces of the WARC writer: base32 digests, the HTTP heads, WARC header fields, names.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32, digestOf } from '../src/keep/digest.js';
import { parseResponseHead, requestHead, requestTarget, responseHead } from '../src/keep/http-head.js';
import { formatHeader, headerSafeUri, headerSafeValue } from '../src/keep/warc-record.js';
import { parseWarcPath, rotatedPath } from '../src/keep/warc-names.js';
import { warcDigestOf } from './keep-warc-reader.js';

const seed = process.env.CI ? { seed: 20261123 } : {};
const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('base32 and digests', () => {
  it('matches the RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ];
    for (const [input, out] of vectors) expect(base32(Buffer.from(input))).toBe(out);
  });

  it('writes the digests WARC tools compare (sha1 of nothing is 3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ)', () => {
    expect(digestOf('sha1')).toBe('sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ');
    expect(digestOf('sha256', Buffer.from('abc'))).toBe(warcDigestOf('sha256', Buffer.from('abc')));
  });

  it('agrees with a bit-by-bit base32 for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(`sha256:${base32(createHash('sha256').update(buf).digest())}`).toBe(warcDigestOf('sha256', buf));
        let bits = '';
        for (const b of buf) bits += b.toString(2).padStart(8, '0');
        const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
        let want = '';
        for (let i = 0; i < bits.length; i += 5) want += A[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
        expect(base32(buf)).toBe(want.padEnd(Math.ceil(want.length / 8) * 8, '='));
      }),
      seed,
    );
  });
});

describe('request head', () => {
  it('takes path and query as the request target, never the fragment', () => {
    expect(requestTarget('http://h/a/b?c=d#frag')).toBe('/a/b?c=d');
    expect(requestTarget('https://h:8443')).toBe('/');
    expect(requestTarget('http://h?q=1')).toBe('/?q=1');
    expect(requestTarget('http://h#x')).toBe('/');
    expect(requestTarget('http://h/#x/y')).toBe('/');
  });

  it('writes the headers as sent, in order, with secrets redacted unless kept', () => {
    const headers: [string, string][] = [['Host', 'h'], ['AUTHORIZATION', 'Bearer x'], ['cookie', 'a=b'], ['Proxy-Authorization', 'p'], ['Accept', '*/*']];
    expect(requestHead('GET', 'http://h/x', headers, false)).toBe(
      'GET /x HTTP/1.1\r\nHost: h\r\nAUTHORIZATION: ***\r\ncookie: ***\r\nProxy-Authorization: ***\r\nAccept: */*\r\n\r\n',
    );
    expect(requestHead('HEAD', 'http://h/x', headers, true)).toContain('AUTHORIZATION: Bearer x\r\ncookie: a=b\r\n');
  });
});

describe('response head', () => {
  it('keeps the status line and headers byte for byte, in order and case', () => {
    const info = parseResponseHead('GET', 200, 'Très Bien', raw('X-A', 'one', 'content-type', 'text/html', 'X-A', 'two', 'X-Bin', '\xff\xfe'));
    expect(responseHead(info, 0)).toBe('HTTP/1.1 200 Tr\xc3\xa8s Bien\r\nX-A: one\r\ncontent-type: text/html\r\nX-A: two\r\nX-Bin: \xff\xfe\r\n\r\n');
    expect(info.contentType).toBe('text/html');
    expect(responseHead(parseResponseHead('GET', 200, '', [], '1.0'), 0)).toBe('HTTP/1.0 200\r\n\r\n');
  });

  it('renames chunked transfer coding and adds the stored length', () => {
    const info = parseResponseHead('GET', 200, 'OK', raw('Transfer-Encoding', 'chunked', 'Vary', 'Accept'));
    expect(responseHead(info, 42)).toBe('HTTP/1.1 200 OK\r\nX-Orig-Transfer-Encoding: chunked\r\nVary: Accept\r\nContent-Length: 42\r\n\r\n');
    const both = parseResponseHead('GET', 200, 'OK', raw('transfer-encoding', 'gzip, chunked'));
    expect(responseHead(both, 7)).toBe('HTTP/1.1 200 OK\r\nX-Orig-Transfer-Encoding: gzip, chunked\r\ntransfer-encoding: gzip\r\nContent-Length: 7\r\n\r\n');
  });

  it('keeps a Content-Length that differs from the stored payload as X-Orig-Content-Length', () => {
    const info = parseResponseHead('GET', 200, 'OK', raw('Content-Length', '100', 'ETag', '"x"'));
    expect(responseHead(info, 100)).toBe('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nETag: "x"\r\n\r\n');
    expect(responseHead(info, 10)).toBe('HTTP/1.1 200 OK\r\nX-Orig-Content-Length: 100\r\nContent-Length: 10\r\nETag: "x"\r\n\r\n');
  });

  it('leaves Content-Length alone where the protocol sends no body (HEAD, 1xx, 204, 304)', () => {
    for (const [method, status] of [['HEAD', 200], ['GET', 304], ['GET', 204], ['GET', 101]] as const) {
      const info = parseResponseHead(method, status, 'X', raw('Content-Length', '5000'));
      expect(responseHead(info, 0)).toBe(`HTTP/1.1 ${status} X\r\nContent-Length: 5000\r\n\r\n`);
    }
  });
});

describe('WARC header fields', () => {
  it('never lets a URI or value break the header', () => {
    expect(headerSafeUri('http://h/a b\r\nWARC-Type: evil')).toBe('http://h/a%20b%0D%0AWARC-Type:%20evil');
    expect(headerSafeUri('http://h/ü')).toBe('http://h/%C3%BC');
    expect(headerSafeUri('<http://h/>')).toBe('<http://h/>'); // printable: kept, the writer adds no brackets
    expect(headerSafeValue('a\r\nb')).toBe('a  b');
    const h = formatHeader({ type: 'response', id: 'i', date: 'd', targetUri: 'http://h/x', contentType: 't', contentLength: 0, warcinfoId: 'w' });
    expect(h).toContain('\r\nWARC-Target-URI: http://h/x\r\n');
    expect(h).toContain('\r\nWARC-Warcinfo-ID: <urn:uuid:w>\r\n');
  });
});

describe('rotation names', () => {
  it('keeps the given name first, then numbers the next files', () => {
    const name = parseWarcPath('/data/out.warc.gz')!;
    expect(name).toEqual({ dir: '/data', stem: 'out', ext: '.warc.gz', gzip: true });
    expect(rotatedPath(name, 0)).toBe('/data/out.warc.gz');
    expect(rotatedPath(name, 1)).toBe('/data/out-00001.warc.gz');
    expect(rotatedPath(parseWarcPath('crawl.2026.warc')!, 12)).toBe('crawl.2026-00012.warc');
    expect(parseWarcPath('out.gz')).toBeNull();
    expect(parseWarcPath('.warc')).toBeNull();
  });
});
