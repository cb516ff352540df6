// OriginDispatcher (src/net/origin-dispatcher.ts) against real loopback servers: the free list,
// the per-origin limit, sockets closed by the server, close() and destroy().

import { once } from 'node:events';
import { setImmediate as turn } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toErrorCode } from '../src/errors.js';
import { OriginDispatcher } from '../src/net/origin-dispatcher.js';
import { kPeer, type Peer } from '../src/net/peer.js';
import { buildConnector } from '../src/undici-core.js';

interface Outcome {
  status: number | null;
  body: string;
  error: (Error & { code?: string }) | null;
}

/** One GET through the dispatcher with a legacy handler, as the fetcher sends it. */
function get(d: OriginDispatcher, origin: string, path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { status: null, body: '', error: null };
    d.dispatch({ origin, path, method: 'GET', headers: {} }, {
      onConnect() {},
      onHeaders(status: number) {
        out.status = status;
        return true;
      },
      onData(chunk: Buffer) {
        out.body += chunk.toString();
        return true;
      },
      onComplete() {
        resolve(out);
      },
      onError(err: Error) {
        out.error = err;
        resolve(out);
      },
    } as never);
  });
}

function plainHandler() {
  return {
    onConnect() {},
    onHeaders: () => true,
    onData: () => true,
    onComplete() {},
    onError() {},
  };
}

/**
 * undici frees a keep-alive connection one event-loop turn after its response completed (it waits
 * for a close the server may have sent right behind the response): only then is it idle.
 */
async function getThenIdle(d: OriginDispatcher, origin: string, path: string): Promise<Outcome> {
  const outcome = await get(d, origin, path);
  await turn();
  return outcome;
}

/** A server that counts connections and requests per socket, and can hold answers back. */
class Counting {
  readonly server: Server;
  connections = 0;
  /** Most requests one socket had unanswered at once (1: never a second request on a busy one). */
  maxInFlightPerSocket = 0;
  hold = false;
  readonly held: ServerResponse[] = [];
  readonly arrived: { path: string; socket: Socket }[] = [];
  #arrivals: (() => void)[] = [];
  readonly #inFlight = new Map<Socket, number>();

