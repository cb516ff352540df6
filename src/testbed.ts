// The loopback server that `sweep serve`, `npm start`, `sweep bench` and the tests crawl.
// Routes are scripted behaviours; the server counts connections and requests in flight, so
// tests can assert keep-alive reuse and the concurrency the server really saw.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sitePage } from './site.js';

export const PAGE_BODY = Buffer.from(
  '<!doctype html><html><head><title>sweep testbed</title></head><body>' +
    '<p>This page is served by the sweep testbed on loopback. It is a fixed body of about ' +
    'four hundred and forty bytes so throughput figures compare across runs and machines, ' +
    'and so that each request moves a realistic small page.</p>' +
    '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>' +
    '</body></html>\n',
);

export interface TestbedCounters {
  connections: number;
  requests: number;
  inFlight: number;
  maxInFlight: number;
  /** Hits per path, for flaky/retry-after routes and redirect checks. */
  hits: Map<string, number>;
  /** Arrival times (ms, performance.now()) per path, for Retry-After checks. */
  arrivals: Map<string, number[]>;
  /** /big responses the client dropped before the last byte (the socket closed early). */
  closedEarly: number;
}

export interface Testbed {
  readonly url: string;
  readonly port: number;
  readonly counters: TestbedCounters;
  resetCounters(): void;
  close(): Promise<void>;
}

export const ROUTES = `Routes (every path segment after the route name is free, e.g. a counter to make URLs distinct):
  /p/<n>                       200, a fixed ~440-byte page
  /delay/<ms>/<n>              200 after <ms> milliseconds
  /flaky/<k>/<id>              503 for the first <k> requests of this path, then 200
  /retry-after/<s>/<id>        429 with Retry-After: <s> on the first request, then 200
  /status/<code>/<n>           that status, small body
  /redirect/<k>/<n>            a chain of <k> 302s ending at a 200
  /loop/<n>                    302 to itself, forever
  /hang/<n>                    accepts the request and never answers
  /big/<bytes>/<n>             200 with a body of <bytes> bytes, streamed
  /site/<n>/                   a generated site of n linked pages (p0.html ... p<n-1>.html), gzip
                               when asked: try  echo URL/site/100/ | sweep --depth 10
  /site/<n>x<k>/               the same with k links a page (at most 10,000)
Faults:
  /reset/<n>                   the connection is reset (RST) before any response byte
  /reset-body/<n>              headers and 4 KiB of a 100 KiB body, then a reset
  /trickle/<n>                 a 100-byte body, one byte every 100 ms
  /short/<n>                   Content-Length 1000, 100 bytes sent, then the connection ends
  /bad-chunked/<n>             chunked encoding with an invalid chunk size
  /redirect-scheme/<n>         302 to an ftp: URL
  /close-alt/<n>               every other response carries Connection: close
  /idle-close/<ms>/<n>         200; the server closes the socket once it is idle for <ms> ms
  /big-headers/<bytes>/<n>     200 with a response header of <bytes> bytes
  /chaos/<n>                   random: 5% reset, 2% hang, 5% 503, else 200 (for the soak)`;

