// Retry policy as data (after undici's RetryHandler): which failures are worth another attempt,
// and how long to wait before it. The fetcher consults this only after an attempt has failed,
// so none of it runs on the success path.

import type { ErrorCode } from './errors.js';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

// Not here, on purpose: `protocol` (a response that breaks HTTP is broken the same way the next
// time), `tls`, `body_too_large`, redirect errors, `invalid_url`, `robots_disallowed`.
export const RETRYABLE_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'timeout',
  'connect_refused',
  'connection_reset',
  'dns',
  'network',
]);

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Statuses whose Retry-After header sets the minimum wait. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

export interface BackoffPolicy {
  /** Base of the exponential backoff, ms. */
  baseMs: number;
  /** Cap on any one wait, Retry-After included, ms. */
  maxMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): "full jitter"
 * (uniform in [0, min(cap, base * 2^(retry-1))]), raised to Retry-After when the server gave one,
 * and never above the cap.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const jittered = random() * ceiling;
  const wait = retryAfterMs !== null && retryAfterMs > jittered ? retryAfterMs : jittered;
  return Math.min(wait, policy.maxMs);
}

/** Parses Retry-After: delta-seconds or an HTTP date. Returns ms (>= 0) or null when absent/invalid. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  if (Number.isNaN(when)) return null;
  return Math.max(0, when - now);
}

/**
 * Whether a failed attempt may be retried. Non-idempotent methods are retried only when the
 * request never reached a socket (connect-phase errors), so a POST is never sent twice.
 */
export function isRetryable(
  failure: { code: ErrorCode | null; status: number | null; sent: boolean },
  method: string,
): boolean {
  if (!IDEMPOTENT_METHODS.has(method)) {
    return !failure.sent && failure.code !== null && RETRYABLE_ERRORS.has(failure.code);
  }
  if (failure.code !== null) return RETRYABLE_ERRORS.has(failure.code);
  return failure.status !== null && RETRYABLE_STATUSES.has(failure.status);
}
