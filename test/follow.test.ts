// Recursive crawls through the real CLI against the testbed's generated site (src/site.ts):
// every page reachable within --depth is fetched once, nothing out of scope or inside the traps
// (comments, mailto:, javascript:, fragments, another origin) is, and the records say how each
// URL was found.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { siteLinks } from '../src/site.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli } from './helpers.js';

type Rec = CrawlRecord & { depth: number; parent: string | null; contentType?: string | null; links?: { found: number; admitted: number }; stopped?: string; location?: string };

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

/** The pages of an n-page site reachable within `depth` hops of its home page, by breadth-first search. */
function reachable(n: number, depth: number): Map<string, number> {
  const found = new Map<string, number>([['', 0]]);
  let layer = [0];
  for (let d = 1; d <= depth && layer.length > 0; d++) {
    const next: number[] = [];
    for (const i of layer) {
      for (const href of siteLinks(i, n)) {
        if (!found.has(href)) {
          found.set(href, d);
          next.push(Number(href.slice(1, -5)));
        }
      }
    }
    layer = next;
  }
  return found;
}

const recordsOf = (stdout: string): Rec[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);

describe('--depth', () => {
  it('fetches every page within the depth once, at its smallest depth, and nothing out of scope', async () => {
    const n = 120;
    const base = `${tb.url}/site/${n}/`;
    const r = await runCli(['-q', '-c', '8', '--depth', '3'], { stdin: `${base}\n` });
    expect(r.code).toBe(0);
    const records = recordsOf(r.stdout);
    const expected = reachable(n, 3);
    const byUrl = new Map(records.map((x) => [x.url.slice(base.length), x]));
    // One record per admitted URL, each URL once.
    expect(byUrl.size).toBe(records.length);
    expect(new Set(byUrl.keys())).toEqual(new Set(expected.keys()));
    for (const [href, d] of expected) expect(byUrl.get(href)!.depth, href).toBe(d);
    // The seed keeps its input line; found URLs have none, and name the page that found them.
    const seed = byUrl.get('')!;
    expect(seed).toMatchObject({ line: 1, depth: 0, parent: null, ok: true, status: 200 });
    for (const x of records) if (x !== seed) expect(x.line).toBeNull();
    expect(byUrl.get('p1.html')!.parent).toBe(base);
    // HTML pages say what they had; the traps were never requested.
    expect(seed.links!.found).toBeGreaterThanOrEqual(siteLinks(0, n).length);
    expect(seed.contentType).toMatch(/text\/html/);
    expect(records.some((x) => x.url.includes('commented-out') || x.url.includes('elsewhere') || x.url.includes('#'))).toBe(false);
  });

  it('--depth 0 (the default) follows nothing; --depth 1 only the seed page\'s links', async () => {
    const base = `${tb.url}/site/50/`;
    const none = await runCli(['-q'], { stdin: `${base}\n` });
    expect(recordsOf(none.stdout)).toHaveLength(1);
    expect(recordsOf(none.stdout)[0]).not.toHaveProperty('depth');
    const one = await runCli(['-q', '--depth', '1'], { stdin: `${base}\n` });
    expect(recordsOf(one.stdout).length).toBe(reachable(50, 1).size);
  });

  it('--max-pages stops admitting: exactly that many records, seeds included', async () => {
    const r = await runCli(['-q', '--depth', '5', '--max-pages', '10'], { stdin: `${tb.url}/site/200/\n` });
    expect(r.code).toBe(0);
    expect(recordsOf(r.stdout)).toHaveLength(10);
    expect(r.stderr).toBe('');
  });

  it('gzip: asks for compression, reads the decoded page, counts the bytes on the wire', async () => {
    const r = await runCli(['-q', '--depth', '1', '-H', 'Accept-Encoding: identity'], { stdin: `${tb.url}/site/30/\n` });
    const plain = recordsOf(r.stdout).find((x) => x.line === 1)!;
    const z = await runCli(['-q', '--depth', '1'], { stdin: `${tb.url}/site/30/\n` });
    const zipped = recordsOf(z.stdout).find((x) => x.line === 1)!;
    expect(zipped.links).toEqual(plain.links);
    expect(zipped.bytes).toBeLessThan(plain.bytes);
    expect(recordsOf(z.stdout).length).toBe(recordsOf(r.stdout).length);
  });

  it('options that need a recursive crawl are refused without --depth (exit 2, naming the option)', async () => {
    const r = await runCli(['--scope', 'domain'], { stdin: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--scope applies to recursive crawls/);
    const bad = await runCli(['--depth', '2', '--scope', 'planet'], { stdin: '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scope/);
    const re = await runCli(['--depth', '2', '--exclude', '(['], { stdin: '' });
    expect(re.code).toBe(2);
    expect(re.stderr).toMatch(/--exclude/);
  });
});

describe('Content-Encoding', () => {
  let site: Server;
  let url = '';
  beforeAll(async () => {
    // Each page links to the next; the bodies are coded as their Content-Encoding says.
    const html = (next: string): Buffer => Buffer.from(`<a href="${next}">next</a>`);
    const pages: Record<string, [string | null, Buffer]> = {
      '/': ['gzip', gzipSync(html('/stacked'))],
      '/stacked': ['deflate, gzip', gzipSync(deflateSync(html('/br')))],
      '/br': [' BR ', brotliCompressSync(html('/unknown'))],
      '/unknown': ['compress', html('/never')],
      '/never': [null, Buffer.from('leaf')],
    };
    // /bomb: 16 MiB of gzip members, each 16 MiB of zeros: 16 GiB decoded. Only the first
    // 64 MiB are needed for links; decoding the rest took ~2 s per GiB here.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: Math.ceil((16 * 1024 * 1024) / member.length) }, () => member));
    site = createServer((req, res) => {
      if (req.url === '/bomb') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb);
        return;
      }
      if (req.url === '/broken') {
        // A gzip body whose deflate data is garbage, sent in two writes: the decoder fails while
        // the body is still arriving.
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        res.write(Buffer.concat([gzipSync(html('/x')).subarray(0, 10), Buffer.alloc(64, 0xff)]));
        setTimeout(() => res.end(Buffer.alloc(64, 0xee)), 50);
        return;
      }
      const page = pages[req.url ?? ''];
      if (page === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html', ...(page[0] === null ? {} : { 'content-encoding': page[0] }) }).end(page[1]);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => site.close(r)));

  it('a body whose decoding fails midway still gets its record, with no links', async () => {
    const r = await runCli(['-q', '--depth', '2'], { stdin: `${url}/broken\n` });
    expect(r.code).toBe(0);
    expect(recordsOf(r.stdout).map((x) => [x.url.slice(url.length), x.status, x.ok])).toEqual([['/broken', 200, true]]);
  });

  it('a page that decodes to gigabytes is read for links only as far as the cap, then let go', async () => {
    // Wide margin: the record ends within seconds of the body's arrival, where decoding it all
    // held the record (and a shutdown) for half a minute. The record's ms includes that wait.
    const r = await runCli(['-q', '--depth', '1', '--max-body', String(64 * 1024 * 1024)], { stdin: `${url}/bomb\n` });
    expect(r.code).toBe(0);
    const [rec] = recordsOf(r.stdout);
    expect(rec).toMatchObject({ status: 200, ok: true });
    expect(rec!.ms).toBeLessThan(15_000);
  }, 90_000);

  it('links are read through gzip, stacked codings (the last named comes off first) and br; an unknown coding gives none', async () => {
    const r = await runCli(['-q', '--depth', '9'], { stdin: `${url}/\n` });
    expect(r.code).toBe(0);
    expect(recordsOf(r.stdout).map((x) => x.url.slice(url.length))).toEqual(['/', '/stacked', '/br', '/unknown']);
  });
});

describe('X-Robots-Tag', () => {
  let site: Server;
  let url = '';
  beforeAll(async () => {
    // / links to /a (served with X-Robots-Tag: nofollow, links to /b) and /c (nofollow for
    // googlebot only, links to /d).
    site = createServer((req, res) => {
      const html = { 'content-type': 'text/html' };
      if (req.url === '/') res.writeHead(200, html).end('<a href="/a">a</a> <a href="/c">c</a>');
      else if (req.url === '/a') res.writeHead(200, { ...html, 'x-robots-tag': 'noindex, nofollow' }).end('<a href="/b">b</a>');
      else if (req.url === '/c') res.writeHead(200, { ...html, 'x-robots-tag': 'googlebot: nofollow' }).end('<a href="/d">d</a>');
      else if (req.url === '/b' || req.url === '/d') res.writeHead(200, html).end('leaf');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => site.close(r)));

  it('with --robots a page served with X-Robots-Tag nofollow gives no links; one for another crawler does; without --robots all do', async () => {
    const paths = async (extra: string[]): Promise<string[]> => {
      const r = await runCli(['-q', '--depth', '3', ...extra], { stdin: `${url}/\n` });
      expect(r.code).toBe(0);
      return recordsOf(r.stdout).map((x) => x.url.slice(url.length)).sort();
    };
    expect(await paths(['--robots'])).toEqual(['/', '/a', '/c', '/d']);
    expect(await paths([])).toEqual(['/', '/a', '/b', '/c', '/d']);
  });
});

describe('scope on redirects', () => {
  let a: Server;
  let b: Server;
  let aUrl = '';
  let bUrl = '';
  beforeAll(async () => {
    b = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<a href="/deeper">deeper</a>');
    });
    a = createServer((req, res) => {
      if (req.url === '/away') {
        res.writeHead(301, { location: `${bUrl}/landing` });
        res.end();
      } else if (req.url === '/here') {
        res.writeHead(302, { location: '/there' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<a href="/away">away</a> <a href="/here">here</a>');
      }
    });
    for (const s of [a, b]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    aUrl = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
    bUrl = `http://127.0.0.1:${(b.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all([a, b].map((s) => new Promise((r) => s.close(r))));
  });

  it('a discovered URL redirecting out of scope stops at its 3xx, saying why; in-scope hops are followed', async () => {
    const r = await runCli(['-q', '--depth', '3'], { stdin: `${aUrl}/\n` });
    const records = recordsOf(r.stdout);
    const away = records.find((x) => x.url === `${aUrl}/away`)!;
    expect(away).toMatchObject({ ok: true, status: 301, redirects: 0, stopped: 'out_of_scope', location: `${bUrl}/landing`, depth: 1 });
    expect(records.find((x) => x.url === `${aUrl}/here`)).toMatchObject({ status: 200, redirects: 1, finalUrl: `${aUrl}/there` });
    // Nothing on the other origin was fetched.
    expect(records.some((x) => x.url.startsWith(bUrl) || (x.finalUrl ?? '').startsWith(bUrl))).toBe(false);
  });
});
