// One URL's journey: attempts, redirects and retries, over undici's Agent.dispatch with this
// object as the (legacy-style) handler. Legacy handlers go to undici's parser unwrapped; the
// newer controller API costs an extra wrapper and a parsed header object per response.
//
// The success path allocates one UrlTask and one dispatch-options object per hop, arms no timer
// (the DeadlineQueue sweeps all deadlines on one coarse interval) and never enters p-retry or a
// Promise: p-retry takes over only after a first attempt failed in a retryable way.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { CrawlError, toErrorCode, toErrorMessage } from './errors.js';
import type { DeadlineQueue, Expirable } from './deadlines.js';
import type { Job } from './input.js';
import {
  backoffDelay,
  IDEMPOTENT_METHODS,
  isRetryable,
  parseRetryAfter,
  RETRY_AFTER_STATUSES,
  type BackoffPolicy,
} from './retry.js';
import { endObservers, openObservers, type ExchangeObserver, type ExchangeTap, type TappedTask } from './exchange.js';
import { headerValue } from './http-headers.js';
import { fromUrl, redactUrl, type Target } from './target.js';
import { isStaleSocketError } from './keepalive.js';
import { kPeer, type Peer, type PeerSlot } from './net/peer.js';

/** Longest a body may wait for a backed-up tap (its disk) before its attempt times out anyway. */
const MAX_PAUSE_MS = 10 * 60_000;

/** Re-sends per attempt after a stale keep-alive socket (bounds a server that resets everything). */
const STALE_RESENDS = 3;

export interface FetchSettings {
  dispatcher: Dispatcher;
  method: string;
  /** Shared by every request; never mutated. */
  headers: Record<string, string>;
  /** `headers` without the credential headers, for hops to another origin (run/secrets.ts). */
  crossOriginHeaders: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoff: BackoffPolicy;
  maxBody: number;
  maxRedirects: number;
  deadlines: DeadlineQueue;
  /** Aborted on shutdown: ends retry waits; in-flight work ends through dispatcher.destroy(). */
  signal: AbortSignal;
  /** Told of every 429 / 503 response with its raw Retry-After (host pause, src/polite). */
  onThrottle?: ((origin: string, status: number, retryAfter: string | null) => void) | undefined;
  /** Checks each redirect hop before it is requested; absent: every hop goes. */
  hopPolicy?: HopPolicy | undefined;
  /** Observers of every exchange (src/exchange.ts); null: none, nothing is paid per request. */
  taps: readonly ExchangeTap[] | null;
  /** Tasks whose body reading a backed-up tap paused; the run resumes them when a tap drains. */
  paused: Set<UrlTask>;
}

/**
 * Asked before a redirect hop is requested (--robots: the hop's robots.txt; --scope for
 * discovered URLs): null lets it go; a CrawlError refuses it, and the 3xx stays the final
 * response with that error; a HopStop ends the URL at the 3xx without an error, the record
 * saying why (`stopped`) and where it pointed (`location`). A promise while the answer is being
 * fetched; the attempt's deadline still runs meanwhile.
 */
export type HopPolicy = (job: Job, next: Target) => HopVerdict | Promise<HopVerdict>;
export type HopVerdict = CrawlError | HopStop | null;

/** A redirect not followed on purpose (out of the crawl's scope): not an error. */
export class HopStop {
  constructor(readonly reason: string) {}
}

type AbortFn = (reason?: Error) => void;

const RETRY_AGAIN = new Error('retryable failure');

export class UrlTask implements Expirable, TappedTask, PeerSlot {
  readonly job: Job;
  status: number | null = null;
  bytes = 0;
  attempts = 0;
  redirects = 0;
  /** Time to the response headers of the last attempt, from that attempt's start. */
  ttfbMs = -1;
  startedAt = 0;
  endedAt = 0;
  /** The URL of the last hop, when a redirect moved it; null means the job's own URL. */
  finalUrl: string | null = null;
  error: CrawlError | null = null;
  /** Deadline of the attempt in flight (performance.now() ms); NaN between attempts. */
  deadline = NaN;
  /** Where this attempt's deadline sits in the DeadlineQueue (for forget()). */
  #deadlineSlot = -1;

