// sweep's DNS resolver for --dns-server: c-ares (node:dns Resolver) behind a cache, handed to
// net/tls.connect as their `lookup`. Why not getaddrinfo (dns.lookup, Node's default): it runs on
// libuv's 4 pool threads and blocks one for the whole query, so a crawl of many hosts resolves
// at most 4 names per round trip of the DNS server; it has no cache either, so every new
// connection asks again. c-ares keeps many queries in flight on the event loop (MAX_QUERIES).
//
// The cache (lru-cache: bounded LRU, per-entry TTL, one fetch in flight per key):
// - an answer is kept for the smallest TTL of its records, at most MAX_TTL_MS;
// - 50 connections to one new host wait for one query, not 50;
// - "no such name" (NXDOMAIN) and "no address" (NODATA) are kept NEGATIVE_TTL_MS (5 s): c-ares
//   does not hand us the SOA that RFC 2308 takes the negative TTL from, and zones commonly set
//   it to minutes, so 5 s is rarely longer than the server allows, and long enough that
//   sweep's retries of a dead name (retry.ts: 200 ms, 400 ms, ...) do not hit the server again;
// - a timeout or SERVFAIL is not kept: the retry asks again;
// - at most MAX_ENTRIES names; the least recently used goes first (a crawl may touch millions).
// Names in the hosts table (hosts-file.ts: /etc/hosts plus `localhost`) never reach a server.
//
// Errors keep getaddrinfo's codes, so errors.ts maps them to the record's `dns` and retry.ts
// retries them as before: ENOTFOUND for a name that does not exist, EAI_AGAIN for a server that
// failed (c-ares' own codes would collide: its ECONNREFUSED would read as `connect_refused`).

import { promises as dnsPromises, type LookupAddress, type LookupOptions, type RecordWithTtl } from 'node:dns';
import { LRUCache } from 'lru-cache';
import { serverString, type DnsServer } from './dns-option.js';
import { hostKey, type HostsTable } from './hosts-file.js';

export const MAX_ENTRIES = 50_000;
export const MAX_TTL_MS = 3_600_000;
export const NEGATIVE_TTL_MS = 5_000;
/**
 * Names being resolved at once; more wait their turn. c-ares sends all of a channel's queries
 * from one UDP socket, whose receive buffer (net.core.rmem_default, 208 KiB on Linux) holds
 * ~200 small answers: at -c 256, answers to 512 queries arrived together while the event loop
 * was busy opening connections, the kernel dropped a few hundred, and each drop cost a c-ares
 * retransmit timeout. 64 names = 128 answers in flight fit.
 */
export const MAX_QUERIES = 64;

