// Property: readJobs cuts lines the same way whatever the chunking. Any bytes (URLs, junk, CRLF,
// blank and `#` lines, NUL, invalid UTF-8, lines around MAX_URL_LENGTH), split into any chunks,
// give the same jobs (line numbers, urls, targets, invalid reasons) and the same counters as the
// whole input read as one chunk.

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJobs, type InputProgress, type Job } from '../src/input.js';
import { MAX_URL_LENGTH } from '../src/target.js';
import { anyString, fc } from './property.js';

const progress = (): InputProgress => ({ bytesRead: 0, bytesTotal: null, linesRead: 0, skipped: 0, done: false });

async function read(chunks: Buffer[]): Promise<{ jobs: Job[]; progress: InputProgress }> {
  const p = progress();
  const jobs: Job[] = [];
  // Readable.from is in object mode: each Buffer arrives as one chunk, as cut.
  for await (const batch of readJobs(['-'], p, Readable.from(chunks))) jobs.push(...batch);
  return { jobs, progress: p };
}

/** Cuts `bytes` at the given offsets (any order, duplicates and out-of-range ones included). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p)); // empty chunks too: a stream may deliver them
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const piece: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('\n', '\r\n', '\r', '#', ' ', '\t', '\0', '@', ':', '/').map(text) },
  {
    weight: 6,
    arbitrary: fc
      .constantFrom('http://a.test/x', 'https://B.test:443/p?q=1#f', 'http://user:pw@h.test/', 'ftp://x/', 'not a url', '# comment', 'http://bücher.example/ä')
      .map(text),
  },
  { weight: 4, arbitrary: anyString(20).map(text) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)) }, // invalid UTF-8 too
  // Multi-byte characters, to be cut between their bytes.
  { weight: 2, arbitrary: fc.constantFrom('é', '€', '😀', '\u2028').map(text) },
  // Rare, and only around the limit: reading 64 Ki characters takes real time.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: -2, max: 2 }), fc.constantFrom('a', ' ', '😀'), fc.constantFrom('', 'http://h.test/', '  #'))
      .map(([d, fill, head]) => text(head + fill.repeat(Math.ceil((MAX_URL_LENGTH + d - head.length) / fill.length)))),
  },
);
const input = fc.array(piece, { maxLength: 30 }).map((pieces) => Buffer.concat(pieces));

describe('readJobs (property)', () => {
  it('any bytes in any chunks give the same jobs and counters as one chunk', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 12 }), async (bytes, at) => {
        const whole = await read([bytes]);
        const split = await read(cut(bytes, at));
        expect(split.jobs).toEqual(whole.jobs);
        expect(split.progress).toEqual(whole.progress);
      }),
      { numRuns: Number(process.env.RUNS ?? 300) },
    );
  });

  it('every line that is not blank or a comment gives exactly one job, numbered by its line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyString(30).filter((s) => !/[\n\r]/.test(s)), { maxLength: 20 }), async (lines) => {
        const { jobs, progress: p } = await read([text(lines.join('\n'))]);
        // What a reader of the README expects, from the lines as decoded (the input is valid UTF-8
        // except for lone surrogates, which the encoder already turned into U+FFFD).
        const decoded = text(lines.join('\n')).toString('utf8').split('\n');
        if (decoded.at(-1) === '') decoded.pop(); // a newline ends a line; it does not start one
        const expected = decoded.flatMap((l, i) => {
          const t = l.trim();
          return t === '' || t.startsWith('#') ? [] : [i + 1];
        });
        expect(jobs.map((j) => j.line)).toEqual(expected);
        expect(p.linesRead).toBe(decoded.length);
      }),
      { numRuns: 300 },
    );
  });
});
