// --robots: robots.txt fetched once per origin (same timeout as any request, cached for the run:
// the latest 10,000 origins used, so that a list of a million hosts does not keep a million
// parsed files; an origin used again after that is fetched again) and applied with robots-parser
// (a maintained RFC 9309 parser: Allow/Disallow longest match, wildcards, Crawl-delay). What an
// unhappy fetch means follows RFC 9309 §2.3.1:
//   2xx            the rules in the file (at most 500 KiB read; the RFC asks for >= 500 KiB)
//   3xx            followed, up to 5 hops; more: treated as unavailable (allow all)
//   4xx            "unavailable": everything allowed, except 429 (a rate limit, as Google reads it)
//   429, 5xx, network error, timeout
//                  "unreachable": everything on that origin is disallowed for this run

import { createRequire } from 'node:module';
import { pipeline, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { contentDecoders } from '../content-coding.js';
import type { Job } from '../input.js';
import { crossOriginHeaders } from '../run/secrets.js';
import type { HostRules } from './gate-types.js';

interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// Both CommonJS, so required: an ESM import makes Node run its export lexer over the package first
// (undici's index: import 155-180 ms, require 111-140; robots-parser 17 against 5). undici's index
// adds request() to every dispatcher; sweep loads undici's files one by one (src/undici-core.ts,
// net/origin-dispatcher.ts), so this module, loaded only with --robots, loads the index for it.
// robots-parser's typings declare an ES default export, hence the cast.
const require = createRequire(import.meta.url);
require('undici');
const robotsParser = require('robots-parser') as (url: string, contents: string) => Robot;

const MAX_BYTES = 500 * 1024;
const MAX_REDIRECTS = 5;

export interface RobotsOptions {
  dispatcher: Dispatcher;
  /** Request headers (the User-Agent among them). */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Most robots.txt fetches at once (-c): a list of many hosts must not open them all. */
  maxConcurrent: number;
  /** Most origins whose rules are kept (the least recently used go first). */
  maxOrigins?: number;
}

/** Origins whose rules are kept by default: ~2-5 KB each for a typical robots.txt. */
export const MAX_ORIGINS = 10_000;

/**
 * What a robots.txt request carries: the run's headers less the credentials (robots.txt is
 * public, and a redirect or a found link may take it to an origin -H was not given for) and less
 * Accept-Encoding (a recursive crawl asks for compressed pages; the file is read as text, and a
 * server that compresses it anyway is decoded).
 */
export function robotsRequestHeaders(headers: Record<string, string>): Record<string, string> {
  const out = { ...crossOriginHeaders(headers) };
  delete out['accept-encoding'];
  return Object.freeze(out);
}

/** The product token robots.txt groups are matched against: "sweep" for "sweep/0.1.0". */
export function productToken(userAgent: string): string {
  return userAgent.trim().split(/[\s/]/)[0] || '*';
}

type Fetched = { kind: 'rules'; url: string; body: string } | { kind: 'allow'; why: string } | { kind: 'disallow'; why: string };

export class RobotsCache {
  readonly #o: RobotsOptions;
  readonly #headers: Record<string, string>;
  readonly #token: string;
  /** Fetches that ended, by outcome, for the summary. */
  readonly outcomes = { rules: 0, allowAll: 0, disallowAll: 0 };
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  /**
   * One entry per origin, in order of last use (a Map keeps insertion order: a hit moves its
   * entry to the end, the first one is the least recently used). The gate and the redirect-hop
   * check share one fetch; the gate's hosts hold no rules of their own for long (host-gate.ts).
   */
  readonly #rules = new Map<string, Promise<HostRules>>();
  readonly #max: number;

  constructor(options: RobotsOptions) {
    this.#o = options;
    this.#token = productToken(options.headers['user-agent'] ?? '*');
    this.#headers = robotsRequestHeaders(options.headers);
    this.#max = options.maxOrigins ?? MAX_ORIGINS;
  }

  /** The rules of one origin, fetched once while it is among the latest used; never rejects. */
  rules(origin: string): Promise<HostRules> {
    let rules = this.#rules.get(origin);
    if (rules !== undefined) {
      this.#rules.delete(origin);
      this.#rules.set(origin, rules);
      return rules;
    }
    rules = this.load(origin);
    this.#rules.set(origin, rules);
    // Whoever already holds an evicted promise still gets its rules.
    if (this.#rules.size > this.#max) this.#rules.delete(this.#rules.keys().next().value as string);
    return rules;
  }

  /** Origins whose rules are kept now. */
  get size(): number {
    return this.#rules.size;
  }

  /** Fetches and parses one origin's robots.txt; never rejects. */
  async load(origin: string): Promise<HostRules> {
    if (this.#active >= this.#o.maxConcurrent) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    let fetched: Fetched;
    try {
      fetched = await this.#fetch(origin);
    } catch (err) {
      fetched = { kind: 'disallow', why: `robots.txt unreachable (${(err as Error).message || 'network error'})` };
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
    if (fetched.kind === 'allow') {
      this.outcomes.allowAll++;
      return { allowed: () => true, crawlDelayMs: 0, reason: fetched.why };
    }
    if (fetched.kind === 'disallow') {
      this.outcomes.disallowAll++;
      return { allowed: () => false, crawlDelayMs: 0, reason: `${fetched.why}: everything on ${origin} is disallowed` };
    }
    this.outcomes.rules++;
    // Rules apply to the origin asked for, even when robots.txt itself was redirected.
    const robot = robotsParser(`${origin}/robots.txt`, fetched.body);
    const token = this.#token;
    const delay = robot.getCrawlDelay(token);
    return {
      allowed: (job: Job) => robot.isAllowed(job.target!.origin + job.target!.path, token) !== false,
      crawlDelayMs: typeof delay === 'number' && delay > 0 ? Math.min(delay, 3600) * 1000 : 0,
      reason: `disallowed by ${origin}/robots.txt for user agent "${token}"`,
    };
  }

  async #fetch(origin: string): Promise<Fetched> {
    let url = new URL('/robots.txt', origin);
    const signal = AbortSignal.timeout(this.#o.timeoutMs);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.#o.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: this.#headers,
        signal,
      });
      const status = res.statusCode;
      if (status >= 300 && status < 400 && status !== 304) {
        const location = res.headers.location;
        await res.body.dump();
        if (typeof location !== 'string') return { kind: 'allow', why: `robots.txt: ${status} without Location` };
        url = new URL(location, url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'allow', why: 'robots.txt: redirect off http(s)' };
        continue;
      }
      if (status >= 200 && status < 300) {
        const encoding = res.headers['content-encoding'];
        const body = await readCapped(res.body, typeof encoding === 'string' ? encoding : null);
        if (body === null) return { kind: 'allow', why: `robots.txt in an unknown Content-Encoding (${String(encoding).slice(0, 40)})` };
        return { kind: 'rules', url: url.href, body };
      }
      await res.body.dump();
      if (status === 429 || status >= 500) return { kind: 'disallow', why: `robots.txt answered ${status}` };
      return { kind: 'allow', why: `robots.txt answered ${status}` };
    }
    return { kind: 'allow', why: `robots.txt: more than ${MAX_REDIRECTS} redirects` };
  }
}

/**
 * The body as text, decoded, at most MAX_BYTES of it (decoding stops there: a small compressed
 * file cannot inflate without bound); null for a coding sweep cannot read.
 */
async function readCapped(body: Dispatcher.ResponseData['body'], encoding: string | null): Promise<string | null> {
  const decoders = contentDecoders(encoding);
  if (decoders === null) {
    body.destroy();
    return null;
  }
  const stages = decoders.map((make) => make());
  let text: Readable = body;
  // A decoding error fails the last stage, and so the loop below (robots.txt unreachable).
  if (stages.length > 0) text = pipeline([body, ...stages], () => {}) as unknown as Readable;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of text) {
      const buf = chunk as Buffer;
      const room = MAX_BYTES - total;
      chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
      total += Math.min(buf.length, room);
      if (total >= MAX_BYTES) break;
    }
  } finally {
    body.destroy();
    for (const stage of stages) stage.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}
