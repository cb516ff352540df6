import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryable, parseRetryAfter } from '../src/retry.js';

describe('retry policy', () => {
  const policy = { baseMs: 200, maxMs: 10_000 };

  it('full jitter stays within [0, base * 2^(n-1)] and under the cap', () => {
    expect(backoffDelay(1, policy, null, () => 0.999)).toBeLessThanOrEqual(200);
    expect(backoffDelay(3, policy, null, () => 0.999)).toBeLessThanOrEqual(800);
    expect(backoffDelay(3, policy, null, () => 0.5)).toBe(400);
    expect(backoffDelay(3, policy, null, () => 0)).toBe(0);
    expect(backoffDelay(30, policy, null, () => 0.999)).toBeLessThanOrEqual(10_000);
  });

  it('Retry-After is the minimum wait, capped by the max delay', () => {
    expect(backoffDelay(1, policy, 3000, () => 0.1)).toBe(3000);
    expect(backoffDelay(1, policy, 60_000, () => 0.1)).toBe(10_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('Sun, 22 Nov 2026 10:00:00 GMT');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });

  it('retries the documented statuses and network errors for idempotent methods', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) {
      expect(isRetryable({ code: null, status, sent: true }, 'GET')).toBe(true);
    }
    for (const status of [400, 401, 403, 404, 501]) {
      expect(isRetryable({ code: null, status, sent: true }, 'GET')).toBe(false);
    }
    expect(isRetryable({ code: 'connection_reset', status: null, sent: true }, 'HEAD')).toBe(true);
    expect(isRetryable({ code: 'body_too_large', status: 200, sent: true }, 'GET')).toBe(false);
    // A response that breaks HTTP would break it again: no retry, whatever the method.
    expect(isRetryable({ code: 'protocol', status: null, sent: true }, 'GET')).toBe(false);
    expect(isRetryable({ code: 'protocol', status: 200, sent: true }, 'PUT')).toBe(false);
  });

  it('retries a POST only when it never reached a socket', () => {
    expect(isRetryable({ code: 'connect_refused', status: null, sent: false }, 'POST')).toBe(true);
    expect(isRetryable({ code: 'connection_reset', status: null, sent: true }, 'POST')).toBe(false);
    expect(isRetryable({ code: null, status: 503, sent: true }, 'POST')).toBe(false);
  });
});
