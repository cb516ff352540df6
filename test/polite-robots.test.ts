// --robots through the real CLI: each case is its own loopback origin with its own robots.txt.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempList } from './helpers.js';
import { startRecorder, type Recorder } from './polite-helpers.js';

const recorders: Recorder[] = [];
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});

/** An origin whose /robots.txt answers `robots`; every other path is a 200. */
async function site(robots: (res: ServerResponse) => void): Promise<Recorder> {
  const rec = await startRecorder((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/robots.txt') robots(res);
    else res.end('page\n');
  });
  recorders.push(rec);
  return rec;
}

const text = (body: string, status = 200) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
};

const pathsSeen = (rec: Recorder): string[] => rec.arrivals.map((a) => a.path);

const RULES = ['User-agent: *', 'Disallow: /private', 'Allow: /private/ok', '', 'User-agent: sweep', 'Disallow: /nosweep', ''].join('\n');

describe('--robots', () => {
  it('honours Disallow and Allow for sweep\'s own group, fetching robots.txt once per origin', async () => {
    const rec = await site(text(RULES));
    const paths = ['/a', '/nosweep/1', '/private/x', '/nosweep', '/b', '/private/ok'];
    const r = await runCli(['-q', '--robots', tempList(paths.map((p) => rec.url + p))]);
    expect(r.code).toBe(0);
    const byLine = [...r.records].sort((a, b) => a.line - b.line);
    expect(byLine.map((x) => x.error?.code ?? 'ok')).toEqual(['ok', 'robots_disallowed', 'ok', 'robots_disallowed', 'ok', 'ok']);
    expect(byLine[1]).toMatchObject({ ok: false, status: null, attempts: 0 });
    expect(byLine[1]!.error!.message).toMatch(/robots\.txt.*"sweep"/);
    // Disallowed URLs got no request; robots.txt was asked for once, before anything else.
    expect(pathsSeen(rec)[0]).toBe('/robots.txt');
    expect(pathsSeen(rec).filter((p) => p === '/robots.txt')).toHaveLength(1);
    expect(pathsSeen(rec).filter((p) => p.startsWith('/nosweep'))).toEqual([]);
  });

  it('matches the group of the User-Agent\'s product token (-A other/1 falls to "*")', async () => {
    const rec = await site(text(RULES));
    const paths = ['/nosweep', '/private/x', '/private/ok'];
    const r = await runCli(['-q', '--robots', '-A', 'other/1.0', tempList(paths.map((p) => rec.url + p))]);
    const byLine = [...r.records].sort((a, b) => a.line - b.line);
    expect(byLine.map((x) => x.error?.code ?? 'ok')).toEqual(['ok', 'robots_disallowed', 'ok']);
  });

  it('follows a redirected robots.txt and applies its rules to the origin asked for', async () => {
    const rec = await startRecorder((req, res) => {
      if (req.url === '/robots.txt') {
        res.writeHead(301, { location: '/real-robots.txt' });
        res.end();
      } else if (req.url === '/real-robots.txt') res.end('User-agent: *\nDisallow: /secret\n');
      else res.end('page\n');
    });
    recorders.push(rec);
    const r = await runCli(['-q', '--robots', tempList([`${rec.url}/secret/1`, `${rec.url}/open`])]);
    const byLine = [...r.records].sort((a, b) => a.line - b.line);
    expect(byLine.map((x) => x.error?.code ?? 'ok')).toEqual(['robots_disallowed', 'ok']);
    expect(pathsSeen(rec).filter((p) => p.startsWith('/secret'))).toEqual([]);
  });

  it('a 404 robots.txt allows everything', async () => {
    const rec = await site(text('nope', 404));
    const r = await runCli(['-q', '--robots', tempList(['/a', '/private'].map((p) => rec.url + p))]);
    expect(r.records.every((x) => x.ok)).toBe(true);
  });

  it('a 5xx robots.txt disallows everything on that origin, while other origins go on', async () => {
    const down = await site(text('oops', 503));
    const fine = await site(text('User-agent: *\nDisallow:\n'));
    const r = await runCli(['-q', '--robots', tempList([`${down.url}/a`, `${fine.url}/a`, `${down.url}/b`])]);
    const byUrl = Object.fromEntries(r.records.map((x) => [x.url, x.error?.code ?? 'ok']));
    expect(byUrl).toEqual({ [`${down.url}/a`]: 'robots_disallowed', [`${fine.url}/a`]: 'ok', [`${down.url}/b`]: 'robots_disallowed' });
    expect(pathsSeen(down)).toEqual(['/robots.txt']);
  });

  it('an unreachable robots.txt (connection dropped) disallows everything on that origin', async () => {
    const rec = await site((res) => res.socket?.destroy());
    const r = await runCli(['-q', '--robots', '-r', '0', tempList([`${rec.url}/a`, `${rec.url}/b`])]);
    expect(r.records.map((x) => x.error?.code)).toEqual(['robots_disallowed', 'robots_disallowed']);
    expect(r.records[0]!.error!.message).toMatch(/unreachable/);
    expect(pathsSeen(rec).filter((p) => p !== '/robots.txt')).toEqual([]);
  });

  it('Crawl-delay spaces the requests to that host', async () => {
    const rec = await site(text('User-agent: *\nCrawl-delay: 0.25\n'));
    const r = await runCli(['-q', '--robots', tempList([1, 2, 3, 4, 5].map((i) => `${rec.url}/p/${i}`))]);
    expect(r.records.filter((x) => x.ok)).toHaveLength(5);
    const pages = rec.arrivals.filter((a) => a.path !== '/robots.txt');
    // 4 intervals of 250 ms, less at most one interval of catch-up slack.
    expect(pages.at(-1)!.at - pages[0]!.at).toBeGreaterThanOrEqual(700);
  });

  it('the summary counts origins and disallowed URLs', async () => {
    const rec = await site(text(RULES));
    const r = await runCli(['--robots', tempList([`${rec.url}/nosweep`, `${rec.url}/a`])]);
    expect(r.stderr).toMatch(/robots\.txt\s+1 origins \(1 with rules.*1 URLs disallowed/);
    expect(r.stderr).toMatch(/errors\s+robots_disallowed: 1/);
  });

  it('checks every redirect hop: a redirect into a disallowed path is refused before it is requested', async () => {
    // Another origin with its own robots.txt, reached by a cross-origin redirect.
    const other = await site(text('User-agent: *\nDisallow: /secret\n'));
    const rec = await startRecorder((req, res) => {
      if (req.url === '/robots.txt') text(RULES)(res);
      else if (req.url === '/go-private') redirect(res, '/nosweep/x');
      else if (req.url === '/go-ok') redirect(res, '/b');
      else if (req.url === '/go-other') redirect(res, `${other.url}/secret/1`);
      else if (req.url === '/go-other-ok') redirect(res, `${other.url}/open`);
      else res.end('page\n');
    });
    recorders.push(rec);
    const urls = ['/go-private', '/go-ok', '/go-other', '/go-other-ok'].map((p) => rec.url + p);
    const r = await runCli(['-q', '--robots', tempList(urls)]);
    expect(r.code).toBe(0);
    const byLine = [...r.records].sort((a, b) => a.line - b.line);
    expect(byLine.map((x) => x.error?.code ?? 'ok')).toEqual(['robots_disallowed', 'ok', 'robots_disallowed', 'ok']);
    // The refused hop's 3xx is the final response; the record says which hop was refused.
    expect(byLine[0]).toMatchObject({ ok: false, status: 302, redirects: 0, attempts: 1, finalUrl: `${rec.url}/go-private` });
    expect(byLine[0]!.error!.message).toMatch(/redirect to .*\/nosweep\/x refused: disallowed by/);
    expect(byLine[2]).toMatchObject({ ok: false, status: 302, redirects: 0 });
    expect(byLine[3]).toMatchObject({ ok: true, status: 200, redirects: 1, finalUrl: `${other.url}/open` });
    // Nothing disallowed was requested, on either origin; each robots.txt was fetched once.
    expect(pathsSeen(rec)).not.toContain('/nosweep/x');
    expect(pathsSeen(other).filter((p) => p.startsWith('/secret'))).toEqual([]);
    expect(pathsSeen(other).filter((p) => p === '/robots.txt')).toHaveLength(1);
    expect(pathsSeen(rec).filter((p) => p === '/robots.txt')).toHaveLength(1);
  });
});


describe('--robots: what a robots.txt request carries', () => {
  it('no -H credentials, to any origin, even when a redirect takes it to another origin; the URLs themselves keep them on their own origin', async () => {
    const seen: { origin: string; path: string; auth: string | undefined; cookie: string | undefined }[] = [];
    const record = (origin: string) => (req: IncomingMessage) =>
      seen.push({ origin, path: req.url ?? '/', auth: req.headers.authorization, cookie: req.headers.cookie });
    const b = await startRecorder((req, res) => {
      record('b')(req);
      res.end(req.url === '/robots.txt' ? 'User-agent: *\nAllow: /\n' : 'page\n');
    });
    recorders.push(b);
    const a = await startRecorder((req, res) => {
      record('a')(req);
      if (req.url === '/robots.txt') res.end('User-agent: *\nAllow: /\n');
      else redirect(res, `${b.url}/landing`);
    });
    recorders.push(a);
    const r = await runCli(['-q', '--robots', '-H', 'Authorization: Bearer TOPSECRET', '-H', 'Cookie: sid=C', tempList([`${a.url}/start`])]);
    expect(r.code).toBe(0);
    expect(r.records[0]).toMatchObject({ ok: true, status: 200 });
    const robots = seen.filter((x) => x.path === '/robots.txt');
    expect(robots.map((x) => x.origin).sort()).toEqual(['a', 'b']);
    for (const x of robots) expect([x.auth, x.cookie]).toEqual([undefined, undefined]);
    expect(seen.find((x) => x.path === '/start')).toMatchObject({ auth: 'Bearer TOPSECRET', cookie: 'sid=C' });
    expect(seen.find((x) => x.path === '/landing')).toMatchObject({ auth: undefined, cookie: undefined });
  });

  it('a recursive crawl (which asks for compressed pages) still reads the rules of a robots.txt, sent compressed or not', async () => {
    for (const compress of [false, true]) {
      const rec = await site((res) => {
        const body = 'User-agent: *\nDisallow: /private\n';
        if (compress) {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
          res.end(gzipSync(body));
        } else text(body)(res);
      });
      const r = await runCli(['-q', '--robots', '--depth', '1', tempList([`${rec.url}/private/a`, `${rec.url}/open`])]);
      expect(r.code).toBe(0);
      const byLine = [...r.records].sort((x, y) => x.line - y.line);
      expect(byLine.map((x) => x.error?.code ?? 'ok')).toEqual(['robots_disallowed', 'ok']);
      expect(pathsSeen(rec)).not.toContain('/private/a');
    }
  });
});

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}
