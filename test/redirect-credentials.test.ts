// Credentials given with -H go only to the origin of the URL as given (curl CVE-2018-1000007):
// a redirect to another origin must not hand a bearer token or a session cookie to that origin,
// unless --location-trusted says so. Two real loopback servers, two origins (two ports).

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempList } from './helpers.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

let a: Server;
let b: Server;
let aUrl = '';
let bUrl = '';
const seenA: Seen[] = [];
const seenB: Seen[] = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  // A redirects /away to B, /back to B's /home-again, which redirects back to A.
  a = createServer((req, res) => {
    seenA.push({ path: req.url!, headers: req.headers });
    if (req.url === '/away' || req.url === '/back') {
      res.writeHead(302, { location: `${bUrl}${req.url === '/away' ? '/landing' : '/bounce'}`, 'content-length': 0 });
      res.end();
    } else if (req.url === '/links') {
      // A page of A linking to a page of A and a page of B (a recursive crawl finds both).
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<a href="/found-a">a</a> <a href="${bUrl}/found-b">b</a>`);
    } else {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }
  });
  b = createServer((req, res) => {
    seenB.push({ path: req.url!, headers: req.headers });
    if (req.url === '/bounce') {
      res.writeHead(302, { location: `${aUrl}/home-again`, 'content-length': 0 });
      res.end();
    } else {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }
  });
  [aUrl, bUrl] = await Promise.all([listen(a), listen(b)]);
});
afterAll(async () => {
  await Promise.all([new Promise((r) => a.close(r)), new Promise((r) => b.close(r))]);
});
beforeEach(() => {
  seenA.length = 0;
  seenB.length = 0;
});

const SECRETS = ['-H', 'Authorization: Bearer s3cret', '-H', 'Cookie: sid=abc', '-H', 'Proxy-Authorization: Basic eDp5'];

describe('credential headers on redirects', () => {
  it('are sent to the origin named, not to another origin a redirect leads to', async () => {
    const r = await runCli(['-q', ...SECRETS, '-H', 'X-Trace: 7', tempList([`${aUrl}/away`])]);
    expect(r.code).toBe(0);
    expect(r.records[0]).toMatchObject({ ok: true, status: 200, redirects: 1, finalUrl: `${bUrl}/landing` });
    expect(seenA[0]!.headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'sid=abc', 'proxy-authorization': 'Basic eDp5' });
    const atB = seenB[0]!.headers;
    expect(atB.authorization).toBeUndefined();
    expect(atB.cookie).toBeUndefined();
    expect(atB['proxy-authorization']).toBeUndefined();
    // Other headers still travel.
    expect(atB['x-trace']).toBe('7');
  });

  it('come back on a hop back to the origin named', async () => {
    const r = await runCli(['-q', ...SECRETS, tempList([`${aUrl}/back`])]);
    expect(r.records[0]).toMatchObject({ ok: true, redirects: 2, finalUrl: `${aUrl}/home-again` });
    expect(seenB[0]!.headers.authorization).toBeUndefined();
    expect(seenA.map((s) => [s.path, s.headers.authorization])).toEqual([
      ['/back', 'Bearer s3cret'],
      ['/home-again', 'Bearer s3cret'],
    ]);
  });

  it('--location-trusted sends them to the other origin too', async () => {
    const r = await runCli(['-q', '--location-trusted', ...SECRETS, tempList([`${aUrl}/away`])]);
    expect(r.records[0]).toMatchObject({ ok: true, finalUrl: `${bUrl}/landing` });
    expect(seenB[0]!.headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'sid=abc' });
  });

  it('credentials in the URL never follow a redirect to another origin, even with --location-trusted', async () => {
    const withUser = aUrl.replace('http://', 'http://user:pw@');
    const r = await runCli(['-q', '--location-trusted', tempList([`${withUser}/away`])]);
    expect(r.records[0]).toMatchObject({ ok: true, url: `${aUrl.replace('http://', 'http://user:***@')}/away` });
    expect(seenA[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    expect(seenB[0]!.headers.authorization).toBeUndefined();
  });
});

describe('credential headers in a recursive crawl', () => {
  it('go to the seed\'s origin only, not to another origin a page links to', async () => {
    const r = await runCli(['-q', '--depth', '1', '--scope', 'any', ...SECRETS, tempList([`${aUrl}/links`])]);
    expect(r.code).toBe(0);
    expect(r.records.filter((x) => x.ok)).toHaveLength(3);
    expect(seenA.find((x) => x.path === '/found-a')!.headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'sid=abc' });
    const atB = seenB.find((x) => x.path === '/found-b')!.headers;
    expect([atB.authorization, atB.cookie, atB['proxy-authorization']]).toEqual([undefined, undefined, undefined]);
  });

  it('--location-trusted sends them to found origins too', async () => {
    const r = await runCli(['-q', '--depth', '1', '--scope', 'any', '--location-trusted', ...SECRETS, tempList([`${aUrl}/links`])]);
    expect(r.code).toBe(0);
    expect(seenB.find((x) => x.path === '/found-b')!.headers).toMatchObject({ authorization: 'Bearer s3cret' });
  });
});
