// Network options through the real CLI: a loopback forward proxy that counts what went
// through it (--proxy, HTTP_PROXY / NO_PROXY), and a TLS server with a self-signed CA
// (--cacert) that can speak HTTP/2 (--http2).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';
import { startProxy, type LoopbackProxy } from './polite-helpers.js';

let tb: Testbed;
let proxy: LoopbackProxy;
beforeAll(async () => {
  [tb, proxy] = await Promise.all([startTestbed(), startProxy()]);
});
afterAll(async () => {
  await Promise.all([tb.close(), proxy.close()]);
});
beforeEach(() => {
  tb.resetCounters();
  proxy.seen.length = 0;
});

const host = (): string => new URL(tb.url).host;
// The child must not inherit proxy settings from whoever runs the tests.
const NO_ENV_PROXY = { HTTP_PROXY: '', http_proxy: '', HTTPS_PROXY: '', https_proxy: '', NO_PROXY: '', no_proxy: '' };

describe('proxies', () => {
  it('--proxy sends every request through the proxy', async () => {
    const list = tempList(Array.from({ length: 10 }, (_, i) => `${tb.url}/p/${i}`));
    const r = await runCli(['-q', '-c', '2', '--proxy', proxy.url, list], { env: NO_ENV_PROXY });
    expect(r.records.filter((x) => x.ok)).toHaveLength(10);
    expect(tb.counters.requests).toBe(10);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen)).toEqual(new Set([host()]));
  });

  it('HTTP_PROXY is honoured without any option, and NO_PROXY bypasses it', async () => {
    const list = tempList([`${tb.url}/p/1`, `${tb.url}/p/2`]);
    // Both spellings are set: an empty lower-case variable would win over the upper-case one.
    const via = await runCli(['-q', list], { env: { ...NO_ENV_PROXY, HTTP_PROXY: proxy.url, http_proxy: proxy.url } });
    expect(via.records.filter((x) => x.ok)).toHaveLength(2);
    expect(proxy.seen).toContain(host());
    proxy.seen.length = 0;
    const bypass = await runCli(['-q', list], {
      env: { ...NO_ENV_PROXY, HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
    });
    expect(bypass.records.filter((x) => x.ok)).toHaveLength(2);
    expect(proxy.seen).toEqual([]);
  });

  // The server closes each socket as soon as it is idle, and the proxy then closes its side of
  // the tunnel: sweep keeps writing requests on tunnels that are being closed under it. As on
  // the direct path (faults.test.ts), such a request is re-sent at once, within its attempt.
  const idleClose = (n: number) => tempList(Array.from({ length: n }, (_, i) => `${tb.url}/idle-close/${i % 3}/${i}`));
  it('--proxy: tunnels closed under a request are re-sent transparently: no failure, no extra attempt', async () => {
    const r = await runCli(['-q', '-c', '8', '--retry-delay', '1', '--proxy', proxy.url, idleClose(600)], { env: NO_ENV_PROXY });
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(600);
    expect(r.records.filter((x) => !x.ok || x.attempts !== 1)).toEqual([]);
    expect(tb.counters.connections).toBeGreaterThan(50);
  });

  it('HTTP_PROXY: the same', async () => {
    const env = { ...NO_ENV_PROXY, HTTP_PROXY: proxy.url, http_proxy: proxy.url };
    const r = await runCli(['-q', '-c', '8', '--retry-delay', '1', idleClose(600)], { env });
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(600);
    expect(r.records.filter((x) => !x.ok || x.attempts !== 1)).toEqual([]);
  });

  it('without a proxy nothing goes through it', async () => {
    const r = await runCli(['-q', tempList([`${tb.url}/p/1`])], { env: NO_ENV_PROXY });
    expect(r.records[0]!.ok).toBe(true);
    expect(proxy.seen).toEqual([]);
  });
});

describe('TLS: --cacert and --http2', () => {
  let server: Http2SecureServer;
  let base: string;
  let caFile: string;
  const versions: string[] = [];
  beforeAll(async () => {
    const dir = tempDir();
    caFile = join(dir, 'ca.pem');
    const keyFile = join(dir, 'key.pem');
    // A self-signed certificate for 127.0.0.1: its own CA.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', caFile,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    server = createSecureServer({ key: readFileSync(keyFile), cert: readFileSync(caFile), allowHTTP1: true }, (req, res) => {
      versions.push(req.httpVersion);
      res.end('secure\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    versions.length = 0;
  });

  it('an internal CA is refused by default and trusted with --cacert', async () => {
    const list = tempList([`${base}/a`]);
    const plain = await runCli(['-q', '-r', '0', list], { env: NO_ENV_PROXY });
    expect(plain.records[0]).toMatchObject({ ok: false, error: { code: 'tls' } });
    const trusted = await runCli(['-q', '--cacert', caFile, list], { env: NO_ENV_PROXY });
    expect(trusted.records[0]).toMatchObject({ ok: true, status: 200 });
    expect(versions).toEqual(['1.1']);
  });

  it('--http2 lets the server speak HTTP/2', async () => {
    const r = await runCli(['-q', '--cacert', caFile, '--http2', tempList([`${base}/a`, `${base}/b`])], { env: NO_ENV_PROXY });
    expect(r.records.filter((x) => x.ok)).toHaveLength(2);
    expect(versions).toEqual(['2.0', '2.0']);
  });

  it('--http2 for an origin NO_PROXY exempts from HTTPS_PROXY: still HTTP/2', async () => {
    const env = { ...NO_ENV_PROXY, HTTPS_PROXY: proxy.url, https_proxy: proxy.url, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' };
    const r = await runCli(['-q', '--cacert', caFile, '--http2', tempList([`${base}/a`, `${base}/b`])], { env });
    expect(r.records.filter((x) => x.ok)).toHaveLength(2);
    expect(versions).toEqual(['2.0', '2.0']);
    expect(proxy.seen).toEqual([]);
  });

  it('https through --proxy: a CONNECT tunnel, the CA still checked end to end', async () => {
    const r = await runCli(['-q', '--cacert', caFile, '--proxy', proxy.url, tempList([`${base}/a`])], { env: NO_ENV_PROXY });
    expect(r.records[0]).toMatchObject({ ok: true, status: 200 });
    expect(proxy.seen).toEqual([new URL(base).host]);
  });
});
