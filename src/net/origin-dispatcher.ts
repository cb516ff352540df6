// sweep's own dispatcher for plain HTTP/1.1 crawls: undici `Client`s (one socket each, undici's
// parser, timeouts and keep-alive) kept per origin in a free list, in place of undici's
// Agent -> Pool -> Client.
//
// Why: a request through the Agent passes three dispatch layers, each checking its arguments and
// state, and Pool picks a client by scanning all of the origin's clients for one that is not busy
// (kGetDispatcher: 6% of the CPU of a one-origin crawl at -c 1000). Here a request costs one Map
// lookup and a pop: a connection that finishes its response is pushed back onto its origin's free
// list (undici's 'drain' event), a connection whose socket closes is dropped (its Client closed,
// so a crawl of many origins holds only live sockets), and an origin with no connection and no
// waiting request is forgotten.
//
// Each Client carries at most one request at a time (pipelining 1), so "free" means idle.
// Beyond `connections` per origin, requests wait in that origin's FIFO for the next one to free.
//
// A request that finds all of its origin's connections busy, with no other request of that origin
// waiting, waits for one of them to free (for at most `reuseWaitMs`, then it gets a connection of
// its own) instead of opening another at once; a second such request opens one. Why: in a crawl of
// many origins two requests for one origin in flight at once are a passing coincidence, and the
// connection opened for it sat idle for the rest of the crawl: 3,500 connections for 1,000 origins
// in the origins scenario of bench:native, where each costs ~150-300 us of CPU (connect(), close(),
// a Socket, a Client, undici's error and its stack on close) and memory the collector walks. Waiting
// costs that request at most what is left of a response already under way, seldom more than a new
// connection's handshake would; and a request sent from the end of a response on the same origin
// (a redirect, the next URL of a one-origin list) no longer opens a second connection in the turn
// before undici frees the first. One origin at -c N still reaches N connections: every request
// beyond the first waiter opens one.
//
// Idle connections across origins: every free connection is also on one list in the order it
// became free, and beyond `maxIdle` of them the one idle longest is closed. A crawl of many
// origins can so keep its connections for long (keepAliveTimeout) without holding a socket per
// origin it ever visited: opening a connection costs far more than reusing one (a connect(),
// a Socket, a Client and a parser; more when the kernel's port table is full of TIME_WAITs).

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type * as Undici from 'undici';
import { kPeer, type Peer } from './peer.js';

const require = createRequire(import.meta.url);
// By file, like undici-core.ts: the index loads all of undici (~70 ms of start-up).
const Client = require('undici/lib/dispatcher/client.js') as typeof Undici.Client;
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
const { ClientClosedError, ClientDestroyedError } = require('undici/lib/core/errors.js') as typeof Undici.errors;
// What Pool reads to tell a busy Client (undici pinned: test/pinned-deep-imports.test.ts).
const { kBusy, kParser, kSocket } = require('undici/lib/core/symbols.js') as { kBusy: symbol; kParser: symbol; kSocket: symbol };

/** undici's HTTP/1.1 parser of a Client's socket: llhttp's exports and its parser state. */
interface H1Parser {
  llhttp: { llhttp_get_http_major(ptr: number): number; llhttp_get_http_minor(ptr: number): number };
  ptr: number | null;
}

/**
 * The version on the status line of the response the Client is parsing (WARC records keep the
 * head as received: an HTTP/1.0 answer is not an HTTP/1.1 one). undici does not pass it on;
 * llhttp has it. Asked once per response, at its head, and only with --warc.
 */
function httpVersionOf(client: Undici.Client): string | null {
  const parser = (client as unknown as Record<symbol, Record<symbol, H1Parser | undefined> | undefined>)[kSocket]?.[kParser];
  if (parser === undefined || parser.ptr === null || typeof parser.llhttp?.llhttp_get_http_major !== 'function') return null;
  const major = parser.llhttp.llhttp_get_http_major(parser.ptr);
  return major === 1 ? `1.${parser.llhttp.llhttp_get_http_minor(parser.ptr)}` : null;
}

type DispatchOptions = Undici.Dispatcher.DispatchOptions;
type Handler = Undici.Dispatcher.DispatchHandler;

export interface OriginDispatcherOptions {
  /** Most connections (Clients) open to one origin at once; more requests wait for one. */
  connections: number;
  /** Most idle connections kept, all origins together; the one idle longest is closed first. */
  maxIdle: number;
  /**
   * Longest a request waits for a busy connection of its origin before one is opened for it (see
   * the top of this file). Default REUSE_WAIT_MS; 0 opens one at once (no waiting).
   */
  reuseWaitMs?: number;
  /** Given to every Client: timeouts, keep-alive, pipelining, the connector. */
  client: Undici.Client.Options;
}

