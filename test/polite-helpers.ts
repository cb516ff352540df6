// Small loopback servers for the politeness tests: each is its own origin (its own port), and
// records what it saw (arrival times per path, requests in flight) so tests assert at the server.

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface Recorder {
  readonly url: string;
  readonly port: number;
  /** Arrival time (performance.now()) and path of every request, in order. */
  readonly arrivals: { path: string; at: number }[];
  maxInFlight: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const page: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
  res.end('ok\n');
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** A server whose every request is recorded; `handler` answers (default: 200 "ok"). */
export async function startRecorder(handler: Handler = page): Promise<Recorder> {
  const sockets = new Set<Socket>();
  let inFlight = 0;
  const rec = {
    arrivals: [] as { path: string; at: number }[],
    maxInFlight: 0,
  };
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    rec.arrivals.push({ path: req.url ?? '/', at: performance.now() });
    inFlight++;
    if (inFlight > rec.maxInFlight) rec.maxInFlight = inFlight;
    res.once('close', () => inFlight--);
    handler(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  return Object.assign(rec, { url: `http://127.0.0.1:${port}`, port, close: closer(server, sockets) });
}

export interface LoopbackProxy {
  readonly url: string;
  /** "host:port" of every CONNECT tunnel and absolute-form request that went through. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** A tiny HTTP forward proxy: CONNECT tunnels and absolute-form requests, counted. */
export async function startProxy(): Promise<LoopbackProxy> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const server = createServer((req, res) => {
    // Absolute-form: GET http://host:port/path HTTP/1.1
    const target = new URL(req.url ?? '');
    seen.push(target.host);
    const path = target.pathname + target.search;
    const upstream = httpRequest({ host: target.hostname, port: target.port, path, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const drop = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', drop);
    client.on('error', drop);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: closer(server, sockets) };
}