  constructor(onRequest?: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer((req, res) => {
      const n = (this.#inFlight.get(req.socket) ?? 0) + 1;
      this.#inFlight.set(req.socket, n);
      this.maxInFlightPerSocket = Math.max(this.maxInFlightPerSocket, n);
      res.on('finish', () => this.#inFlight.set(req.socket, this.#inFlight.get(req.socket)! - 1));
      this.arrived.push({ path: req.url!, socket: req.socket });
      for (const wake of this.#arrivals.splice(0)) wake();
      if (onRequest !== undefined) onRequest(req, res);
      else if (this.hold) this.held.push(res);
      else res.end(`answer ${req.url}`);
    });
    this.server.on('connection', () => this.connections++);
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` requests in all have arrived. */
  async arrivedCount(n: number): Promise<void> {
    while (this.arrived.length < n) await new Promise<void>((resolve) => this.#arrivals.push(resolve));
  }

  release(): void {
    for (const res of this.held.splice(0)) res.end('released');
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

const clientOptions = { keepAliveTimeout: 10_000, headersTimeout: 10_000, bodyTimeout: 10_000 };
const servers: Counting[] = [];
const dispatchers: OriginDispatcher[] = [];

/** reuseWaitMs defaults to an hour here: a test that wants the wait to end says so. */
function dispatcher(connections: number, maxIdle = 100, reuseWaitMs = 3_600_000): OriginDispatcher {
  const d = new OriginDispatcher({ connections, maxIdle, reuseWaitMs, client: clientOptions });
  dispatchers.push(d);
  return d;
}

async function server(onRequest?: (req: IncomingMessage, res: ServerResponse) => void): Promise<[Counting, string]> {
  const s = new Counting(onRequest);
  servers.push(s);
  return [s, await s.listen()];
}

/** Lets the server answer again, ends what it held, and waits for the statuses of `answers`. */
async function releaseAndWait(s: Counting, answers: Promise<Outcome>[]): Promise<(number | null)[]> {
  s.hold = false;
  s.release();
  return (await Promise.all(answers)).map((o) => o.status);
}

/**
 * A request held by the server, a second one waiting for its connection: at the limit with one
 * connection allowed, waiting for reuse with more.
 */
async function oneRunningOneWaiting(connections = 1) {
  const d = dispatcher(connections);
  const [s, origin] = await server();
  s.hold = true;
  const running = get(d, origin, '/running');
  const waiting = get(d, origin, '/waiting');
  await s.arrivedCount(1);
  return { d, s, origin, running, waiting };
}

afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('OriginDispatcher', () => {
  it('reuses one idle connection for requests one after another, and keeps it on the free list', async () => {
    const d = dispatcher(8);
    const [s, origin] = await server();
    for (let i = 0; i < 5; i++) expect(await getThenIdle(d, origin, `/p/${i}`)).toMatchObject({ status: 200, body: `answer /p/${i}`, error: null });
    expect(s.connections).toBe(1);
    expect(d.idle(origin)).toBe(1);
    expect(d.connections).toBe(1);
  });

  it('never sends a request on a busy connection, and opens at most `connections` per origin', async () => {
    const d = dispatcher(3);
    const [s, origin] = await server();
    s.hold = true;
    const answers = [0, 1, 2, 3, 4].map((i) => get(d, origin, `/p/${i}`));
    await s.arrivedCount(3);
    // Two wait in the dispatcher: nothing more reaches the server until an answer frees a connection.
    expect(s.connections).toBe(3);
    expect(d.connections).toBe(3);
    expect(await releaseAndWait(s, answers)).toEqual([200, 200, 200, 200, 200]);
    expect(s.arrived.map((a) => a.path).slice(3).sort()).toEqual(['/p/3', '/p/4']);
    expect(s.connections).toBe(3);
    expect(s.maxInFlightPerSocket).toBe(1);
  });

  it('keeps origins apart: each has its own connections and limit', async () => {
    const d = dispatcher(1);
    const [a, originA] = await server();
    const [b, originB] = await server();
    a.hold = true;
    const heldA = get(d, originA, '/a');
    await a.arrivedCount(1);
    // Origin A is at its limit; origin B is not held up by it.
    expect(await get(d, originB, '/b')).toMatchObject({ status: 200, error: null });
    expect(b.connections).toBe(1);
    a.release();
    expect(await heldA).toMatchObject({ status: 200, body: 'released' });
  });

  it('drops a connection the server closed while it was idle, and opens a new one for the next request', async () => {
    const d = dispatcher(4);
    const [s, origin] = await server();
    expect(await getThenIdle(d, origin, '/1')).toMatchObject({ status: 200 });
    expect(d.idle(origin)).toBe(1);
    const gone = once(d, 'disconnect');
    s.arrived[0]!.socket.destroy();
    await gone;
    expect(d.idle(origin)).toBe(0);
    expect(d.connections).toBe(0);
    expect(await get(d, origin, '/2')).toMatchObject({ status: 200, error: null });
    expect(s.connections).toBe(2);
    expect(d.connections).toBe(1);
  });

  it('drops a connection whose socket closed under its request; the request fails, the next one gets a new socket', async () => {
    const d = dispatcher(1);
    let first = true;
    const [s, origin] = await server((req, res) => {
      if (first) {
        first = false;
        req.socket.destroy();
      } else res.end('fine');
    });
    const failed = await get(d, origin, '/reset');
    expect(failed.error).not.toBeNull();
    expect(toErrorCode(failed.error)).toBe('connection_reset');
    expect(await get(d, origin, '/again')).toMatchObject({ status: 200, body: 'fine' });
    expect(s.connections).toBe(2);
    expect(d.connections).toBe(1);
  });

  it('keeps at most maxIdle idle connections across origins, closing the one idle longest', async () => {
    const d = dispatcher(4, 1);
    const [a, originA] = await server();
    const [b, originB] = await server();
    await getThenIdle(d, originA, '/a1');
    expect(d.idle(originA)).toBe(1);
    await getThenIdle(d, originB, '/b1');
    expect([d.idle(originA), d.idle(originB), d.idleConnections, d.connections]).toEqual([0, 1, 1, 1]);
    await getThenIdle(d, originB, '/b2');
    await getThenIdle(d, originA, '/a2');
    expect([b.connections, a.connections]).toEqual([1, 2]);
  });

  it('a free list stays whole when a connection in its middle closes', async () => {
    const d = dispatcher(3);
    const [s, origin] = await server();
    s.hold = true;
    // Three connections: the first request to find the connections busy waits, the next opens one.
    const four = [0, 1, 2, 3].map((i) => get(d, origin, `/${i}`));
    await s.arrivedCount(3);
    s.hold = false;
    s.release();
    await Promise.all(four);
    await turn();
    expect(d.idle(origin)).toBe(3);
    const gone = once(d, 'disconnect');
    s.arrived[1]!.socket.destroy();
    await gone;
    expect([d.idle(origin), d.idleConnections, d.connections]).toEqual([2, 2, 2]);
    s.hold = true;
    const two = [4, 5].map((i) => get(d, origin, `/${i}`));
    await s.arrivedCount(6);
    // Both went on the two idle connections: no new one was opened.
    expect(s.connections).toBe(3);
    expect(await releaseAndWait(s, two)).toEqual([200, 200]);
  });

  it('a request undici refuses (a header value with a line break) fails alone and frees its connection', async () => {
    const d = dispatcher(1);
    const [, origin] = await server();
    const refused = await new Promise<Error>((resolve) => {
      d.dispatch({ origin, path: '/bad', method: 'GET', headers: { 'x-bad': 'a\r\nb' } }, { onError: resolve } as never);
    });
    expect((refused as Error & { code?: string }).code).toBe('UND_ERR_INVALID_ARG');
    // With one connection allowed, a lost slot would leave this request waiting for ever.
    expect(await get(d, origin, '/good')).toMatchObject({ status: 200, error: null });
    expect(d.connections).toBe(1);
  });

  it('close() refuses new requests and resolves only after running and waiting ones have ended', async () => {
    const { d, s, origin, running, waiting } = await oneRunningOneWaiting();
    let closed = false;
    const closing = d.close().then(() => (closed = true));
    const refused = await get(d, origin, '/late');
    expect(refused.error?.code).toBe('UND_ERR_CLOSED');
    expect(closed).toBe(false);
    s.release();
    await s.arrivedCount(2);
    expect(closed).toBe(false);
    s.release();
    await closing;
    expect(await running).toMatchObject({ status: 200, body: 'released' });
    expect(await waiting).toMatchObject({ status: 200, body: 'released' });
  });

  it('destroy() fails running and waiting requests at once with an error that maps to a record code', async () => {
    const { d, s, origin, running, waiting } = await oneRunningOneWaiting();
    await d.destroy();
    for (const outcome of [await running, await waiting]) {
      expect(outcome.error?.code).toBe('UND_ERR_DESTROYED');
      expect(toErrorCode(outcome.error)).toBe('network');
    }
    expect((await get(d, origin, '/late')).error?.code).toBe('UND_ERR_DESTROYED');
  });

  it("tells a handler that has the slot its connection's remote address (WARC-IP-Address)", async () => {
    const d = new OriginDispatcher({ connections: 2, maxIdle: 10, client: { ...clientOptions, connect: buildConnector({}) } });
    dispatchers.push(d);
    const [, origin] = await server();
    const peers: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const handler = { [kPeer]: null as Peer | null, ...plainHandler() };
      await new Promise<void>((resolve) => {
        handler.onComplete = () => resolve();
        d.dispatch({ origin, path: `/p/${i}`, method: 'GET', headers: {} }, handler as never);
      });
      peers.push(handler[kPeer]?.address ?? null);
      await turn();
    }
    // The first request's connection was still connecting when it was handed over: the address is
    // read from the connection at the end, so both know it.
    expect(peers).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('names the option when the limit is not a positive integer', () => {
    expect(() => new OriginDispatcher({ connections: 0, maxIdle: 1, client: {} })).toThrow('`connections`');
    expect(() => new OriginDispatcher({ connections: 1, maxIdle: 1, reuseWaitMs: -1, client: {} })).toThrow('`reuseWaitMs`');
    // Node's timers fire after 1 ms beyond 2^31 - 1 ms: the wait would end at once, over and over.
    expect(() => new OriginDispatcher({ connections: 1, maxIdle: 1, reuseWaitMs: 2 ** 31, client: {} })).toThrow('`reuseWaitMs`');
  });
});

describe('OriginDispatcher: a request whose origin has only busy connections', () => {
  it('waits for the busy connection instead of opening a second one', async () => {
    const { s, running, waiting } = await oneRunningOneWaiting(4);
    s.hold = false;
    s.release();
    expect(await running).toMatchObject({ status: 200, body: 'released' });
    expect(await waiting).toMatchObject({ status: 200, body: 'answer /waiting' });
    // Had the second request opened a connection of its own, it would have been answered on it.
    expect(s.connections).toBe(1);
    expect(s.arrived.map((a) => a.path)).toEqual(['/running', '/waiting']);
    expect(s.arrived[1]!.socket).toBe(s.arrived[0]!.socket);
  });

  it('a second one opens a connection at once, for the one that waited longer (first come, first sent)', async () => {
    const d = dispatcher(4);
    const [s, origin] = await server();
    s.hold = true;
    const answers = ['/a', '/b', '/c'].map((path) => get(d, origin, path));
    await s.arrivedCount(2);
    expect(s.arrived.map((a) => a.path)).toEqual(['/a', '/b']);
    expect(d.connections).toBe(2);
    expect(await releaseAndWait(s, answers)).toEqual([200, 200, 200]);
    // '/c' waited for one of the two: no third connection.
    expect(s.connections).toBe(2);
    expect(s.maxInFlightPerSocket).toBe(1);
  });

  it('gets a connection of its own once it has waited reuseWaitMs', async () => {
    const d = dispatcher(4, 100, 1);
    const [s, origin] = await server();
    s.hold = true;
    const answers = [get(d, origin, '/held'), get(d, origin, '/waited')];
    // The first stays held: only the wait's end can bring the second to the server.
    await s.arrivedCount(2);
    expect(s.connections).toBe(2);
    expect(await releaseAndWait(s, answers)).toEqual([200, 200]);
  });

  it('with reuseWaitMs 0 it does not wait: a connection of its own at once', async () => {
    const d = dispatcher(4, 100, 0);
    const [s, origin] = await server();
    s.hold = true;
    const answers = [get(d, origin, '/held'), get(d, origin, '/next')];
    // Opened in dispatch() itself, not by a timer afterwards.
    expect(d.connections).toBe(2);
    await s.arrivedCount(2);
    expect(s.connections).toBe(2);
    expect(await releaseAndWait(s, answers)).toEqual([200, 200]);
  });

  it('sent from the end of a response on the same origin (a redirect), it reuses that connection', async () => {
    const d = dispatcher(8);
    const [s, origin] = await server();
    const second = await new Promise<Outcome>((resolve) => {
      d.dispatch({ origin, path: '/from', method: 'GET', headers: {} }, {
        ...plainHandler(),
        // undici frees the connection a turn after this: the follow-up request finds it busy.
        onComplete: () => void get(d, origin, '/to').then(resolve),
      } as never);
    });
    expect(second).toMatchObject({ status: 200, body: 'answer /to' });
    expect(s.connections).toBe(1);
  });

  it('fails at once on destroy()', async () => {
    const { d, s, running, waiting } = await oneRunningOneWaiting(4);
    await d.destroy();
    for (const outcome of [await running, await waiting]) expect(outcome.error?.code).toBe('UND_ERR_DESTROYED');
    expect(s.connections).toBe(1);
  });
});