/** One connection: a Client and where it stands in its origin's free list (-1: busy). */
interface Conn extends Peer {
  client: Undici.Client;
  readonly origin: Origin;
  freeAt: number;
  connected: boolean;
  retired: boolean;
  /** Neighbours on the dispatcher's idle list (oldest first) while free. */
  older: Conn | null;
  newer: Conn | null;
}

interface Origin {
  readonly key: string;
  /** Idle connections, a stack: the most recently used is reused first, the others may time out. */
  readonly free: Conn[];
  /** Connections open or opening (busy or free). */
  open: number;
  /** Requests over the limit, FIFO: [opts, handler] pairs from `head` on. */
  waiting: (DispatchOptions | Handler)[];
  head: number;
  /** When its queue last went from empty to one request waiting for a busy connection (ms), or -1. */
  waitingSince: number;
}

/** Default of OriginDispatcherOptions.reuseWaitMs. */
export const REUSE_WAIT_MS = 50;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class OriginDispatcher extends Dispatcher {
  readonly #limit: number;
  readonly #maxIdle: number;
  #idle = 0;
  #oldest: Conn | null = null;
  #newest: Conn | null = null;
  readonly #clientOptions: Undici.Client.Options;
  readonly #origins = new Map<string, Origin>();
  readonly #conns = new Set<Conn>();
  /** Requests waiting in some origin's queue (close() waits for them to be sent). */
  #waiting = 0;
  #onQueueEmpty: (() => void)[] = [];
  readonly #reuseWaitMs: number;
  /** Origins whose first waiter waits for a busy connection, in the order they began: [origin, since]. */
  #reuseWaits: [Origin, number][] = [];
  #reuseTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #destroyed = false;

  constructor(options: OriginDispatcherOptions) {
    super();
    if (!Number.isInteger(options.connections) || options.connections < 1) {
      throw new RangeError(`Expected \`connections\` to be a positive integer, got ${options.connections}.`);
    }
    if (!Number.isInteger(options.maxIdle) || options.maxIdle < 0) {
      throw new RangeError(`Expected \`maxIdle\` to be a non-negative integer, got ${options.maxIdle}.`);
    }
    const reuseWaitMs = options.reuseWaitMs ?? REUSE_WAIT_MS;
    // Above 2^31 - 1 ms Node's timers fire after 1 ms instead (with a warning each time).
    if (!Number.isFinite(reuseWaitMs) || reuseWaitMs < 0 || reuseWaitMs > MAX_TIMER_MS) {
      throw new RangeError(`Expected \`reuseWaitMs\` to be a number from 0 to ${MAX_TIMER_MS}, got ${reuseWaitMs}.`);
    }
    this.#limit = options.connections;
    this.#maxIdle = options.maxIdle;
    this.#reuseWaitMs = reuseWaitMs;
    this.#clientOptions = { ...options.client, pipelining: 1 };
  }

  /** Open connections, all origins (for tests and diagnostics). */
  get connections(): number {
    return this.#conns.size;
  }

  /** Idle connections, all origins (for tests and diagnostics). */
  get idleConnections(): number {
    return this.#idle;
  }

  /** Idle connections of one origin (for tests and diagnostics). */
  idle(origin: string): number {
    return this.#origins.get(origin)?.free.length ?? 0;
  }

  override dispatch(opts: DispatchOptions, handler: Handler): boolean {
    if (this.#closed) return refuse(handler, this.#destroyed ? new ClientDestroyedError() : new ClientClosedError());
    const key = typeof opts.origin === 'string' ? opts.origin : String(opts.origin);
    let origin = this.#origins.get(key);
    if (origin === undefined) {
      origin = { key, free: [], open: 0, waiting: [], head: 0, waitingSince: -1 };
      this.#origins.set(key, origin);
    }
    const conn = origin.free.pop();
    if (conn !== undefined) {
      conn.freeAt = -1;
      this.#unlinkIdle(conn);
      this.#send(conn, opts, handler);
    } else if (origin.open === 0) {
      this.#send(this.#open(origin), opts, handler);
    } else {
      // Its connections are all busy: the request waits, in turn (FIFO).
      origin.waiting.push(opts, handler);
      this.#waiting++;
      if (origin.open < this.#limit) {
        if (origin.waiting.length - origin.head === 2 && this.#reuseWaitMs > 0) {
          // The only one waiting: for a busy connection to free (or reuseWaitMs).
          this.#waitForReuse(origin);
        } else {
          // A second one (or no wait at all): the longest waiting gets a new connection, and
          // whoever is left waits in its place.
          this.#sendWaiting(origin, this.#open(origin));
          if (origin.head < origin.waiting.length && this.#reuseWaitMs > 0) this.#waitForReuse(origin);
        }
      }
    }
    return true;
  }

  /** Marks the origin's (first) waiting request as waiting for reuse; the timer gives it a connection after reuseWaitMs. */
  #waitForReuse(origin: Origin): void {
    const now = performance.now();
    origin.waitingSince = now;
    this.#reuseWaits.push([origin, now]);
    if (this.#reuseTimer === null) this.#armReuseTimer(this.#reuseWaitMs);
  }

  #armReuseTimer(ms: number): void {
    this.#reuseTimer = setTimeout(() => this.#reuseWaitsDue(), ms);
    // A crawl ends when its requests do; a wait still armed then must not hold the process.
    this.#reuseTimer.unref();
  }

  /** Opens a connection for each origin whose waiter has waited reuseWaitMs and is still waiting. */
  #reuseWaitsDue(): void {
    this.#reuseTimer = null;
    if (this.#destroyed) return;
    const now = performance.now();
    const waits = this.#reuseWaits;
    let i = 0;
    for (; i < waits.length; i++) {
      const [origin, since] = waits[i]!;
      if (now - since < this.#reuseWaitMs) break;
      // Stale entries: the waiter got a connection since, or the origin began a newer wait.
      if (origin.waitingSince !== since) continue;
      origin.waitingSince = -1;
      if (origin.head < origin.waiting.length && origin.open < this.#limit) this.#sendWaiting(origin, this.#open(origin));
    }
    this.#reuseWaits = i === waits.length ? [] : waits.slice(i);
    // A request sent above may have failed at once and its handler dispatched one that waits,
    // arming the timer already: one timer at a time.
    if (this.#reuseWaits.length > 0 && this.#reuseTimer === null) {
      this.#armReuseTimer(Math.max(1, this.#reuseWaits[0]![1] + this.#reuseWaitMs - now));
    }
  }

  #send(conn: Conn, opts: DispatchOptions, handler: Handler): void {
    if (kPeer in handler) (handler as { [kPeer]: Peer })[kPeer] = conn;
    conn.client.dispatch(opts, handler);
    // A request undici refused (bad options: it called onError at once) leaves the Client idle,
    // and no 'drain' will say so: without this the connection would count as busy for ever.
    if (!(conn.client as unknown as Record<symbol, boolean>)[kBusy]) this.#drained(conn);
  }

  #open(origin: Origin): Conn {
    const connector = this.#clientOptions.connect;
    const conn: Conn = {
      client: null as unknown as Undici.Client,
      origin,
      address: null,
      freeAt: -1,
      connected: false,
      retired: false,
      older: null,
      newer: null,
      httpVersion: () => httpVersionOf(conn.client),
    };
    // The connection's remote address (WARC-IP-Address, see peer.ts), from its own socket.
    const options: Undici.Client.Options =
      typeof connector !== 'function'
        ? this.#clientOptions
        : {
            ...this.#clientOptions,
            connect: (opts, callback) =>
              connector(opts, (err, socket) => {
                if (socket !== null) conn.address = (socket as Socket).remoteAddress ?? null;
                (callback as (e: Error | null, s: unknown) => void)(err, socket);
              }),
          };
    const client = new Client(origin.key, options);
    conn.client = client;
    origin.open++;
    this.#conns.add(conn);
    // Per connection, not per request. undici emits, for a socket that closes under a request:
    // the request's onError, then 'disconnect', then 'drain'; for an idle one only 'disconnect'.
    // The dispatcher re-emits them as undici's Agent does, (origin, [dispatcher, client], err).
    client.on('connect', (url: URL) => {
      conn.connected = true;
      this.emit('connect', url, [this, client]);
    });
    client.on('disconnect', (url: URL, _targets: unknown, err: Error) => {
      conn.connected = false;
      if (conn.freeAt >= 0 && !this.#destroyed) this.#retire(conn);
      this.emit('disconnect', url, [this, client], err as Undici.errors.UndiciError);
    });
    client.on('connectionError', (url: URL, _targets: unknown, err: Error) => {
      conn.connected = false;
      this.emit('connectionError', url, [this, client], err as Undici.errors.UndiciError);
    });
    client.on('drain', () => this.#drained(conn));
    return conn;
  }

  /** The connection's request ended: next waiting request, or back onto the free list. */
  #drained(conn: Conn): void {
    if (conn.retired || conn.freeAt >= 0 || this.#destroyed) return;
    const origin = conn.origin;
    if (!conn.connected) {
      // Its socket is gone (or never came): drop it; a waiting request gets a fresh connection.
      this.#retire(conn);
      if (origin.head < origin.waiting.length && !this.#destroyed) this.#sendWaiting(origin, this.#open(origin));
      return;
    }
    if (origin.head < origin.waiting.length) {
      this.#sendWaiting(origin, conn);
      return;
    }
    conn.freeAt = origin.free.length;
    origin.free.push(conn);
    conn.older = this.#newest;
    if (this.#newest === null) this.#oldest = conn;
    else this.#newest.newer = conn;
    this.#newest = conn;
    if (++this.#idle > this.#maxIdle) this.#retire(this.#oldest!);
  }

  #unlinkIdle(conn: Conn): void {
    if (conn.older === null) this.#oldest = conn.newer;
    else conn.older.newer = conn.newer;
    if (conn.newer === null) this.#newest = conn.older;
    else conn.newer.older = conn.older;
    conn.older = conn.newer = null;
    this.#idle--;
  }

  #sendWaiting(origin: Origin, conn: Conn): void {
    const opts = origin.waiting[origin.head] as DispatchOptions;
    const handler = origin.waiting[origin.head + 1] as Handler;
    origin.waiting[origin.head] = origin.waiting[origin.head + 1] = undefined as never;
    origin.head += 2;
    if (origin.head === origin.waiting.length) {
      origin.waiting = [];
      origin.head = 0;
      origin.waitingSince = -1;
    }
    if (--this.#waiting === 0) this.#queueEmptied();
    this.#send(conn, opts, handler);
  }

  #retire(conn: Conn): void {
    conn.retired = true;
    const origin = conn.origin;
    if (conn.freeAt >= 0) {
      // Swap-remove: O(1); the order of the rest of the stack hardly matters.
      const last = origin.free.pop()!;
      if (last !== conn) {
        origin.free[conn.freeAt] = last;
        last.freeAt = conn.freeAt;
      }
      conn.freeAt = -1;
      this.#unlinkIdle(conn);
    }
    origin.open--;
    this.#conns.delete(conn);
    void conn.client.close().catch(() => {});
    if (origin.open === 0 && origin.head === origin.waiting.length && this.#origins.get(origin.key) === origin) {
      this.#origins.delete(origin.key);
    }
  }

  #queueEmptied(): void {
    const waiters = this.#onQueueEmpty;
    this.#onQueueEmpty = [];
    for (const resolve of waiters) resolve();
  }

  /** Takes no new requests; resolves once every queued and running request has ended. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const done = (async () => {
      if (this.#waiting > 0) await new Promise<void>((resolve) => this.#onQueueEmpty.push(resolve));
      await Promise.all([...this.#conns].map((conn) => conn.client.close()));
    })();
    if (callback === undefined) return done;
    void done.then(callback, callback);
  }

  /** Ends every request now: running ones and waiting ones fail with `err` (default: ClientDestroyedError). */
  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    if (typeof errOrCallback === 'function') {
      callback = errOrCallback;
      errOrCallback = null;
    }
    const err = errOrCallback ?? new ClientDestroyedError();
    this.#closed = true;
    this.#destroyed = true;
    if (this.#reuseTimer !== null) clearTimeout(this.#reuseTimer);
    this.#reuseTimer = null;
    this.#reuseWaits = [];
    const waiting: Handler[] = [];
    for (const origin of this.#origins.values()) {
      for (let i = origin.head + 1; i < origin.waiting.length; i += 2) waiting.push(origin.waiting[i] as Handler);
      origin.waiting = [];
      origin.head = 0;
    }
    this.#origins.clear();
    this.#waiting = 0;
    this.#queueEmptied();
    for (const handler of waiting) refuse(handler, err);
    const done = Promise.all([...this.#conns].map((conn) => conn.client.destroy(err))).then(() => {});
    this.#conns.clear();
    this.#oldest = this.#newest = null;
    this.#idle = 0;
    if (callback === undefined) return done;
    void done.then(callback, callback);
  }
}

/** Fails a request that cannot be dispatched, as undici's DispatcherBase does. */
function refuse(handler: Handler, err: Error): false {
  const h = handler as { onError?: (e: Error) => void; onResponseError?: (c: null, e: Error) => void };
  if (typeof h.onError === 'function') h.onError(err);
  else if (typeof h.onResponseError === 'function') h.onResponseError(null, err);
  else throw err;
  return false;
}
