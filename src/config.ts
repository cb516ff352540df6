// Crawl options: types, defaults, and validation with messages that name the option.
// cli.ts parses argv with commander using the parsers here; after buildConfig() the rest of
// the program trusts the frozen config.

import { UsageError } from './errors.js';
import { VERSION } from './version.js';
import { parseShard, type ShardSpec } from './polite/shard.js';
import { checkParentDir, checkResumeFile } from './polite/options.js';
import { parseProxy, readCa } from './net/options.js';
import { parseDnsServers, type DnsServer } from './net/dns-option.js';
import { buildFollow, type FollowConfig, type RawFollowOptions } from './follow/options.js';
import type { KeepConfig } from './keep/warc-tap.js';

export interface CrawlConfig {
  readonly inputs: readonly string[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly maxBody: number;
  readonly maxRedirects: number;
  readonly output: string | null;
  readonly summaryJson: string | null;
  readonly progress: boolean | 'auto';
  readonly quiet: boolean;
  readonly logLevel: string;
  readonly insecure: boolean;
  /** After SIGINT/SIGTERM, ms that requests in flight get to finish before they are aborted. */
  readonly graceMs: number;
  // Politeness, long crawls and network (src/polite/); all off by default.
  /** Most in flight to one origin; null when unset. */
  readonly perHost: number | null;
  /** Requests/s over all hosts; null when unset. */
  readonly rate: number | null;
  readonly perHostRate: number | null;
  readonly robots: boolean;
  readonly dedupe: boolean;
  /** Previous run's NDJSON: skipped lines already final, then appended to. */
  readonly resume: string | null;
  readonly shard: ShardSpec | null;
  readonly proxy: string | null;
  readonly http2: boolean;
  readonly cacert: string | null;
  /** --dns-server: resolve through c-ares on these servers (net/resolver.ts); null: getaddrinfo. */
  readonly dnsServers: readonly DnsServer[] | null;
  /** -H credential headers follow redirects to other origins too (curl's --location-trusted). */
  readonly locationTrusted: boolean;
  /** Recursive crawling (--depth, --sitemaps and their options); null: only the URLs given. */
  readonly follow: FollowConfig | null;
  /** --warc (with --warc-max-size, --warc-keep-secrets, --cdx); null: bodies are not kept. */
  readonly keep: KeepConfig | null;
  /** --save-dir and --save-types (null: every type); null: no mirror tree. */
  readonly save: { readonly dir: string; readonly types: readonly string[] | null } | null;
}

export const DEFAULTS = {
  concurrency: 64,
  timeoutMs: 10_000,
  retries: 2,
  retryDelayMs: 200,
  retryMaxDelayMs: 10_000,
  method: 'GET',
  maxBody: 10 * 1024 * 1024,
  maxRedirects: 5,
  logLevel: 'warn',
  userAgent: `sweep/${VERSION}`,
  graceMs: 5_000,
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = raw.trim();
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(max === Number.MAX_SAFE_INTEGER ? `Expected an integer >= ${min}.` : `Expected an integer from ${min} to ${max}.`);
  }
  return n;
}

/**
 * Value parsers. Their messages say what was expected; the CLI prefixes the option and the
 * value ("option '-c, --concurrency <n>' argument 'abc' is invalid. Expected an integer >= 1.").
 */
export const parse = {
  positive: (raw: string): number => integer(raw, 1),
  nonNegative: (raw: string): number => integer(raw, 0),
  method: (raw: string): string => {
    const m = raw.trim().toUpperCase();
    if (!/^[A-Z]+$/.test(m)) throw new UsageError('Expected an HTTP method such as GET or HEAD.');
    return m;
  },
  header: (raw: string, previous: string[] = []): string[] => {
    const colon = raw.indexOf(':');
    const name = colon > 0 ? raw.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError('Expected "Name: value".');
    if (/[\r\n\0]/.test(raw)) throw new UsageError('A header must not contain CR, LF or NUL.');
    return [...previous, raw];
  },
  rate: (raw: string): number => {
    const text = raw.trim();
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(n > 0) || n > 1_000_000) throw new UsageError('Expected a number of requests per second, > 0 and <= 1000000.');
    return n;
  },
  shard: (raw: string): ShardSpec => parseShard(raw),
  proxy: (raw: string): string => parseProxy(raw),
  dnsServers: (raw: string): DnsServer[] => parseDnsServers(raw),
  logLevel: (raw: string): string => {
    if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new UsageError(`Expected one of ${LOG_LEVELS.join(', ')}.`);
    return raw;
  },
};

/** Turns repeated "Name: value" options into a header object (lower-case names, later wins). */
export function headerObject(lines: readonly string[], userAgent: string): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': userAgent };
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * The request headers of a run, frozen: a recursive crawl (`follow`) reads the pages it fetches,
 * so it asks for compression unless -H chose an Accept-Encoding (records count wire bytes).
 * Local crawls get `follow` from their options, Redis workers from the queue's rules.
 */
