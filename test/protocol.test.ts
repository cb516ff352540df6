// Responses that break HTTP/1.1, written byte for byte by a raw TCP server (node:net, not an HTTP
// library that would refuse to send them): each is a `protocol` record, after one attempt (the
// server would answer the same again), and sweep exits 0. A body cut short is not a protocol
// fault but a broken connection: `connection_reset`, retried.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

/** What the server writes for each path, then it closes the connection. */
const RESPONSES: Record<string, string> = {
  '/bad-status-line': 'HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n',
  '/not-http': 'hello there\r\n\r\n',
  '/bad-chunk-size': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  // undici's limit is Node's --max-http-header-size, 16 KiB by default.
  '/big-headers': 'HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(40_000) + '\r\nContent-Length: 0\r\n\r\n',
  '/bad-header-token': 'HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n',
  '/unasked-upgrade': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  '/short-body-close': 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nhello',
  '/short-chunked-close': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhel',
  '/head-cut-short': 'HTTP/1.1 200 OK\r\nContent-Len',
};

let server: Server;
let base = '';
const requests = new Map<string, number>();

beforeAll(async () => {
  server = createServer((socket: Socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1] ?? '';
      head = '';
      requests.set(path, (requests.get(path) ?? 0) + 1);
      socket.end(RESPONSES[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => requests.clear());

describe('responses that break HTTP', () => {
  const broken: [string, string, RegExp][] = [
    ['a malformed status line', '/bad-status-line', /Invalid status code/],
    ['a response that is not HTTP at all', '/not-http', /Expected HTTP\//],
    ['an invalid chunk size', '/bad-chunk-size', /chunk size/],
    ["response headers over undici's limit", '/big-headers', /Headers Overflow/],
    ['a header name with a space', '/bad-header-token', /header token/],
  ];

  it('each is a protocol record after one attempt, not retried, and the run exits 0', async () => {
    const lines = broken.map(([, path]) => `${base}${path}`).join('\n') + '\n';
    const r = await runCli(['-q', '-c', '1', '-r', '2', '--retry-delay', '1'], { stdin: lines });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const byLine = r.records.sort((a, b) => a.line - b.line);
    expect(byLine).toHaveLength(broken.length);
    broken.forEach(([what, path, message], i) => {
      const rec = byLine[i]!;
      expect(rec, what).toMatchObject({ ok: false, attempts: 1, error: { code: 'protocol' } });
      expect(rec.error!.message, what).toMatch(message);
      expect(requests.get(path), what).toBe(1);
    });
  });

  it('a 101 Switching Protocols nobody asked for is protocol, in one attempt', async () => {
    const r = await runCli(['-q', '-r', '2', '--retry-delay', '1'], { stdin: `${base}/unasked-upgrade\n` });
    expect(r.code).toBe(0);
    expect(r.records[0]).toMatchObject({ ok: false, status: null, attempts: 1, error: { code: 'protocol', message: 'bad upgrade' } });
    // Not retried, but the server sees up to 4 requests: undici reports this as a SocketError
    // (UND_ERR_SOCKET) after bytes came in on the socket, which keepalive.ts takes for a stale
    // keep-alive socket and re-sends at once, up to 3 times, within the attempt.
    expect(requests.get('/unasked-upgrade')).toBeLessThanOrEqual(4);
  });

  it('a fresh connection whose first response breaks off mid-head is not taken for a stale keep-alive socket: one request per attempt', async () => {
    const r = await runCli(['-q', '-r', '1', '--retry-delay', '1'], { stdin: `${base}/head-cut-short\n` });
    expect(r.code).toBe(0);
    expect(r.records[0]).toMatchObject({ ok: false, status: null, attempts: 2 });
    // Re-sent silently as "stale" before: 4 requests an attempt, 8 for these 2 attempts.
    expect(requests.get('/head-cut-short')).toBe(2);
  });

  it('a body cut short is connection_reset and retried, with Content-Length or chunked', async () => {
    const r = await runCli(['-q', '-r', '1', '--retry-delay', '1'], { stdin: `${base}/short-body-close\n${base}/short-chunked-close\n` });
    expect(r.code).toBe(0);
    const [cl, chunked] = r.records.sort((a, b) => a.line - b.line);
    expect(cl).toMatchObject({ ok: false, status: 200, bytes: 5, attempts: 2, error: { code: 'connection_reset' } });
    expect(chunked).toMatchObject({ ok: false, status: 200, bytes: 3, attempts: 2, error: { code: 'connection_reset' } });
    expect(requests.get('/short-body-close')).toBe(2);
    expect(requests.get('/short-chunked-close')).toBe(2);
  });
});