  readonly #settings: FetchSettings;
  readonly #onDone: (task: UrlTask) => void;
  #origin = '';
  #path = '';
  /** The headers of the hop in flight. */
  #headers: Record<string, string>;
  /** The headers for the URL's own origin: -H plus the URL's credentials. */
  readonly #ownHeaders: Record<string, string>;
  #abort: AbortFn | null = null;
  #attemptStart = 0;
  #timedOut = false;
  #connected = false;
  #staleResends = 0;
  #location: string | null = null;
  #retryAfter: string | null = null;
  /** Observers of the hop in flight; null without taps. */
  #observers: ExchangeObserver[] | null = null;
  /** Record fields the taps set (name -> JSON text); null until one does. */
  fields: Map<string, string> | null = null;
  /** The connection the hop in flight was given, set by the dispatcher (net/peer.ts). */
  [kPeer]: Peer | null = null;
  /** Set while p-retry drives the attempts: resolves each one with "retry it?". */
  #settle: ((again: boolean) => void) | null = null;
  /** undici's resume for the body in flight (after onData returned false). */
  #resumeBody: (() => void) | null = null;
  /** While a backed-up tap holds the body: the attempt's time left (ms); NaN while reading. */
  #pausedLeft = NaN;
  /** This attempt's deadline is in the queue's aside set (paused, or resumed after a pause). */
  #setAside = false;

  constructor(job: Job & { target: Target }, settings: FetchSettings, onDone: (task: UrlTask) => void) {
    this.job = job;
    this.#settings = settings;
    this.#onDone = onDone;
    // -H credentials go to the origin the user named: a URL a recursive crawl found on another
    // origin than its seed's gets the headers without them, as a redirect hop there does.
    const via = job.via;
    const base = via !== undefined && via.parent !== null && !onOrigin(via.seed, job.target.origin) ? settings.crossOriginHeaders : settings.headers;
    this.#ownHeaders = job.target.auth === null ? base : { ...base, authorization: job.target.auth };
    this.#headers = this.#ownHeaders;
  }

  start(): void {
    this.startedAt = performance.now();
    this.#startAttempt();
  }

  // ---- attempts ------------------------------------------------------------------------------