/** The two queries a lookup makes; a c-ares Resolver by default, a stub in tests. */
export interface DnsQuery {
  resolve4(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

export interface ResolverOptions {
  /** The servers c-ares asks; null: the system's (resolv.conf). */
  servers: readonly DnsServer[] | null;
  hosts: HostsTable;
  maxEntries?: number;
  maxTtlMs?: number;
  negativeTtlMs?: number;
  /** Milliseconds, monotonic; tests move it by hand. */
  clock?: { now(): number };
  query?: DnsQuery;
  /** Names resolved at once (see MAX_QUERIES). */
  maxQueries?: number;
}

/** What a cached name holds: its addresses, IPv4 first; none for a negative answer. */
interface Answer {
  readonly addresses: readonly LookupAddress[];
}

const TTL = { ttl: true } as const;
/** c-ares' "the name has no such records": an empty answer, not a failure. */
const NO_ANSWER = new Set(['ENOTFOUND', 'ENODATA']);

export interface ResolverStats {
  /** lookup() calls (one per new connection). */
  lookups: number;
  /** Names sent to the servers (each one an A and an AAAA query). */
  resolved: number;
  /** Lookups answered by the hosts table. */
  fromHosts: number;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function lookupError(hostname: string, code: 'ENOTFOUND' | 'EAI_AGAIN', detail: string, cause?: unknown): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException & { hostname?: string } = new Error(`dns ${code} ${hostname}${detail}`, { cause });
  err.code = code;
  err.syscall = 'lookup';
  err.hostname = hostname;
  return err;
}

export class CachingResolver {
  readonly stats: ResolverStats = { lookups: 0, resolved: 0, fromHosts: 0 };
  readonly #hosts: ReadonlyMap<string, Answer>;
  readonly #query: DnsQuery;
  readonly #maxTtlMs: number;
  readonly #negativeTtlMs: number;
  readonly #cache: LRUCache<string, Answer>;
  readonly #maxQueries: number;
  #active = 0;
  /** Resolutions waiting for a slot, oldest first, from #waitingHead on. */
  #waiting: (() => void)[] = [];
  #waitingHead = 0;

  constructor(o: ResolverOptions) {
    this.#hosts = new Map(
      [...o.hosts].map(([name, a]) => [name, { addresses: [...a.v4.map((address) => ({ address, family: 4 })), ...a.v6.map((address) => ({ address, family: 6 }))] }]),
    );
    this.#query = o.query ?? caresQuery(o.servers);
    this.#maxTtlMs = o.maxTtlMs ?? MAX_TTL_MS;
    this.#negativeTtlMs = o.negativeTtlMs ?? NEGATIVE_TTL_MS;
    this.#maxQueries = o.maxQueries ?? MAX_QUERIES;
    this.#cache = new LRUCache<string, Answer>({
      max: o.maxEntries ?? MAX_ENTRIES,
      fetchMethod: (name, _stale, { options }) => this.#resolve(name, options),
      // An in-flight query pushed out by newer names still answers the connections waiting on it.
      ignoreFetchAbort: true,
      // Read the clock on every check: the default 1 ms resolution would hide a test's clock step.
      ttlResolution: 0,
      ...(o.clock === undefined ? {} : { perf: o.clock }),
    });
  }

  /** Names held (answers, negative answers and queries in flight). */
  get size(): number {
    return this.#cache.size;
  }

  /** net.connect's `lookup`: (hostname, options, callback), one address or all of them. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.stats.lookups++;
    const key = hostKey(hostname);
    const listed = this.#hosts.get(key);
    if (listed !== undefined) {
      this.stats.fromHosts++;
      deliver(hostname, listed, options, callback);
      return;
    }
    this.#cache.fetch(key).then(
      (answer) => deliver(hostname, answer as Answer, options, callback),
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };

  /** Resolves a name the cache does not hold; sets the entry's TTL through `options.ttl`. */
  async #resolve(name: string, options: { ttl?: number }): Promise<Answer> {
    if (this.#active >= this.#maxQueries) await new Promise<void>((wake) => this.#waiting.push(wake));
    else this.#active++;
    this.stats.resolved++;
    let a: PromiseSettledResult<RecordWithTtl[]>, aaaa: PromiseSettledResult<RecordWithTtl[]>;
    try {
      // A and AAAA at once, as getaddrinfo asks for an unspecified family.
      [a, aaaa] = await Promise.allSettled([this.#query.resolve4(name, TTL), this.#query.resolve6(name, TTL)]);
    } finally {
      this.#release();
    }
    const addresses: LookupAddress[] = [];
    let ttlMs = this.#maxTtlMs;
    let failure: NodeJS.ErrnoException | null = null;
    for (const [result, family] of [[a, 4], [aaaa, 6]] as const) {
      if (result.status === 'fulfilled') {
        for (const r of result.value) {
          addresses.push({ address: r.address, family });
          ttlMs = Math.min(ttlMs, r.ttl * 1000);
        }
      } else if (!NO_ANSWER.has((result.reason as NodeJS.ErrnoException).code ?? '')) {
        failure = result.reason as NodeJS.ErrnoException;
      }
    }
    if (addresses.length === 0) {
      if (failure !== null) throw lookupError(name, 'EAI_AGAIN', ` (${failure.code ?? failure.message} from the DNS server)`, failure);
      options.ttl = this.#negativeTtlMs;
      return { addresses };
    }
    // One family failed for a while: keep the other's answer only briefly, then ask again.
    if (failure !== null) ttlMs = Math.min(ttlMs, this.#negativeTtlMs);
    // TTL 0 means "do not keep": 1 ms (0 would mean "forever" to lru-cache); waiters still share it.
    options.ttl = Math.max(1, ttlMs);
    return { addresses };
  }

  /** Hands the slot to the oldest waiting resolution, or frees it. */
  #release(): void {
    const next = this.#waiting[this.#waitingHead];
    if (next === undefined) {
      this.#active--;
      return;
    }
    this.#waiting[this.#waitingHead++] = undefined as never;
    // Drop the consumed front now and then: O(1) amortized, and the array never outgrows twice
    // the names actually waiting, however long the queue stays non-empty.
    if (this.#waitingHead >= 1024 && this.#waitingHead * 2 >= this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
    next();
  }
}

function deliver(hostname: string, answer: Answer, options: LookupOptions, callback: LookupCallback): void {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
  const list = family === 4 || family === 6 ? answer.addresses.filter((a) => a.family === family) : answer.addresses;
  const first = list[0];
  if (first === undefined) callback(lookupError(hostname, 'ENOTFOUND', ''), '');
  else if (options.all === true) callback(null, list.slice());
  else callback(null, first.address, first.family);
}

function caresQuery(servers: readonly DnsServer[] | null): DnsQuery {
  const resolver = new dnsPromises.Resolver();
  if (servers !== null) resolver.setServers(servers.map(serverString));
  return resolver;
}
