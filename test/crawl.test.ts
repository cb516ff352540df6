// The CLI against the loopback testbed: real sockets, real child processes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(async () => {
  await tb.close();
});
beforeEach(() => tb.resetCounters());

const byLine = <T extends { line: number }>(records: T[]): T[] => [...records].sort((a, b) => a.line - b.line);

describe('crawl', () => {
  it('writes exactly one record per non-skipped line, from stdin', async () => {
    const input = [
      `${tb.url}/p/1`,
      '',
      '# a comment',
      `${tb.url}/status/404/2`,
      'not a url',
      `${tb.url}/redirect/2/3`,
      `${tb.url}/p/4`,
    ].join('\n');
    const r = await runCli(['--no-progress', '-q'], { stdin: input });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const recs = byLine(r.records);
    expect(recs.map((x) => x.line)).toEqual([1, 4, 5, 6, 7]);
    expect(recs[0]).toMatchObject({ ok: true, status: 200, attempts: 1, redirects: 0, error: null, finalUrl: `${tb.url}/p/1` });
    expect(recs[0]!.bytes).toBeGreaterThan(300);
    expect(recs[1]).toMatchObject({ ok: false, status: 404, error: { code: 'http_status' } });
    expect(recs[2]).toMatchObject({ ok: false, status: null, attempts: 0, error: { code: 'invalid_url' } });
    expect(recs[3]).toMatchObject({ ok: true, status: 200, redirects: 2, finalUrl: `${tb.url}/p/3` });
  });

  it('never has more than -c requests in flight at the server, and reaches -c on one host', async () => {
    const list = tempList(Array.from({ length: 35 }, (_, i) => `${tb.url}/delay/200/${i}`));
    const r = await runCli(['-c', '7', '-q', list]);
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(35);
    expect(tb.counters.maxInFlight).toBe(7);
  });

  it('reuses keep-alive sockets: 1,000 URLs at -c 10 open at most 10 connections', async () => {
    const list = tempList(Array.from({ length: 1000 }, (_, i) => `${tb.url}/p/${i}`));
    const r = await runCli(['-c', '10', '-q', list]);
    expect(r.records.filter((x) => x.ok)).toHaveLength(1000);
    expect(tb.counters.requests).toBe(1000);
    expect(tb.counters.connections).toBeLessThanOrEqual(10);
  });

  it('retries a flaky route and says how many attempts it took', async () => {
    const r = await runCli(['-q', '--retry-delay', '5'], { stdin: `${tb.url}/flaky/2/a\n${tb.url}/flaky/5/b\n` });
    const [a, b] = byLine(r.records);
    expect(a).toMatchObject({ ok: true, status: 200, attempts: 3 });
    expect(b).toMatchObject({ ok: false, status: 503, attempts: 3, error: { code: 'http_status' } });
    expect(tb.counters.hits.get('/flaky/5/b')).toBe(3);
  });

  it('waits at least the Retry-After a 429 asks for', async () => {
    const r = await runCli(['-q', '--retry-delay', '1'], { stdin: `${tb.url}/retry-after/1/x\n` });
    expect(r.records[0]).toMatchObject({ ok: true, attempts: 2 });
    const [first, second] = tb.counters.arrivals.get('/retry-after/1/x')!;
    expect(second! - first!).toBeGreaterThanOrEqual(950);
  });

  it('caps Retry-After at --retry-max-delay', async () => {
    const r = await runCli(['-q', '--retry-delay', '1', '--retry-max-delay', '50'], { stdin: `${tb.url}/retry-after/30/y\n` });
    expect(r.records[0]).toMatchObject({ ok: true, attempts: 2 });
    expect(r.records[0]!.ms).toBeLessThan(20_000);
  });

  it('times out a hanging route', async () => {
    const r = await runCli(['-q', '-t', '300', '-r', '1', '--retry-delay', '1'], { stdin: `${tb.url}/hang/1\n` });
    expect(r.records[0]).toMatchObject({ ok: false, status: null, attempts: 2, error: { code: 'timeout' } });
    expect(r.records[0]!.ms).toBeGreaterThanOrEqual(600);
  });

  it('stops reading a body over --max-body', async () => {
    const r = await runCli(['-q', '--max-body', '1000'], { stdin: `${tb.url}/big/1000000/1\n${tb.url}/p/2\n` });
    const [big, small] = byLine(r.records);
    expect(big).toMatchObject({ ok: false, status: 200, attempts: 1, error: { code: 'body_too_large' } });
    expect(small).toMatchObject({ ok: true });
  });

  it('reports too_many_redirects for a loop, and the 3xx as is with --max-redirects 0', async () => {
    const r = await runCli(['-q'], { stdin: `${tb.url}/loop/1\n` });
    expect(r.records[0]).toMatchObject({ ok: false, status: 302, redirects: 5, error: { code: 'too_many_redirects' } });
    const zero = await runCli(['-q', '--max-redirects', '0'], { stdin: `${tb.url}/redirect/1/1\n` });
    expect(zero.records[0]).toMatchObject({ ok: true, status: 302, redirects: 0, error: null });
  });

  it('records connection refused without crashing', async () => {
    const r = await runCli(['-q', '-r', '0'], { stdin: 'http://127.0.0.1:1/x\n' });
    expect(r.records[0]).toMatchObject({ ok: false, error: { code: 'connect_refused' } });
  });

  it('writes records to -o and the summary as JSON', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.ndjson');
    const summary = join(dir, 'summary.json');
    const r = await runCli(['-o', out, '--summary-json', summary], { stdin: `${tb.url}/p/1\n${tb.url}/status/500/2\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/records\s+2\s+ok 1\s+failed 1/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s).toMatchObject({ schema: 'sweep.summary/1', records: 2, ok: 1, failed: 1, statuses: { '200': 1, '500': 1 } });
    expect(s.retries).toBe(2);
  });

  it('sends the User-Agent and extra headers', async () => {
    const r = await runCli(['-q', '-A', 'probe/1', '-H', 'X-Test: yes'], { stdin: `${tb.url}/p/1\n` });
    expect(r.records[0]!.ok).toBe(true);
  });

  it('an empty input is a summary of zeros and exit 0', async () => {
    const r = await runCli(['--no-progress'], { stdin: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/records\s+0/);
  });
});

describe('usage errors: exit 2, one line naming the problem, nothing fetched', () => {
  for (const [args, pattern] of [
    [['-c', '0'], /--concurrency.*'0'/],
    [['-c', 'abc'], /--concurrency.*'abc'/],
    [['-t', '-5'], /--timeout.*'-5'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['missing-file.txt'], /cannot read input file 'missing-file.txt'/],
    [['--log-level', 'loud'], /--log-level/],
    [['-H', 'no colon'], /--header/],
  ] as const) {
    it(`${args.join(' ')}`, async () => {
      const r = await runCli([...args, '-'], { stdin: `${tb.url}/p/1\n` });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(tb.counters.requests).toBe(0);
    });
  }

  it('--version and --help exit 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--concurrency/);
  });
});