  #startAttempt(): void {
    const target = this.job.target!;
    this.attempts++;
    this.redirects = 0;
    this.finalUrl = null;
    this.#origin = target.origin;
    this.#path = target.path;
    this.#headers = this.#ownHeaders;
    this.#timedOut = false;
    this.#staleResends = 0;
    this.#attemptStart = performance.now();
    this.deadline = this.#attemptStart + this.#settings.timeoutMs;
    this.#deadlineSlot = this.#settings.deadlines.push(this, this.deadline);
    this.#dispatchHop();
  }

  get peerAddress(): string | null {
    return this[kPeer]?.address ?? null;
  }

  get httpVersion(): string | null {
    return this[kPeer]?.httpVersion?.() ?? null;
  }

  setField(name: string, json: string): void {
    (this.fields ??= new Map()).set(name, json);
  }

  #dispatchHop(): void {
    this.status = null;
    this.bytes = 0;
    this.ttfbMs = -1;
    this.#connected = false;
    this.#location = null;
    this.#retryAfter = null;
    this[kPeer] = null;
    // The record describes the last exchange: what the taps said of an earlier hop, attempt or
    // re-send (its Content-Type, its WARC record) must not outlive it.
    this.fields = null;
    const taps = this.#settings.taps;
    if (taps !== null) {
      this.#observers = openObservers(taps, this, {
        origin: this.#origin,
        path: this.#path,
        method: this.#settings.method,
        headers: this.#headers,
        at: Date.now(),
        attempt: this.attempts,
        hop: this.redirects,
      });
    }
    this.#settings.dispatcher.dispatch(
      { origin: this.#origin, path: this.#path, method: this.#settings.method, headers: this.#headers },
      this as unknown as Dispatcher.DispatchHandler,
    );
  }

  /** Called by the DeadlineQueue when this attempt's deadline passes. */
  expire(): void {
    this.#timedOut = true;
    if (this.#abort !== null) this.#abort(new CrawlError('timeout', 'timeout'));
    // Not yet on a socket: onConnect aborts it, or undici's connect timeout (same value) fires.
  }

  #attemptDone(error: CrawlError | null): void {
    // Let the queue drop this task now rather than at its next tick (deadlines.ts says why).
    this.#settings.deadlines.forget(this, this.#deadlineSlot, this.deadline);
    if (this.#setAside) {
      this.#setAside = false;
      this.#settings.deadlines.unqueue(this);
    }
    this.deadline = NaN;
    if (!Number.isNaN(this.#pausedLeft)) {
      // Ended while a tap held its body (aborted by a shutdown, say).
      this.#pausedLeft = NaN;
      this.#settings.paused.delete(this);
    }
    this.error = error;
    const status = this.status;
    const retryable =
      this.attempts <= this.#settings.retries &&
      !this.#settings.signal.aborted &&
      (error !== null || (status !== null && status >= 400)) &&
      isRetryable({ code: error === null ? null : error.code, status, sent: this.#connected }, this.#settings.method);
    const settle = this.#settle;
    if (settle !== null) {
      this.#settle = null;
      settle(retryable);
    } else if (retryable) {
      void this.#retry();
    } else {
      this.#finish();
    }
  }

  async #retry(): Promise<void> {
    const s = this.#settings;
    // Loaded on the first retry only: a crawl where nothing fails never pays for it.
    const { default: pRetry } = await import('p-retry');
    try {
      await pRetry(
        async () => {
          const retryAfterMs = this.#retryAfter === null ? null : parseRetryAfter(this.#retryAfter);
          await sleep(backoffDelay(this.attempts, s.backoff, retryAfterMs), undefined, { signal: s.signal });
          const again = await new Promise<boolean>((resolve) => {
            this.#settle = resolve;
            this.#startAttempt();
          });
          if (again) throw RETRY_AGAIN;
        },
        // p-retry only counts and loops: the wait above is ours (full jitter, Retry-After).
        { retries: s.retries - 1, minTimeout: 0, maxTimeout: 0, factor: 1, signal: s.signal },
      );
    } catch (err) {
      if (err !== RETRY_AGAIN && s.signal.aborted) this.error = new CrawlError('aborted', 'aborted while waiting to retry');
    }
    this.#finish();
  }

  #finish(): void {
    this.endedAt = performance.now();
    if (this.error === null && this.status !== null && this.status >= 400) {
      this.error = new CrawlError('http_status', `HTTP ${this.status}`);
    }
    this.#onDone(this);
  }

  // ---- redirects -----------------------------------------------------------------------------

  #followRedirect(location: string): void {
    if (this.redirects >= this.#settings.maxRedirects) {
      this.#attemptDone(new CrawlError('too_many_redirects', `more than ${this.#settings.maxRedirects} redirects`));
      return;
    }
    let next: URL;
    try {
      next = new URL(location, this.#origin + this.#path);
    } catch {
      this.#attemptDone(new CrawlError('bad_redirect', `unparsable Location: ${redactUrl(location.slice(0, 200), location.length <= 200)}`));
      return;
    }
    const target = fromUrl(next);
    if (typeof target === 'string') {
      this.#attemptDone(new CrawlError('bad_redirect', `redirect refused: ${target}`));
      return;
    }
    next.hash = '';
    // As the record shows it (finalUrl, location): a Location may carry credentials.
    const href = redactUrl(next.href);
    const policy = this.#settings.hopPolicy;
    if (policy !== undefined) {
      const verdict = policy(this.job, target);
      if (verdict instanceof Promise) {
        void verdict.then((v) => this.#afterHopCheck(v, target, href));
        return;
      }
      if (verdict !== null) {
        this.#refuseHop(verdict, href);
        return;
      }
    }
    this.#hop(target, href);
  }

  #refuseHop(verdict: CrawlError | HopStop, href: string): void {
    if (verdict instanceof CrawlError) {
      this.#attemptDone(verdict);
      return;
    }
    this.setField('stopped', JSON.stringify(verdict.reason));
    this.setField('location', JSON.stringify(href));
    this.#attemptDone(null);
  }

  /** The hop policy answered later (robots.txt of a new origin was fetched meanwhile). */
  #afterHopCheck(verdict: HopVerdict, target: Target, href: string): void {
    if (this.#settings.signal.aborted) this.#attemptDone(new CrawlError('aborted', 'aborted by shutdown'));
    else if (this.#timedOut) this.#attemptDone(new CrawlError('timeout', `no complete response within ${this.#settings.timeoutMs} ms`));
    else if (verdict !== null) this.#refuseHop(verdict, href);
    else this.#hop(target, href);
  }

  #hop(target: Target, href: string): void {
    // Credentials (from the URL, or -H Authorization / Cookie / Proxy-Authorization) go only to
    // the origin the user named them for, on every hop; --location-trusted lifts the -H part.
    this.#headers = target.origin === this.job.target!.origin ? this.#ownHeaders : this.#settings.crossOriginHeaders;
    this.redirects++;
    this.finalUrl = href;
    this.#origin = target.origin;
    this.#path = target.path;
    this.#dispatchHop();
  }

  // ---- undici handler (legacy callback API) --------------------------------------------------

  onConnect(abort: AbortFn): void {
    this.#connected = true;
    if (this.#timedOut) {
      abort(new CrawlError('timeout', 'timeout'));
      return;
    }
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume?: () => void, statusText?: string): boolean {
    this.ttfbMs = performance.now() - this.#attemptStart;
    this.#resumeBody = resume ?? null;
    this.status = statusCode;
    if (statusCode >= 300 && statusCode < 400 && statusCode !== 304 && this.#settings.maxRedirects > 0) {
      this.#location = headerValue(rawHeaders, 'location');
    } else if (RETRY_AFTER_STATUSES.has(statusCode)) {
      this.#retryAfter = headerValue(rawHeaders, 'retry-after');
      this.#settings.onThrottle?.(this.#origin, statusCode, this.#retryAfter);
    }
    const observers = this.#observers;
    if (observers !== null) for (const o of observers) o.head(statusCode, statusText ?? '', (rawHeaders ?? []) as Buffer[]);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.#settings.maxBody && this.#abort !== null) {
      this.#abort(new CrawlError('body_too_large', `body larger than ${this.#settings.maxBody} bytes`));
      return false;
    }
    const observers = this.#observers;
    if (observers === null) return true;
    let more = true;
    for (const o of observers) if (o.data(chunk) === false) more = false;
    if (!more && this.#resumeBody !== null) this.#pauseBody();
    return more || this.#resumeBody === null;
  }

  /**
   * A tap cannot keep up: undici stops reading this body (it stays in the socket) until the run
   * calls resumeBody(). The attempt's clock stops meanwhile: a slow disk is not the server's
   * fault, and must not turn into timeouts.
   */
  #pauseBody(): void {
    if (!Number.isNaN(this.#pausedLeft)) return;
    const now = performance.now();
    const deadlines = this.#settings.deadlines;
    this.#pausedLeft = Math.max(0, this.deadline - now);
    deadlines.forget(this, this.#deadlineSlot, this.deadline);
    // A backstop, not a clock: a tap that never drained would hold the run for ever.
    this.deadline = now + this.#pausedLeft + MAX_PAUSE_MS;
    deadlines.pushAside(this);
    this.#setAside = true;
    this.#settings.paused.add(this);
  }

  /** A tap drained: read on, the attempt's clock running again from where it stopped. */
  resumeBody(): void {
    if (Number.isNaN(this.#pausedLeft)) return;
    // Out of the FIFO order (less time left than newer attempts), so kept aside.
    this.deadline = performance.now() + this.#pausedLeft;
    this.#pausedLeft = NaN;
    this.#settings.deadlines.pushAside(this);
    this.#resumeBody?.();
  }

  onComplete(): void {
    this.#abort = null;
    const pending = this.#endExchange(null);
    if (pending === null) this.#completed();
    else void pending.then(() => this.#completed());
  }

  #completed(): void {
    if (this.#location !== null) this.#followRedirect(this.#location);
    else this.#attemptDone(null);
  }

  /** Ends the hop's observers; a promise when one needs time before the URL may go on. */
  #endExchange(error: CrawlError | null): Promise<void> | null {
    const observers = this.#observers;
    if (observers === null) return null;
    this.#observers = null;
    return endObservers(observers, { error, truncated: error !== null && error.code === 'body_too_large' });
  }

  #resend(): void {
    if (this.#settings.signal.aborted) this.onError(new CrawlError('aborted', 'aborted by shutdown'));
    else this.#dispatchHop();
  }

  onError(err: Error): void {
    this.#abort = null;
    if (
      this.status === null &&
      this.#staleResends < STALE_RESENDS &&
      !this.#timedOut &&
      !this.#settings.signal.aborted &&
      isStaleSocketError(err) &&
      IDEMPOTENT_METHODS.has(this.#settings.method)
    ) {
      // The server closed this reused socket as the request went out: not the URL's fault.
      // Same attempt, same deadline; undici has dropped the dead socket. Dispatched after
      // undici has finished tearing that connection down (we are inside its close handler).
      this.#staleResends++;
      void this.#endExchange(new CrawlError('connection_reset', toErrorMessage(err)));
      queueMicrotask(() => this.#resend());
      return;
    }
    let failure: CrawlError;
    if (this.#settings.signal.aborted) failure = new CrawlError('aborted', 'aborted by shutdown');
    else if (this.#timedOut) failure = new CrawlError('timeout', `no complete response within ${this.#settings.timeoutMs} ms`);
    else if (err instanceof CrawlError) failure = err;
    else failure = new CrawlError(toErrorCode(err), toErrorMessage(err));
    const pending = this.#endExchange(failure);
    if (pending === null) this.#attemptDone(failure);
    else void pending.then(() => this.#attemptDone(failure));
  }
}

/** Whether the normalized URL `url` (a seed: scheme://host[:port]/...) is on `origin`. */
function onOrigin(url: string, origin: string): boolean {
  return url.startsWith(origin) && (url.length === origin.length || url.charCodeAt(origin.length) === 47 /* / */);
}
