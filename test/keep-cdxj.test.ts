// The CDXJ index: SURT keys as pywb computes them, lines as pywb writes them, and offsets and
// lengths that point at the right records (read back at those offsets, and compared with what
// warcio's own CDX indexer finds in the same file).

import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CDXIndexer } from 'warcio';
import { describe, expect, it } from 'vitest';
import { cdxjLine, CdxjWriter, repairCdxjTail } from '../src/keep/cdxj.js';
import { surt } from '../src/keep/surt.js';
import { WarcWriter } from '../src/keep/warc-writer.js';
import { checkDigests, readWarc, splitHttp } from './keep-warc-reader.js';

describe('surt', () => {
  // Expected keys from the python `surt` package's own tests (tests/test_surt.py), which pywb uses.
  it.each([
    ['http://www.archive.org/', 'org,archive)/'],
    ['http://archive.org/goo/', 'org,archive)/goo'],
    ['http://archive.org/goo/?', 'org,archive)/goo'],
    ['http://archive.org/goo/?b&a', 'org,archive)/goo?a&b'],
    ['http://archive.org/goo/?a=2&b&a=1', 'org,archive)/goo?a=1&a=2&b'],
    ['http://archive.org/index.php?PHPSESSID=0123456789abcdefghijklemopqrstuv&action=profile;u=4221', 'org,archive)/index.php?action=profile;u=4221'],
    [
      'http://visit.webhosting.yahoo.com/visit.gif?&r=http%3A//web.archive.org/web/20090517140029/http%3A//anthonystewarthead.electric-chi.com/&b=Netscape%205.0%20%28Windows%3B%20en-US%29&s=1366x768&o=Win32&c=24&j=true&v=1.2',
      'com,yahoo,webhosting,visit)/visit.gif?&b=netscape%205.0%20(windows;%20en-us)&c=24&j=true&o=win32&r=http://web.archive.org/web/20090517140029/http://anthonystewarthead.electric-chi.com/&s=1366x768&v=1.2',
    ],
    ['http://www.example.com/', 'com,example)/'],
    ['http://www.archive.org:80/', 'org,archive)/'],
    ['https://www.archive.org:80/', 'org,archive:80)/'],
    ['http://www.archive.org:443/', 'org,archive:443)/'],
    ['https://www.archive.org:443/', 'org,archive)/'],
    ['http://www.archive.org/big/', 'org,archive)/big'],
    ['http://www34.archive.org/index.html?b=a&b=b&a=b', 'org,archive)/index.html?a=b&b=a&b=b'],
    ['http://host/%25%32%35', 'host)/%25'],
    ['http://www.GOOgle.com/', 'com,google)/'],
    ['http://www.google.com.../', 'com,google)/'],
    ['http://host.com//twoslashes?more//slashes', 'com,host)/twoslashes?more//slashes'],
    ['http://www.evil.com/blah#frag', 'com,evil)/blah'],
    ['http://3279880203/blah', '11,0,127,195)/blah'],
    ['http://host.com/ab%23cd', 'com,host)/ab%23cd'],
    ['http://evil.com/foo;', 'com,evil)/foo;'],
    ['http://www.google.com/q?r?s', 'com,google)/q?r?s'],
    ['http://user:pw@Example.com:8080/A/./b/../C/?Z=1&y', 'com,example:8080)/a/c?y&z=1'],
    ['http://bücher.example/Straße', 'example,xn--bcher-kva)/stra%c3%9fe'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
  ])('%s -> %s', (url, key) => {
    expect(surt(url)).toBe(key);
  });
});

const sample = {
  url: 'http://www.example.com/a?b=1',
  date: '2026-11-23T10:20:30.456Z',
  status: 200,
  contentType: 'text/html; charset=UTF-8',
  payloadDigest: 'sha256:ABCDEFGH',
  location: { file: '/data/out.warc.gz', offset: 1234, length: 567, payloadSha256Hex: '00' },
};

describe('cdxjLine', () => {
  it('writes the fields as pywb does', () => {
    expect(cdxjLine(sample)).toBe(
      'com,example)/a?b=1 20261123102030 {"url":"http://www.example.com/a?b=1","mime":"text/html","status":"200","digest":"sha256:ABCDEFGH","length":"567","offset":"1234","filename":"out.warc.gz"}\n',
    );
    const line = cdxjLine({ ...sample, contentType: null, payloadDigest: 'sha1:XYZ', status: 404 });
    expect(JSON.parse(line.split(' ').slice(2).join(' '))).toMatchObject({ mime: 'unk', digest: 'XYZ', status: '404' });
  });
});

describe.each(['.warc.gz', '.warc'])('CdxjWriter beside a %s', (ext) => {
  it('indexes every response at the offset and length where it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-cdxj-'));
    const warcPath = join(dir, `out${ext}`);
    const cdxPath = join(dir, 'out.cdxj');
    const warc = await WarcWriter.open({ path: warcPath, maxSize: 8192 });
    const cdx = await CdxjWriter.open(cdxPath);
    warc.onResponse = (r) => cdx.add(r);
    const urls = ['http://example.com/', 'http://www.example.com/b/?z=1&a=2', 'https://example.org:8443/x', 'http://example.com/missing'];
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        urls.map((url, i) => {
          const ex = warc.exchange({ url, method: 'GET', headers: [['host', new URL(url).host]], date: new Date(), ip: '127.0.0.1' });
          ex.head(i === 3 ? 404 : 200, 'X', ['Content-Type', 'text/html; charset=utf-8'].map((s) => Buffer.from(s)));
          ex.data(Buffer.from(`body ${round} ${i} `.repeat(100 + i * 50)));
          return ex.end({ truncated: null });
        }),
      );
    }
    await warc.close();
    await cdx.close();

    const lines = readFileSync(cdxPath, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(12);
    const files = new Set<string>();
    for (const line of lines) {
      const [key, ts, ...json] = line.split(' ');
      const f = JSON.parse(json.join(' ')) as Record<string, string>;
      expect(key).toBe(surt(f.url!));
      expect(ts).toMatch(/^\d{14}$/);
      files.add(f.filename!);
      // Read [offset, offset + length) of the named file: one whole response record (pywb's
      // convention for an uncompressed file leaves the closing CRLF CRLF out of `length`).
      const span = Number(f.length) + (ext === '.warc' ? 4 : 0);
      const bytes = readFileSync(join(dir, f.filename!)).subarray(Number(f.offset), Number(f.offset) + span);
      const [record] = readWarc(bytes, ext === '.warc.gz');
      expect(record!.length).toBe(span);
      expect(record!.headers.get('warc-type')).toBe('response');
      expect(record!.headers.get('warc-target-uri')).toBe(f.url);
      expect(record!.headers.get('warc-payload-digest')).toBe(f.digest);
      checkDigests(record!);
      expect(splitHttp(record!.block).lines[0]).toBe(`HTTP/1.1 ${f.status} X`);
      expect(f.mime).toBe('text/html');
    }
    expect(files.size).toBeGreaterThan(1); // rotation happened; lines name the right file

    // warcio's own indexer finds the same records at the same places.
    const ours = lines.map((l) => JSON.parse(l.split(' ').slice(2).join(' ')) as Record<string, string>);
    const theirs: Record<string, unknown>[] = [];
    const indexer = new CDXIndexer({});
    for (const filename of files) {
      for await (const r of indexer.iterIndex([{ filename, reader: createReadStream(join(dir, filename)) }] as never)) theirs.push(r as Record<string, unknown>);
    }
    const pick = (r: Record<string, unknown>) => [r.filename, String(r.offset), String(r.length), r.url, String(r.status), r.mime].join(' ');
    expect(theirs.map(pick).sort()).toEqual(ours.map(pick).sort());
  });
});

describe('repairCdxjTail', () => {
  it('cuts a torn last line and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-cdxj-tail-'));
    const path = join(dir, 'i.cdxj');
    writeFileSync(path, 'a 1 {}\nb 2 {}\nc 3 {"ur');
    expect(await repairCdxjTail(path)).toBe(8);
    expect(readFileSync(path, 'utf8')).toBe('a 1 {}\nb 2 {}\n');
    expect(await repairCdxjTail(path)).toBe(0);
    writeFileSync(path, 'no newline at all');
    expect(await repairCdxjTail(path)).toBe(17);
    expect(readFileSync(path, 'utf8')).toBe('');
    expect(await repairCdxjTail(join(dir, 'missing.cdxj'))).toBe(0);
  });
});
