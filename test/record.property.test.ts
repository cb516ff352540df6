// Property: a record is one line of valid JSON, whatever the URL and the error message hold
// (quotes, backslashes, control characters, U+2028, NUL, lone surrogates), and it parses back to
// exactly the values it was built from.
//
// Lone surrogates (a UTF-16 half with no partner) cannot be encoded in UTF-8. JSON.stringify
// writes them as \udXXX escapes (well-formed JSON.stringify, ES2019), so the line stays valid
// UTF-8 and parses back to the very same string. sweep itself does not produce them: input is
// decoded from UTF-8, and the places that shorten text (an over-long line's head, a long error
// message) cut at a character boundary.

import { describe, expect, it } from 'vitest';
import { toErrorMessage, type CrawlError, type ErrorCode } from '../src/errors.js';
import type { UrlTask } from '../src/fetcher.js';
import type { Job } from '../src/input.js';
import { skippedRecord, taskRecord, unfetchedRecord, type CrawlRecord } from '../src/record.js';
import { anyString, fc } from './property.js';

const job = (line: number, url: string): Job => ({ line, url, target: null, invalid: null });
const code = fc.constantFrom<ErrorCode>('timeout', 'connection_reset', 'http_status', 'aborted', 'network', 'invalid_url');
const text = fc.oneof(anyString(60), fc.constantFrom('"', '\\', '\n', '\r\n', '\u2028\u2029', '\0', '</script>', '\ud83d', '\ude00x'));

/** Checks the framing and returns the parsed record. */
function oneLine(out: string): CrawlRecord {
  expect(out.endsWith('\n')).toBe(true);
  expect(out.indexOf('\n')).toBe(out.length - 1); // no raw newline inside
  expect(out).not.toMatch(/\r/);
  // What is written is what is read back: the line is well-formed UTF-16, so valid UTF-8.
  expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
  return JSON.parse(out) as CrawlRecord;
}

describe('records (property)', () => {
  it('taskRecord: any URL, final URL and message give one line that parses back to them', () => {
    fc.assert(
      fc.property(
        fc.record({
          line: fc.integer({ min: 1, max: 2 ** 32 }),
          url: text,
          finalUrl: fc.option(text),
          status: fc.option(fc.integer({ min: 100, max: 599 })),
          error: fc.option(fc.record({ code, message: text })),
          bytes: fc.nat(),
          attempts: fc.nat({ max: 10 }),
          redirects: fc.nat({ max: 10 }),
          ms: fc.double({ min: 0, max: 1e7, noNaN: true }),
          ttfbMs: fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 1e7, noNaN: true })),
        }),
        (t) => {
          const task = {
            job: job(t.line, t.url),
            status: t.status,
            bytes: t.bytes,
            attempts: t.attempts,
            redirects: t.redirects,
            startedAt: 1000,
            endedAt: 1000 + t.ms,
            ttfbMs: t.ttfbMs,
            finalUrl: t.finalUrl,
            error: t.error as CrawlError | null,
            fields: null,
          } as unknown as UrlTask;
          const rec = oneLine(taskRecord(task));
          expect(rec.line).toBe(t.line);
          expect(rec.url).toBe(t.url);
          expect(rec.finalUrl).toBe(t.finalUrl ?? t.url);
          expect(rec.status).toBe(t.status);
          expect(rec.ok).toBe(t.error === null);
          expect(rec.error).toEqual(t.error === null ? null : { code: t.error.code, message: t.error.message });
          expect(rec.ttfbMs === null).toBe(t.ttfbMs < 0);
          expect(Math.abs(rec.ms - t.ms)).toBeLessThanOrEqual(0.05 + t.ms * 1e-12);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('unfetchedRecord and skippedRecord: any URL and message give one line that parses back to them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), text, code, text, (line, url, c, message) => {
        const unfetched = oneLine(unfetchedRecord(job(line, url), c, message));
        expect(unfetched).toMatchObject({ line, url, ok: false, status: null, attempts: 0, finalUrl: null });
        expect(unfetched.error).toEqual({ code: c, message });
        const skipped = oneLine(skippedRecord(job(line, url), 'duplicate'));
        expect(skipped).toMatchObject({ line, url, ok: false, error: null, skipped: 'duplicate' });
      }),
      { numRuns: 500 },
    );
  });

  it('toErrorMessage: one line of at most 300 characters, never a cut character', () => {
    // Long messages of emoji and whitespace, so that the cut at 300 lands inside a pair often.
    const long = fc.array(fc.constantFrom('a', '😀', ' ', '\n', 'é'), { minLength: 300, maxLength: 400 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(anyString(400), long), fc.boolean(), (message, asError) => {
        // Anything may be thrown: an Error, or a bare string.
        const out = toErrorMessage(asError ? new Error(message) : message);
        expect(out.length).toBeLessThanOrEqual(300);
        expect(out).not.toMatch(/[\n\r\u2028\u2029]/);
        // Only a surrogate that was alone in the message may be alone in the result.
        if (message.isWellFormed()) expect(out.isWellFormed()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
