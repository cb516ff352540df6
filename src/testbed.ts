// The loopback server that `sweep serve`, `npm start`, `sweep bench` and the tests crawl.
// Routes are scripted behaviours; the server counts connections and requests in flight, so
// tests can assert keep-alive reuse and the concurrency the server really saw.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
  /big/<bytes>/<n>             200 with a body of <bytes> bytes, streamed`;

function send(res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function num(s: string | undefined, fallback: number): number {
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function createTestbedHandler(counters: TestbedCounters, hanging: Set<ServerResponse>) {
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
      default:
        send(res, 404, `not found; ${ROUTES}\n`);
    }
  };
}

export function newCounters(): TestbedCounters {
  return { connections: 0, requests: 0, inFlight: 0, maxInFlight: 0, hits: new Map(), arrivals: new Map() };
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
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}
