// A record describes the URL's last exchange. Fields the exchange taps add (contentType and
// links of a recursive crawl, sha256 and warc of --warc, saved of --save-dir) belong to the
// exchange that produced them and must not carry over to a later attempt or hop that failed.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, tempList } from './helpers.js';

let server: Server;
let base = '';
const hits = new Map<string, number>();

beforeAll(async () => {
  // /busy-then-reset/<n>: a 503 text/html page first, then the connection dropped before any
  // response byte. /redirect-then-reset/<n>: a 302 text/html page to /gone/<n>, which drops.
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    if (path.startsWith('/busy-then-reset/') && n === 1) {
      res.writeHead(503, { 'content-type': 'text/html', 'content-length': 4 });
      res.end('busy');
    } else if (path.startsWith('/redirect-then-reset/')) {
      res.writeHead(302, { 'content-type': 'text/html', location: path.replace('/redirect-then-reset/', '/gone/'), 'content-length': 5 });
      res.end('moved');
    } else req.socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('record fields belong to the last exchange', () => {
  it('a retry that failed before any response does not keep the first attempt\'s contentType, sha256 and warc', async () => {
    const dir = tempDir();
    const r = await runCli(['-q', '-r', '1', '--retry-delay', '1', '--depth', '1', '--warc', join(dir, 'o.warc'), tempList([`${base}/busy-then-reset/1`])]);
    expect(r.code).toBe(0);
    const rec = r.records.find((x) => x.line === 1)! as unknown as Record<string, unknown>;
    expect(rec).toMatchObject({ ok: false, status: null, attempts: 2 });
    expect(rec.contentType).toBeUndefined();
    expect(rec.sha256).toBeUndefined();
    expect(rec.warc).toBeUndefined();
  });

  it('a redirect hop that failed does not keep the 3xx\'s fields', async () => {
    const dir = tempDir();
    const r = await runCli(['-q', '-r', '0', '--depth', '1', '--warc', join(dir, 'o.warc'), tempList([`${base}/redirect-then-reset/1`])]);
    expect(r.code).toBe(0);
    const rec = r.records.find((x) => x.line === 1)! as unknown as Record<string, unknown>;
    expect(rec).toMatchObject({ ok: false, status: null, redirects: 1 });
    expect(rec.contentType).toBeUndefined();
    expect(rec.sha256).toBeUndefined();
  });
});
