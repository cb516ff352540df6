// --sitemaps and --requisites through the real CLI, against a loopback origin of the test's own:
// robots.txt names a sitemap index, which names a gzipped urlset; its URLs are admitted at depth
// 0 and fetched once; an origin without robots.txt falls back to /sitemap.xml. --requisites
// follows images, scripts and style sheets, and CSS url()s.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempList } from './helpers.js';
import { redisOrSkip, startRedis } from './redis-helper.js';

type Rec = { line?: number | null; url: string; status: number | null; depth: number; parent: string | null; kind?: string; links?: { found: number; admitted: number } };
const recordsOf = (stdout: string): Rec[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);

let withRobots: Server;
let bare: Server;
let a = '';
let b = '';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const html = (body: string) => ({ type: 'text/html', body });

beforeAll(async () => {
  withRobots = createServer((req, res) => {
    const routes: Record<string, { type: string; body: string | Buffer }> = {
      '/': html('<a href="/linked">linked</a>'),
      '/robots.txt': { type: 'text/plain', body: `User-agent: *\nAllow: /\nSitemap: ${a}/maps/index.xml\n` },
      '/maps/index.xml': { type: 'application/xml', body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${a}/maps/pages.xml.gz</loc></sitemap></sitemapindex>` },
      '/maps/pages.xml.gz': { type: 'application/gzip', body: gzipSync(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>${a}/only-in-sitemap</loc></url><url><loc>${a}/linked</loc></url><url><loc>https://elsewhere.invalid/x</loc></url></urlset>`) },
      '/page': html('<img src="/img/a.png"><script src="/js/app.js"></script><link rel="stylesheet" href="/css/site.css"><a href="/next">next</a>'),
      '/css/site.css': { type: 'text/css', body: 'body { background: url("/img/bg.png") }' },
    };
    const route = routes[req.url ?? ''] ?? html('leaf');
    res.writeHead(200, { 'content-type': route.type });
    res.end(route.body);
  });
  bare = createServer((req, res) => {
    if (req.url === '/sitemap.xml') {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<urlset><url><loc>${b}/from-default-sitemap</loc></url></urlset>`);
    } else if (req.url === '/robots.txt') {
      res.writeHead(404);
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('no links');
    }
  });
  [a, b] = await Promise.all([listen(withRobots), listen(bare)]);
});
afterAll(async () => {
  await Promise.all([withRobots, bare].map((s) => new Promise((r) => s.close(r))));
});

describe('--sitemaps', () => {
  it("reads robots.txt's Sitemap lines, sitemap indexes and gzipped urlsets: their URLs are depth 0, fetched once", async () => {
    const r = await runCli(['-q', '--sitemaps', '--depth', '1'], { stdin: `${a}/\n` });
    expect(r.code).toBe(0);
    const recs = recordsOf(r.stdout);
    const urls = recs.map((x) => x.url.replace(a, ''));
    expect(new Set(urls).size).toBe(urls.length);
    expect(new Set(urls)).toEqual(new Set(['/', '/robots.txt', '/maps/index.xml', '/maps/pages.xml.gz', '/only-in-sitemap', '/linked']));
    expect(recs.find((x) => x.url === `${a}/robots.txt`)).toMatchObject({ kind: 'robots', depth: 0 });
    expect(recs.find((x) => x.url === `${a}/maps/index.xml`)).toMatchObject({ kind: 'sitemap', depth: 0 });
    expect(recs.find((x) => x.url === `${a}/only-in-sitemap`)).toMatchObject({ depth: 0, parent: `${a}/maps/pages.xml.gz` });
    // Off the seed's origin: listed, not admitted.
    expect(urls.some((u) => u.includes('elsewhere'))).toBe(false);
  });

  it('falls back to /sitemap.xml when the origin has no robots.txt', async () => {
    const r = await runCli(['-q', '--sitemaps'], { stdin: `${b}/\n` });
    const urls = recordsOf(r.stdout).map((x) => x.url.replace(b, ''));
    expect(new Set(urls)).toEqual(new Set(['/', '/robots.txt', '/sitemap.xml', '/from-default-sitemap']));
  });
});

describe.runIf(redisOrSkip())('sweep enqueue --sitemaps', () => {
  it('workers read the seed origins robots.txt and sitemaps as a local crawl does: the same records, robots.txt once per origin', async () => {
    const args = ['--sitemaps', '--depth', '1'];
    const seeds = tempList([`${a}/`, `${a}/page`, `${b}/`]);
    const local = recordsOf((await runCli(['-q', ...args, seeds])).stdout);
    const server = await startRedis();
    try {
      const q = ['--redis', server.url, '--queue', 'sitemaps'];
      expect((await runCli(['enqueue', ...q, ...args, seeds])).code).toBe(0);
      // Enqueued again: the robots.txt of an origin is one job per crawl, as every found URL is.
      expect((await runCli(['enqueue', ...q, ...args, tempList([`${a}/linked`])])).code).toBe(0);
      const w = await runCli(['work', ...q, '-c', '4']);
      expect(w.code, w.stderr).toBe(0);
      const remote = recordsOf((await runCli(['results', ...q])).stdout);
      const view = (r: Rec): string => JSON.stringify([r.url, r.depth, r.parent, r.kind ?? 'page']);
      const robots = remote.filter((r) => r.url.endsWith('/robots.txt'));
      expect(robots.map((r) => r.url).sort()).toEqual([`${a}/robots.txt`, `${b}/robots.txt`].sort());
      expect(robots.every((r) => r.kind === 'robots' && r.depth === 0)).toBe(true);
      // Everything the local crawl recorded, with the same depth, parent and kind; the seed of the
      // second enqueue, which the sitemap and a page also name, is recorded once, as that seed.
      const extra = remote.filter((r) => r.url === `${a}/linked`);
      expect(extra).toHaveLength(1);
      expect(extra[0]).toMatchObject({ line: 1, depth: 0, parent: null });
      const byView = (rs: Rec[]): string[] => rs.filter((r) => r.url !== `${a}/linked`).map(view).sort();
      expect(byView(remote)).toEqual(byView(local));
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(redisOrSkip())('sweep enqueue --sitemaps --max-pages', () => {
  it('a robots.txt is admitted only within --max-pages, as in a local crawl', async () => {
    const args = ['--sitemaps', '--depth', '1', '--max-pages', '1'];
    const seeds = tempList([`${a}/`]);
    const local = recordsOf((await runCli(['-q', ...args, seeds])).stdout).map((r) => r.url);
    expect(local).toEqual([`${a}/`]);
    const server = await startRedis();
    try {
      const q = ['--redis', server.url, '--queue', 'capped'];
      expect((await runCli(['enqueue', ...q, ...args, seeds])).code).toBe(0);
      expect((await runCli(['work', ...q, '-c', '4'])).code).toBe(0);
      expect(recordsOf((await runCli(['results', ...q])).stdout).map((r) => r.url)).toEqual(local);
    } finally {
      await server.stop();
    }
  });
});

describe('--requisites', () => {
  it('follows images, scripts, style sheets and the url()s of a style sheet; without it only links', async () => {
    const plain = recordsOf((await runCli(['-q', '--depth', '1'], { stdin: `${a}/page\n` })).stdout).map((x) => x.url.replace(a, ''));
    expect(new Set(plain)).toEqual(new Set(['/page', '/next']));
    const full = recordsOf((await runCli(['-q', '--depth', '2', '--requisites'], { stdin: `${a}/page\n` })).stdout).map((x) => x.url.replace(a, ''));
    expect(new Set(full)).toEqual(new Set(['/page', '/next', '/img/a.png', '/js/app.js', '/css/site.css', '/img/bg.png']));
  });
});