function send(res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function num(s: string | undefined, fallback: number): number {
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function createTestbedHandler(counters: TestbedCounters, hanging: Set<ServerResponse>) {
  // Requests being answered per socket, for /idle-close (which closes only idle sockets).
  const busy = new WeakMap<Socket, number>();
  let alternate = 0;
  const hang = (res: ServerResponse): void => {
    hanging.add(res);
    res.once('close', () => hanging.delete(res));
  };
  const countHit = (path: string): number => {
    const n = (counters.hits.get(path) ?? 0) + 1;
    counters.hits.set(path, n);
    return n;
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    counters.requests++;
    counters.inFlight++;
    if (counters.inFlight > counters.maxInFlight) counters.maxInFlight = counters.inFlight;
    res.once('close', () => counters.inFlight--);
    const path = req.url ?? '/';
    const parts = path.split('?')[0]!.split('/');
    const route = parts[1];
    switch (route) {
      case 'p':
        send(res, 200, PAGE_BODY);
        return;
      case 'delay': {
        const timer = setTimeout(() => send(res, 200, PAGE_BODY), num(parts[2], 0));
        res.once('close', () => clearTimeout(timer));
        return;
      }
      case 'flaky': {
        const n = countHit(path);
        if (n <= num(parts[2], 1)) send(res, 503, 'try again\n');
        else send(res, 200, PAGE_BODY);
        return;
      }
      case 'retry-after': {
        const n = countHit(path);
        const list = counters.arrivals.get(path) ?? [];
        list.push(performance.now());
        counters.arrivals.set(path, list);
        if (n === 1) send(res, 429, 'slow down\n', { 'retry-after': String(num(parts[2], 1)) });
        else send(res, 200, PAGE_BODY);
        return;
      }
      case 'status':
        send(res, num(parts[2], 200), `status ${parts[2]}\n`);
        return;
      case 'site': {
        // /site/<n>/ and /site/<n>/p<i>.html: a generated n-page site (src/site.ts), gzipped
        // when the client asks for it.
        // <n>x<fanout> (e.g. 10000000x10000) makes pages with that many links: frontier tests.
        const [nText, fanText] = (parts[2] ?? '').split('x');
        const n = Math.min(num(nText, 100), 100_000_000);
        const fanout = Math.min(num(fanText, 20), 10_000);
        const page = parts[3] === '' || parts[3] === undefined ? 0 : /^p(\d+)\.html$/.exec(parts[3])?.[1];
        const i = page === undefined ? NaN : Number(page);
        if (!(i >= 0 && i < n) || parts.length > 4) {
          send(res, 404, 'no such page\n');
          return;
        }
        const html = Buffer.from(sitePage(i, n, 2048, fanout));
        if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
          send(res, 200, gzipSync(html), { 'content-encoding': 'gzip', vary: 'accept-encoding' });
        } else send(res, 200, html);
        return;
      }
      case 'redirect': {
        countHit(path);
        const k = num(parts[2], 1);
        const rest = parts.slice(3).join('/');
        send(res, 302, '', { location: k <= 1 ? `/p/${rest}` : `/redirect/${k - 1}/${rest}` });
        return;
      }
      case 'loop':
        countHit(path);
        send(res, 302, '', { location: path });
        return;
      case 'hang':
        hanging.add(res);
        res.once('close', () => hanging.delete(res));
        return;
      case 'big': {
        const total = num(parts[2], 0);
        res.once('close', () => {
          if (!res.writableFinished) counters.closedEarly++;
        });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            const n = Math.min(chunk.length, total - sent);
            sent += n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'reset-body':
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': 100 * 1024 });
        res.write(Buffer.alloc(4096, 120), () => req.socket.resetAndDestroy());
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
        let sent = 0;
        const timer = setInterval(() => {
          res.write('x');
          if (++sent === 100) {
            clearInterval(timer);
            res.end();
          }
        }, 100);
        res.once('close', () => clearInterval(timer));
        return;
      }
      case 'short':
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': 1000 });
        res.write(Buffer.alloc(100, 120), () => req.socket.end());
        return;
      case 'bad-chunked':
        // Written on the socket itself: node's response writer cannot produce broken framing.
        req.socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
        return;
      case 'redirect-scheme':
        countHit(path);
        send(res, 302, '', { location: 'ftp://127.0.0.1/file' });
        return;
      case 'close-alt':
        send(res, 200, PAGE_BODY, alternate++ % 2 === 0 ? { connection: 'close' } : {});
        return;
      case 'idle-close': {
        const socket = req.socket;
        busy.set(socket, (busy.get(socket) ?? 0) + 1);
        const idleMs = num(parts[2], 0);
        res.once('finish', () => {
          busy.set(socket, busy.get(socket)! - 1);
          setTimeout(() => {
            if (busy.get(socket) === 0) socket.destroy();
          }, idleMs);
        });
        send(res, 200, PAGE_BODY);
        return;
      }
      case 'big-headers':
        send(res, 200, PAGE_BODY, { 'x-filler': 'f'.repeat(num(parts[2], 0)) });
        return;
      case 'chaos': {
        const dice = Math.random();
        if (dice < 0.05) req.socket.resetAndDestroy();
        else if (dice < 0.07) hang(res);
        else if (dice < 0.12) send(res, 503, 'try again\n');
        else send(res, 200, PAGE_BODY);
        return;
      }
      default:
        send(res, 404, `not found; ${ROUTES}\n`);
    }
  };
}

export function newCounters(): TestbedCounters {
  return { connections: 0, requests: 0, inFlight: 0, maxInFlight: 0, hits: new Map(), arrivals: new Map(), closedEarly: 0 };
}

export async function startTestbed(options: { port?: number; host?: string } = {}): Promise<Testbed> {
  const counters = newCounters();
  const hanging = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, createTestbedHandler(counters, hanging));
  server.on('connection', (socket: Socket) => {
    counters.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    counters,
    resetCounters() {
      const fresh = newCounters();
      counters.connections = fresh.connections;
      counters.requests = fresh.requests;
      counters.maxInFlight = counters.inFlight;
      counters.hits.clear();
      counters.arrivals.clear();
      counters.closedEarly = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}
