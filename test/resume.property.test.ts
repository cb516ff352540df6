// Property: whatever record file a run wrote, cut at any byte (a kill), scanResume keeps exactly
// the final records that were whole before the cut, and leaves the file ending at its last
// newline: the whole records byte for byte, nothing of the torn one.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../src/errors.js';
import type { Job } from '../src/input.js';
import { scanResume } from '../src/polite/resume.js';
import { skippedRecord, unfetchedRecord } from '../src/record.js';
import { anyString, fc } from './property.js';

const dir = mkdtempSync(join(tmpdir(), 'sweep-resume-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job = (line: number, url: string): Job => ({ line, url, target: null, invalid: null });
const codes: ErrorCode[] = ['aborted', 'timeout', 'invalid_url', 'http_status', 'robots_disallowed'];

/** One record as sweep writes it, and whether it is final. */
const aRecord = fc
  .record({ line: fc.integer({ min: 1, max: 40 }), url: anyString(30), message: anyString(20), kind: fc.constantFrom(...codes, 'duplicate') })
  .map(({ line, url, message, kind }) => ({
    line,
    final: kind !== 'aborted',
    text: kind === 'duplicate' ? skippedRecord(job(line, url), 'duplicate') : unfetchedRecord(job(line, url), kind as ErrorCode, message),
  }));

describe('scanResume (property)', () => {
  it('a record file cut at any byte keeps the whole final records and ends at its last newline', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(aRecord, { maxLength: 10 }), fc.nat(), fc.integer({ min: 2, max: 48 }), async (records, at, chunkBytes) => {
        const bytes = Buffer.from(records.map((r) => r.text).join(''), 'utf8');
        const cut = at % (bytes.length + 1);
        const file = join(dir, `r${run++}.ndjson`);
        writeFileSync(file, bytes.subarray(0, cut));

        const state = await scanResume(file, chunkBytes);

        // The model: records whose every byte, newline included, came before the cut.
        let end = 0;
        const whole = records.filter((r) => (end += Buffer.byteLength(r.text)) <= cut);
        const keep = whole.reduce((n, r) => n + Buffer.byteLength(r.text), 0);
        expect(readFileSync(file).equals(bytes.subarray(0, keep))).toBe(true);
        expect(state.tornBytes).toBe(cut - keep);
        expect(state.records).toBe(whole.length);
        expect(state.unreadable).toBe(0);
        const finals = new Set(whole.filter((r) => r.final).map((r) => r.line));
        expect(state.final.size).toBe(finals.size);
        for (let line = 1; line <= 40; line++) expect(state.final.has(line)).toBe(finals.has(line));
      }),
      { numRuns: Number(process.env.RUNS ?? 200) },
    );
  });

  it('complete lines that are not records are counted, never fatal, never final', async () => {
    const junk = fc.oneof(
      anyString(30).filter((s) => !s.includes('\n')),
      fc.constantFrom('{"line":0}', '{"line":-1}', '{"line":1e15}', '{"line":1.5}', '{"line":"7"}', 'null', '[]', '{"line":4294967296}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { maxLength: 8 }), async (lines) => {
        const file = join(dir, 'junk.ndjson');
        const text = lines.map((l) => l + '\n').join('');
        writeFileSync(file, text);
        const state = await scanResume(file, 7);
        expect(state.final.size + state.records).toBeLessThanOrEqual(lines.length);
        for (const l of lines) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(l);
          } catch {
            continue;
          }
          const line = (parsed as { line?: unknown } | null)?.line;
          if (typeof line === 'number' && Number.isInteger(line) && line >= 1 && line <= 0xffffffff) expect(state.final.has(line)).toBe(true);
        }
        expect(readFileSync(file).equals(Buffer.from(text))).toBe(true); // nothing cut: every line is whole
      }),
      { numRuns: 200 },
    );
  });
});
