// --resume: a crawl killed at random points (SIGKILL, and SIGTERM), then resumed, ends with
// exactly one final record per input line in the file.

import { appendFileSync, existsSync, readFileSync, statSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList, type RunResult } from './helpers.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(async () => {
  await tb.close();
});

/** Runs the CLI and sends `signal` once `file` has grown to `bytes` (watched, not polled). */
function runAndKill(args: string[], file: string, bytes: number, signal: NodeJS.Signals): Promise<RunResult> {
  return runCli(args, {
    onSpawn(child) {
      const check = (): void => {
        if (existsSync(file) && statSync(file).size >= bytes) {
          watcher.close();
          child.kill(signal);
        }
      };
      const watcher = watch(dirname(file), check);
      child.once('exit', () => watcher.close());
      check();
    },
  });
}

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