export function runHeaders(headers: Readonly<Record<string, string>>, follow: FollowConfig | null): Readonly<Record<string, string>> {
  if (follow === null || headers['accept-encoding'] !== undefined) return Object.freeze({ ...headers });
  return Object.freeze({ ...headers, 'accept-encoding': 'gzip, deflate, br' });
}

export interface RawCrawlOptions {
  concurrency?: number;
  timeout?: number;
  retries?: number;
  retryDelay?: number;
  retryMaxDelay?: number;
  method?: string;
  header?: string[];
  userAgent?: string;
  maxBody?: number;
  maxRedirects?: number;
  output?: string;
  summaryJson?: string;
  progress?: boolean;
  quiet?: boolean;
  logLevel?: string;
  insecure?: boolean;
  grace?: number;
  perHost?: number;
  rate?: number;
  perHostRate?: number;
  robots?: boolean;
  dedupe?: boolean;
  resume?: string;
  shard?: ShardSpec;
  proxy?: string;
  http2?: boolean;
  cacert?: string;
  dnsServer?: DnsServer[];
  locationTrusted?: boolean;
  warc?: string;
  warcMaxSize?: number;
  warcKeepSecrets?: boolean;
  cdx?: string;
  saveDir?: string;
  saveTypes?: string[];
}

export type RawOptions = RawCrawlOptions & RawFollowOptions;

export function buildConfig(inputs: readonly string[], o: RawOptions): CrawlConfig {
  const retryDelayMs = o.retryDelay ?? DEFAULTS.retryDelayMs;
  const retryMaxDelayMs = o.retryMaxDelay ?? DEFAULTS.retryMaxDelayMs;
  if (retryMaxDelayMs < retryDelayMs) {
    throw new UsageError(`option --retry-max-delay (${retryMaxDelayMs}) must be >= --retry-delay (${retryDelayMs})`);
  }
  if (o.resume !== undefined && o.output !== undefined) {
    throw new UsageError('option --resume appends to its own file: drop -o/--output');
  }
  if (o.cacert !== undefined) readCa(o.cacert);
  if (o.resume !== undefined) checkResumeFile(o.resume);
  if (o.summaryJson !== undefined) checkParentDir('--summary-json', o.summaryJson);
  const follow = buildFollow(o);
  if (o.warc === undefined && (o.cdx !== undefined || o.warcMaxSize !== undefined || o.warcKeepSecrets !== undefined)) {
    throw new UsageError(`option ${o.cdx !== undefined ? '--cdx' : o.warcMaxSize !== undefined ? '--warc-max-size' : '--warc-keep-secrets'} needs --warc <file>`);
  }
  if (o.saveTypes !== undefined && o.saveDir === undefined) throw new UsageError('option --save-types needs --save-dir <dir>');
  if (o.warc !== undefined && !/\.warc(\.gz)?$/.test(o.warc)) throw new UsageError(`--warc ${o.warc}: the file name must end in .warc.gz or .warc`);
  const headers = runHeaders(headerObject(o.header ?? [], o.userAgent ?? DEFAULTS.userAgent), follow);
  return Object.freeze({
    inputs: inputs.length === 0 ? ['-'] : [...inputs],
    concurrency: o.concurrency ?? DEFAULTS.concurrency,
    timeoutMs: o.timeout ?? DEFAULTS.timeoutMs,
    retries: o.retries ?? DEFAULTS.retries,
    retryDelayMs,
    retryMaxDelayMs,
    method: o.method ?? DEFAULTS.method,
    headers,
    maxBody: o.maxBody ?? DEFAULTS.maxBody,
    maxRedirects: o.maxRedirects ?? DEFAULTS.maxRedirects,
    output: o.output ?? null,
    summaryJson: o.summaryJson ?? null,
    progress: o.progress === undefined ? 'auto' : o.progress,
    quiet: o.quiet ?? false,
    logLevel: o.logLevel ?? DEFAULTS.logLevel,
    insecure: o.insecure ?? false,
    graceMs: o.grace ?? DEFAULTS.graceMs,
    perHost: o.perHost ?? null,
    rate: o.rate ?? null,
    perHostRate: o.perHostRate ?? null,
    robots: o.robots ?? false,
    dedupe: o.dedupe ?? false,
    resume: o.resume ?? null,
    shard: o.shard ?? null,
    proxy: o.proxy ?? null,
    http2: o.http2 ?? false,
    cacert: o.cacert ?? null,
    dnsServers: o.dnsServer === undefined ? null : Object.freeze(o.dnsServer),
    locationTrusted: o.locationTrusted ?? false,
    follow,
    keep:
      o.warc === undefined
        ? null
        : { warc: o.warc, warcMaxSize: o.warcMaxSize ?? null, warcKeepSecrets: o.warcKeepSecrets ?? false, cdx: o.cdx ?? null },
    save: o.saveDir === undefined ? null : { dir: o.saveDir, types: o.saveTypes ?? null },
  });
}
