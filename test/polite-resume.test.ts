// --resume: a crawl killed at random points (SIGKILL, and SIGTERM), then resumed, ends with
// exactly one final record per input line in the file.

import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runAndKill, runCli, tempDir, tempList } from './helpers.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(async () => {
  await tb.close();
});

function readRecords(file: string): CrawlRecord[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CrawlRecord);
}

describe('--resume', () => {
  it('after several SIGKILLs at random points, a SIGTERM and a torn last line, every line has exactly one final record', async () => {
    const N = 300;
    const list = tempList(Array.from({ length: N }, (_, i) => `${tb.url}/delay/15/${i}`));
    const out = join(tempDir(), 'out.ndjson');
    const args = ['-q', '-c', '8', '--per-host', '4', '--resume', out, list];
    const recordBytes = 190; // about, for these URLs
    // Kill points: random fractions of the full output, recorded for the failure message.
    const points = [0.1 + Math.random() * 0.2, 0.35 + Math.random() * 0.2, 0.6 + Math.random() * 0.2];
    const context = `kill points ${points.map((p) => p.toFixed(2)).join(', ')}`;
    for (const p of points) {
      const r = await runAndKill(args, out, Math.floor(p * N * recordBytes), 'SIGKILL');
      expect(r.signal, context).toBe('SIGKILL');
    }
    // A torn record, as a kill in the middle of a write leaves it.
    appendFileSync(out, '{"line":7,"url":"http://torn');
    // SIGTERM: requests in flight finish; jobs waiting in the host gate get `aborted` records.
    const term = await runAndKill(args, out, statSync(out).size + 10 * recordBytes, 'SIGTERM');
    expect(term.code, context).toBe(143);
    const aborted = readRecords(out).filter((x) => x.error?.code === 'aborted');
    expect(aborted.length, context).toBeGreaterThan(0);

    tb.resetCounters();
    const last = await runCli(['--no-progress', ...args.slice(1)]);
    expect(last.code, context).toBe(0);
    expect(last.stdout).toBe('');
    expect(last.stderr).toMatch(/resume\s+\d+ lines already done/);

    const records = readRecords(out);
    const finals = new Map<number, number>();
    for (const rec of records) if (rec.error?.code !== 'aborted') finals.set(rec.line, (finals.get(rec.line) ?? 0) + 1);
    const missing = Array.from({ length: N }, (_, i) => i + 1).filter((l) => finals.get(l) !== 1);
    expect(missing, context).toEqual([]);
    expect(finals.size).toBe(N);
    // The last run fetched only what was left, not the whole list again.
    expect(tb.counters.requests, context).toBeLessThan(N);
  });

  it('a finished file resumes to nothing; a missing file starts fresh', async () => {
    const list = tempList(Array.from({ length: 20 }, (_, i) => `${tb.url}/p/${i}`));
    const out = join(tempDir(), 'fresh.ndjson');
    const first = await runCli(['-q', '--resume', out, list]);
    expect(first.code).toBe(0);
    expect(readRecords(out)).toHaveLength(20);
    tb.resetCounters();
    const again = await runCli(['--resume', out, list]);
    expect(again.code).toBe(0);
    expect(tb.counters.requests).toBe(0);
    expect(readRecords(out)).toHaveLength(20);
    expect(again.stderr).toMatch(/resume\s+20 lines already done/);
  });

  it('re-crawls lines whose record is aborted, keeps final failures', async () => {
    const list = tempList([`${tb.url}/p/1`, `${tb.url}/p/2`, `${tb.url}/status/500/3`]);
    const out = join(tempDir(), 'prev.ndjson');
    appendFileSync(
      out,
      [
        `{"line":1,"url":"${tb.url}/p/1","ok":false,"status":null,"bytes":0,"attempts":0,"ms":0,"ttfbMs":null,"redirects":0,"finalUrl":null,"error":{"code":"aborted","message":"x"}}`,
        `{"line":3,"url":"${tb.url}/status/500/3","ok":false,"status":500,"bytes":0,"attempts":3,"ms":1,"ttfbMs":1,"redirects":0,"finalUrl":null,"error":{"code":"http_status","message":"HTTP 500"}}`,
        '',
      ].join('\n'),
    );
    tb.resetCounters();
    const r = await runCli(['-q', '--resume', out, list]);
    expect(r.code).toBe(0);
    expect(tb.counters.requests).toBe(2); // lines 1 and 2
    const lines = readRecords(out).map((x) => `${x.line}:${x.error?.code ?? 'ok'}`);
    expect(lines.slice(0, 2)).toEqual(['1:aborted', '3:http_status']);
    expect(lines.slice(2).sort()).toEqual(['1:ok', '2:ok']);
  });
});

