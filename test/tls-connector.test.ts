// TLS through the real CLI (net/tls-connector.ts): one SecureContext per run on every path, and
// a host's TLS session resumed by its next connection, for an IP literal (no SNI) and for a name.
// The server closes every connection after its answer, so each request opens a new one. A
// preload (tls-preload.cjs) forces a full garbage collection after every session the client
// receives, the case where undici's weakly held session cache lost them, and counts SecureContexts.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir, tempList, type RunResult } from './helpers.js';
import { startProxy, type LoopbackProxy } from './polite-helpers.js';

const PRELOAD = fileURLToPath(new URL('./tls-preload.cjs', import.meta.url));
// The child must not inherit proxy settings from whoever runs the tests.
const ENV = { NODE_OPTIONS: `--require ${PRELOAD}`, HTTP_PROXY: '', http_proxy: '', HTTPS_PROXY: '', https_proxy: '', NO_PROXY: '', no_proxy: '' };

let server: Server;
let proxy: LoopbackProxy;
let port: number;
let caFile: string;
/** One entry per TLS connection the server accepted: resumed or full, and the SNI it carried. */
const handshakes: { resumed: boolean; servername: string | false }[] = [];

beforeAll(async () => {
  const dir = tempDir();
  caFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  // A self-signed certificate (its own CA) for both an IP literal and a name.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', caFile,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (_req, res) => {
    res.writeHead(200, { connection: 'close', 'content-length': 3 });
    res.end('ok\n');
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    handshakes.push({ resumed: socket.isSessionReused(), servername: (socket as TLSSocket & { servername: string | false }).servername });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
  proxy = await startProxy();
});
afterAll(async () => {
  await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), proxy.close()]);
});
beforeEach(() => {
  handshakes.length = 0;
});

const urls = (host: string, n: number): string => tempList(Array.from({ length: n }, (_, i) => `https://${host}:${port}/p/${i}`));

function preload(r: RunResult): { contexts: number; connects: number } {
  const line = r.stderr.split('\n').find((l) => l.startsWith('tls-preload '));
  expect(line, r.stderr).toBeDefined();
  return JSON.parse(line!.slice('tls-preload '.length)) as { contexts: number; connects: number };
}

describe('TLS sessions across connections to one host', () => {
  it('an IP literal (no SNI): every connection after the first resumes, --insecure', async () => {
    const r = await runCli(['-q', '-c', '1', '--insecure', urls('127.0.0.1', 6)], { env: ENV });
    expect(r.records.filter((x) => x.ok)).toHaveLength(6);
    expect(handshakes).toHaveLength(6);
    expect(handshakes.map((h) => h.resumed)).toEqual([false, true, true, true, true, true]);
    expect(handshakes.every((h) => h.servername === false)).toBe(true);
  });

  it('a name (SNI): every connection after the first resumes, --cacert', async () => {
    const r = await runCli(['-q', '-c', '1', '--cacert', caFile, urls('localhost', 6)], { env: ENV });
    expect(r.records.filter((x) => x.ok)).toHaveLength(6);
    expect(handshakes.map((h) => h.resumed)).toEqual([false, true, true, true, true, true]);
    expect(handshakes.every((h) => h.servername === 'localhost')).toBe(true);
  });
});

describe('one SecureContext per run', () => {
  it.each([
    ['the plain Agent', ['--insecure']],
    ['--cacert', ['--cacert', '<ca>']],
    ['--cacert --http2', ['--cacert', '<ca>', '--http2']],
    ['--cacert through --proxy', ['--cacert', '<ca>', '--proxy', '<proxy>']],
  ])('%s: one context for all connections', async (_name, options) => {
    const args = options.map((a) => (a === '<ca>' ? caFile : a === '<proxy>' ? proxy.url : a));
    const r = await runCli(['-q', '-c', '2', ...args, urls('127.0.0.1', 4)], { env: ENV });
    expect(r.records.filter((x) => x.ok)).toHaveLength(4);
    const counted = preload(r);
    expect(counted.connects).toBeGreaterThanOrEqual(2);
    expect(counted.contexts).toBe(1);
  });
});

describe('--cacert through sweep own dispatcher', () => {
  it('an internal-CA crawl with --warc writes the address each connection went to', async () => {
    const warc = join(tempDir(), 'out.warc');
    const r = await runCli(['-q', '-c', '2', '--cacert', caFile, '--warc', warc, urls('localhost', 3)], { env: ENV });
    expect(r.records.filter((x) => x.ok)).toHaveLength(3);
    const text = readFileSync(warc, 'latin1');
    // One request and one response record per URL, each with the connection's address.
    expect(text.match(/^WARC-Type: (request|response)\r$/gm)).toHaveLength(6);
    expect(text.match(/^WARC-IP-Address: 127\.0\.0\.1\r$/gm)).toHaveLength(6);
  });
});
