// sweep bench as a user runs it: the real CLI, the real testbed (its own process), real sockets.
// No wall-clock figure is asserted, only relations that hold on any machine with wide margins.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/bench/report-types.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runCli, tempDir, tempList } from './helpers.js';

const schema = JSON.parse(readFileSync(new URL('../schemas/bench.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);
const readReport = (path: string): BenchReport => JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
/** A small, quick bench: enough to check shape and relations, not to measure. */
const QUICK = ['--runs', '1', '--sizes', '3', '--delay', '20', '--count', '200', '-c', '8'];

/** An in-process loopback server for the FILE and plain-crawl tests (the bench starts its own). */
let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(async () => {
  await tb.close();
});

describe('sweep bench (testbed)', () => {
  const dir = tempDir();
  const json = join(dir, 'bench.json');
  const markdown = join(dir, 'summary.md');
  let stderr = '';
  let code: number | null = null;

  beforeAll(async () => {
    writeFileSync(markdown, '# CI summary\n\nearlier content\n');
    const r = await runCli(['bench', '--runs', '2', '--sizes', '5,20', '--delay', '100', '--count', '400', '-c', '8',
      '--json', json, '--markdown', markdown, '--fail-on', 'rps<1,efficiency<0.01']);
    stderr = r.stderr;
    code = r.code;
  }, 120_000);

  it('writes a --json report that validates against schemas/bench.schema.json', () => {
    expect(code).toBe(0);
    const report = readReport(json);
    const valid = validate(report);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(report.mode).toBe('testbed');
    expect(report.machine.cpus).toBeGreaterThanOrEqual(1);
    expect(report.latency!.rows.map((r) => r.n)).toEqual([5, 20]);
    expect(report.latency!.rows.every((r) => r.runs.length === 2)).toBe(true);
    expect(report.throughput!.runs.map((r) => r.records)).toEqual([400, 400]);
  });

  it('runs the baseline really sequentially at the server (1 in flight), the pool concurrently and never above N', () => {
    for (const row of readReport(json).latency!.rows) {
      for (const run of row.runs) {
        expect(run.sequentialMaxInFlight).toBe(1);
        // Not exactly N: on a starved machine the last connection can open after the first
        // response (100 ms) is out. More than one at once, and never more than N.
        expect(run.pooledMaxInFlight).toBeGreaterThan(1);
        expect(run.pooledMaxInFlight).toBeLessThanOrEqual(row.n);
        expect(run.failed).toBe(0);
      }
    }
    for (const run of readReport(json).throughput!.runs) expect(run.serverMaxInFlight).toBeLessThanOrEqual(8);
  });

  it('a pool of 20 over 100 ms responses takes less than half the sequential time', () => {
    const row = readReport(json).latency!.rows.find((r) => r.n === 20)!;
    for (const run of row.runs) expect(run.pooledMs).toBeLessThan(run.sequentialMs / 2);
    expect(row.speedup.median).toBeGreaterThan(2);
    expect(row.speedup.min).toBeLessThanOrEqual(row.speedup.median);
    expect(row.speedup.median).toBeLessThanOrEqual(row.speedup.max);
    // The headline metrics are the largest N's.
    expect(readReport(json).metrics.speedup).toBe(row.speedup.median);
  });

  it('prints the table, the throughput figures and a latency histogram on stderr', () => {
    expect(stderr).toMatch(/N\s+sequential s\s+pooled s\s+speedup\s+ideal\s+efficiency/);
    expect(stderr).toMatch(/^\s+20\s+[\d.]+.*\s20x\s/m);
    expect(stderr).toMatch(/requests\/s\s+[\d,]+/);
    expect(stderr).toMatch(/CPU per 1k req\s+[\d.]+/);
    expect(stderr).toMatch(/ms \[\d+\]\t\|/);
    expect(stderr).toContain('sweep: gates passed: rps<1, efficiency<0.01');
  });

  it('appends a markdown section after what the file already held', () => {
    const md = readFileSync(markdown, 'utf8');
    expect(md.startsWith('# CI summary\n\nearlier content\n')).toBe(true);
    expect(md).toContain('### sweep bench (testbed)');
    expect(md).toMatch(/\| N \| sequential s \| pooled s \| speedup \| ideal \| efficiency \|/);
    expect(md).toMatch(/\| 20 \| [\d.]+/);
    expect(md).toContain('passed: `rps<1`');
  });

  it('--compare exits 1 on a planted throughput regression, and 0 against a slower report', async () => {
    const report = readReport(json);
    const faster = join(dir, 'faster.json');
    // The "previous" run was 100x faster with a 100x lower p99: today's run is a regression.
    writeFileSync(faster, JSON.stringify({ ...report, metrics: { ...report.metrics, rps: report.metrics.rps! * 100, p99: report.metrics.p99! / 100 } }));
    const bad = await runCli(['bench', ...QUICK, '--compare', faster, '--max-regression', '10%']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/requests\/s .*REGRESSION/);
    expect(bad.stderr).toMatch(/p99 ms .*REGRESSION/);
    expect(bad.stderr).toContain('Result: regression beyond the allowance.');

    const slower = join(dir, 'slower.json');
    writeFileSync(slower, JSON.stringify({ ...report, metrics: { ...report.metrics, rps: report.metrics.rps! / 1000, p99: report.metrics.p99! * 1000 } }));
    const good = await runCli(['bench', ...QUICK, '--compare', slower]);
    expect(good.code).toBe(0);
    expect(good.stderr).toContain('Result: no regression beyond the allowance.');
  });
});

describe('sweep bench gates and usage errors', () => {
  it('exits 1 when a gate holds, says which and by how much, and still writes the report', async () => {
    const json = join(tempDir(), 'b.json');
    const r = await runCli(['bench', ...QUICK, '--json', json, '--fail-on', 'rps>1,p99>1000s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sweep: gate failed: rps>1 \(rps was [\d.]+, [\d.]+ above the limit 1\)/);
    expect(r.stderr).not.toContain('p99>1000s');
    expect(validate(readReport(json))).toBe(true);
  });

  it('rejects an unknown metric with exit 2 and one line naming --fail-on, before measuring anything', async () => {
    const r = await runCli(['bench', '--fail-on', 'p95>100ms']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--fail-on.*unknown metric 'p95'/);
    expect(r.stderr).not.toContain('testbed');
  });

  it('rejects a --compare file that is not a bench report with exit 2', async () => {
    const bogus = tempList(['{"hello": 1}'], 'x.json');
    const r = await runCli(['bench', '--compare', bogus]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--compare: .* is not a sweep bench --json report/);
  });

  it('refuses an output path it could not write, before measuring (exit 2)', async () => {
    const missing = join(tempDir(), 'no-such-dir', 'b.json');
    const r = await runCli(['bench', '--json', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sweep: --json: cannot write '${missing}': no such directory\n`);
    const md = await runCli(['bench', '--markdown', tempDir()]);
    expect(md.code).toBe(2);
    expect(md.stderr).toMatch(/--markdown: .* is a directory/);
  });

  it('stops on SIGTERM with exit 143 and writes no report', async () => {
    const json = join(tempDir(), 'b.json');
    const r = await runCli(['bench', '--runs', '1', '--sizes', '3', '--delay', '1000', '--json', json], {
      onSpawn(child) {
        // Once the testbed is up, the bench is inside its first (warm-up) crawl or between runs.
        child.stderr!.on('data', (d: Buffer) => {
          if (d.toString().includes('testbed at')) child.kill('SIGTERM');
        });
      },
    });
    expect(r.code).toBe(143);
    expect(r.stderr).toContain('sweep bench: interrupted: no report');
    expect(existsSync(json)).toBe(false);
  });

  it('takes its own -c, not the crawl option of the same name', async () => {
    const json = join(tempDir(), 'b.json');
    const r = await runCli(['bench', '--runs', '1', '--sizes', '2', '--delay', '5', '--count', '100', '-c', '3', '--json', json]);
    expect(r.code).toBe(0);
    expect(readReport(json).throughput!.concurrency).toBe(3);
  });
});

describe('sweep bench FILE (real targets; here a loopback server)', () => {

  it('warns about real load, fetches a sample sequentially and the whole list pooled', async () => {
    tb.resetCounters();
    const list = tempList(['# targets', ...Array.from({ length: 30 }, (_, i) => `${tb.url}/delay/100/${i}`)]);
    const json = join(tempDir(), 'file.json');
    const r = await runCli(['bench', list, '--baseline-sample', '5', '-c', '30', '--json', json]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: this sends real load to the hosts in /);
    const report = readReport(json);
    expect(validate(report)).toBe(true);
    expect(report.mode).toBe('file');
    expect(report.file!.sequential.urls).toBe(5);
    expect(report.file!.pooled.urls).toBe(30);
    expect(report.file!.idealSpeedup).toBe(30);
    expect(tb.counters.requests).toBe(35);
    // 5 x 100 ms one by one against 30 URLs at once: near 30x per URL; 3x holds on a starved machine.
    expect(report.file!.speedup).toBeGreaterThan(3);
  });
});

describe('--fail-on on a plain crawl', () => {
  const list = (): string => tempList([`${tb.url}/p/1`, `${tb.url}/p/2`, `${tb.url}/p/3`, `${tb.url}/status/404/4`]);

  it('exits 1 after every record and the summary are out, naming the gate', async () => {
    const r = await runCli(['--no-progress', '--fail-on', 'failed>0', list()]);
    expect(r.code).toBe(1);
    expect(r.records).toHaveLength(4);
    const summaryAt = r.stderr.indexOf('Summary:');
    const gateAt = r.stderr.indexOf('sweep: gate failed: failed>0 (failed was 1, 1 above the limit 0)');
    expect(summaryAt).toBeGreaterThanOrEqual(0);
    expect(gateAt).toBeGreaterThan(summaryAt);
  });

  it('exits 0 when no gate holds', async () => {
    const r = await runCli(['--no-progress', '-q', '--fail-on', 'failed>1', '--fail-on', 'error_rate>=50%', list()]);
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(4);
    expect(r.stderr).toBe('');
  });

  it('rejects bench-only and unknown metrics with exit 2 before fetching', async () => {
    for (const expr of ['speedup<2', 'p95>1ms', 'p99>>1']) {
      tb.resetCounters();
      const r = await runCli(['--fail-on', expr, list()]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--fail-on/);
      expect(r.stdout).toBe('');
      expect(tb.counters.requests).toBe(0);
    }
  });
});