// Every shape of file a kill can leave behind, resumed through the CLI. The empty file crashed
// 0.1 (`createReadStream(..., { end: -1 })`): a crawl SIGKILLed before its first batch of records.
// Concurrent: each shape has its own URLs (/flaky/0/... answers 200 and counts hits per path).
describe.concurrent('--resume on what a kill leaves', () => {
  const N = 4;
  const urls = (shape: number): string[] => Array.from({ length: N }, (_, i) => `${tb.url}/flaky/0/shape${shape}-${i + 1}`);
  const fetched = (shape: number): number => [...tb.counters.hits.keys()].filter((p) => p.startsWith(`/flaky/0/shape${shape}-`)).length;
  const record = (line: number, code: string | null = null): string =>
    JSON.stringify({
      line,
      url: `http://h.test/p/shape-${line}`, // resume matches by line number, not URL
      ok: code === null,
      status: code === null ? 200 : null,
      bytes: 0,
      attempts: 1,
      ms: 1,
      ttfbMs: null,
      redirects: 0,
      finalUrl: null,
      error: code === null ? null : { code, message: 'x' },
    }) + '\n';
  const torn = (line: number): Buffer => Buffer.from(record(line).slice(0, 40));

  interface Shape {
    name: string;
    /** File contents before the run; null: no file. */
    before: Buffer | null;
    /** How many bytes at the end are torn (must be cut). */
    tornBytes: number;
    /** Lines whose final record is already in the file (not fetched again). */
    done: number[];
  }
  const shapes = (): Shape[] => {
    const whole = Buffer.from(record(1) + record(2));
    // "é€" is 2 + 3 bytes; cut inside the euro sign.
    const utf8 = Buffer.concat([whole, Buffer.from('{"line":3,"url":"http://h.test/é€', 'utf8').subarray(0, -1)]);
    return [
      { name: 'missing', before: null, tornBytes: 0, done: [] },
      { name: 'empty (0 bytes)', before: Buffer.alloc(0), tornBytes: 0, done: [] },
      { name: 'only newlines', before: Buffer.from('\n\n\n'), tornBytes: 0, done: [] },
      { name: 'only a torn line', before: torn(1), tornBytes: 40, done: [] },
      { name: 'a torn line after whole records', before: Buffer.concat([whole, torn(3)]), tornBytes: 40, done: [1, 2] },
      { name: 'a torn multi-byte UTF-8 character', before: utf8, tornBytes: utf8.length - whole.length, done: [1, 2] },
      { name: 'the last record aborted', before: Buffer.from(record(1) + record(2) + record(3, 'aborted')), tornBytes: 0, done: [1, 2] },
    ];
  };

  shapes().forEach((shape, id) => {
    it(`${shape.name}: one final record per line, torn bytes cut, only the rest fetched`, async ({ expect }) => {
      const list = tempList(urls(id));
      const dir = tempDir();
      const out = join(dir, 'out.ndjson');
      const summary = join(dir, 'summary.json');
      if (shape.before !== null) writeFileSync(out, shape.before);
      const r = await runCli(['-q', '--summary-json', summary, '--resume', out, list]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const after = readFileSync(out);
      // What was whole stays byte for byte; the torn tail is gone, not parsed, not kept.
      const kept = shape.before === null ? Buffer.alloc(0) : shape.before.subarray(0, shape.before.length - shape.tornBytes);
      expect(after.subarray(0, kept.length).equals(kept)).toBe(true);
      const records = readRecords(out);
      const finals = records.filter((x) => x.error?.code !== 'aborted').map((x) => x.line).sort((a, b) => a - b);
      expect(finals).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(fetched(id)).toBe(N - shape.done.length);
      const s = JSON.parse(readFileSync(summary, 'utf8')) as { polite: { resume: { alreadyFinal: number; skipped: number; tornBytesCut: number } } };
      expect(s.polite.resume).toMatchObject({ alreadyFinal: shape.done.length, skipped: shape.done.length, tornBytesCut: shape.tornBytes });
    });
  });
});
