// Sitemaps and robots.txt Sitemap lines: named cases, limits and broken input. The corpus is in
// fixtures/sitemaps and fixtures/robots (test/discover-fixtures.test.ts).

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { robotsSitemaps } from '../src/discover/robots-sitemaps.js';
import { MAX_SITEMAP_BYTES, MAX_SITEMAP_URLS, SitemapParser, type SitemapOptions, type SitemapResult } from '../src/discover/sitemap.js';

async function parse(body: string | Buffer, options?: SitemapOptions, chunk = 64 * 1024): Promise<SitemapResult> {
  const p = new SitemapParser(options);
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  for (let i = 0; i < buf.length; i += chunk) p.write(buf.subarray(i, i + chunk));
  return p.end();
}

const urlset = (urls: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.map((u) => `<url><loc>${u}</loc></url>\n`).join('')}</urlset>\n`;

describe('SitemapParser', () => {
  it('has the protocol limits: 50,000 URLs and 50 MB per file', () => {
    expect(MAX_SITEMAP_URLS).toBe(50_000);
    expect(MAX_SITEMAP_BYTES).toBe(52_428_800);
  });

  it('cuts a urlset of 50,001 URLs at 50,000 and says so', async () => {
    const urls = Array.from({ length: 50_001 }, (_, i) => `https://big.example/p${i}`);
    const r = await parse(urlset(urls));
    expect(r.locs.length).toBe(50_000);
    expect(r.locs[49_999]).toBe('https://big.example/p49999');
    expect(r.truncated).toBe(true);
  });

  it('reads exactly maxUrls URLs without truncating', async () => {
    const urls = Array.from({ length: 10 }, (_, i) => `https://e.example/${i}`);
    expect(await parse(urlset(urls), { maxUrls: 10 })).toMatchObject({ locs: urls, truncated: false });
    expect(await parse(urlset([...urls, 'https://e.example/10']), { maxUrls: 10 })).toMatchObject({ locs: urls, truncated: true });
  });

  it('stops at maxBytes of uncompressed XML, keeping the URLs before the cut', async () => {
    const xml = urlset(Array.from({ length: 100 }, (_, i) => `https://e.example/${i}`));
    const r = await parse(xml, { maxBytes: 1000 });
    expect(r.truncated).toBe(true);
    expect(r.locs.length).toBeGreaterThan(5);
    expect(r.locs.length).toBeLessThan(30);
    expect(r.locs).toEqual(Array.from({ length: r.locs.length }, (_, i) => `https://e.example/${i}`));
  });

  it('stops a gzip bomb at maxBytes of output, not at the end of the stream', async () => {
    const head = '<?xml version="1.0"?><urlset><url><loc>https://bomb.example/1</loc></url>';
    const bomb = gzipSync(Buffer.concat([Buffer.from(head), Buffer.alloc(64 * 1024 * 1024, 0x20)]));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const r = await parse(bomb, { maxBytes: 2 * 1024 * 1024 });
    expect(r).toMatchObject({ kind: 'urlset', locs: ['https://bomb.example/1'], truncated: true, error: null });
  });

  it('reports a broken gzip stream and keeps what came before the break', async () => {
    const gz = gzipSync(urlset(Array.from({ length: 2000 }, (_, i) => `https://gz.example/${i}`)));
    const cut = await parse(gz.subarray(0, Math.floor(gz.length / 2)));
    expect(cut.error).toMatch(/^gzip: /);
    expect(cut.locs.length).toBeGreaterThan(0);
    expect(cut.locs[0]).toBe('https://gz.example/0');
    const garbage = await parse(Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(garbage).toMatchObject({ kind: 'unknown', locs: [], error: expect.stringMatching(/^gzip: /) });
  });

  it('decides gzip or not from the first two bytes, even when they come one at a time', async () => {
    const gz = gzipSync(urlset(['https://one.example/']));
    expect((await parse(gz, undefined, 1)).locs).toEqual(['https://one.example/']);
    expect(await parse(Buffer.from([0x1f]))).toMatchObject({ kind: 'text', locs: [] });
  });

  it('reads an empty body, or one of whitespace, as nothing', async () => {
    expect(await parse('')).toEqual({ kind: 'unknown', locs: [], truncated: false, invalid: 0, error: null });
    expect(await parse('  \n ')).toMatchObject({ kind: 'unknown', locs: [] });
  });

  it('takes <loc> only under <url> in a urlset and under <sitemap> in an index', async () => {
    const mixed = '<urlset><url><loc>https://a.example/page</loc></url><sitemap><loc>https://a.example/not-here.xml</loc></sitemap></urlset>';
    expect((await parse(mixed)).locs).toEqual(['https://a.example/page']);
    const index = '<sitemapindex><sitemap><loc>https://a.example/s.xml</loc></sitemap><url><loc>https://a.example/not-here</loc></url></sitemapindex>';
    expect(await parse(index)).toMatchObject({ kind: 'index', locs: ['https://a.example/s.xml'] });
  });

  it('counts locs that are not absolute http(s) URLs as invalid', async () => {
    const r = await parse(urlset(['/relative', 'mailto:a@b.example', 'https://ok.example/', 'https://ok.example/' + 'x'.repeat(9000)]));
    expect(r).toMatchObject({ locs: ['https://ok.example/'], invalid: 3 });
  });

  it('reads an HTML page served as a sitemap as unknown, with no URLs', async () => {
    expect(await parse('<!DOCTYPE html><html><body><a href="https://x.example/">x</a></body></html>')).toMatchObject({ kind: 'unknown', locs: [] });
  });

  it('ignores writes after end()', async () => {
    const p = new SitemapParser();
    p.write(Buffer.from(urlset(['https://a.example/'])));
    const r = await p.end();
    p.write(Buffer.from(urlset(['https://b.example/'])));
    expect((await p.end()).locs).toEqual(r.locs);
  });

  it('cuts a text sitemap at maxUrls too', async () => {
    const text = Array.from({ length: 12 }, (_, i) => `https://t.example/${i}`).join('\n');
    expect(await parse(text, { maxUrls: 10 })).toMatchObject({ kind: 'text', truncated: true, locs: Array.from({ length: 10 }, (_, i) => `https://t.example/${i}`) });
  });
});

describe('robotsSitemaps', () => {
  it('resolves relative lines against the robots.txt URL and drops non-http(s)', () => {
    const txt = 'Sitemap: /a.xml\nSitemap: gopher://x/\nSitemap: https://b.example/b.xml\n';
    expect(robotsSitemaps(txt, 'http://h.example/robots.txt')).toEqual(['http://h.example/a.xml', 'https://b.example/b.xml']);
  });

  it('finds nothing in an empty file or one without Sitemap lines', () => {
    expect(robotsSitemaps('', 'http://h.example/robots.txt')).toEqual([]);
    expect(robotsSitemaps('User-agent: *\nDisallow: /', 'http://h.example/robots.txt')).toEqual([]);
  });
});
