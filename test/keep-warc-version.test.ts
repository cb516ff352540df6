// A WARC response record keeps the status line as received, its HTTP version included: an
// HTTP/1.0 server's answer is stored as HTTP/1.0 (it was written as HTTP/1.1 before: undici does
// not pass the version on; sweep's dispatcher reads it from llhttp at the head).

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempDir, tempList } from './helpers.js';
import { checkDigests, readWarc, splitHttp } from './keep-warc-reader.js';

let server: Server;
let base = '';

beforeAll(async () => {
  // A raw server: /old answers in HTTP/1.0 (and closes), anything else in HTTP/1.1.
  server = createServer((socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1];
      head = '';
      if (path === '/old') socket.end('HTTP/1.0 200 Fine\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nold');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nnew');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('an HTTP/1.0 response is stored with its HTTP/1.0 status line, an HTTP/1.1 one with its own', async () => {
  const path = join(tempDir(), 'o.warc');
  const r = await runCli(['-q', '-c', '1', '--warc', path, tempList([`${base}/old`, `${base}/new`])]);
  expect(r.code).toBe(0);
  expect(r.records.filter((x) => x.ok)).toHaveLength(2);
  const responses = readWarc(readFileSync(path), false).filter((x) => x.headers.get('warc-type') === 'response');
  const statusLines = new Map(responses.map((x) => [x.headers.get('warc-target-uri'), splitHttp(x.block).lines[0]]));
  expect(statusLines.get(`${base}/old`)).toBe('HTTP/1.0 200 Fine');
  expect(statusLines.get(`${base}/new`)).toBe('HTTP/1.1 200 OK');
  for (const x of responses) checkDigests(x);
});
