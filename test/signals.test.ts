// SIGINT / SIGTERM while requests are in flight: the testbed holds them (/hang, /delay), the test
// signals the real CLI, and checks the exit code, the `aborted` records, that every started line
// has exactly one whole record, and what the summary says.

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { parseRecords, runCli, tempDir, tempList, useTestbed, type RunResult } from './helpers.js';

const bed = useTestbed();

interface Interruption {
  signal: string;
  aborted: number;
  notStarted: number;
}

/** Resolves once the testbed has `n` requests in flight (polled: the server runs in this process). */
async function inFlight(n: number): Promise<void> {
  await vi.waitFor(() => expect(bed.tb.counters.inFlight).toBe(n), { timeout: 20_000, interval: 20 });
}

/** Resolves when the child's stderr has printed text matching `pattern`. */
function stderrSays(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    child.stderr!.on('data', (d: Buffer | string) => {
      seen += d.toString();
      if (pattern.test(seen)) resolve();
    });
  });
}

const lines = (recs: CrawlRecord[]): number[] => recs.map((r) => r.line).sort((a, b) => a - b);

describe('signals', () => {
  it('SIGINT: in-flight requests get --grace to finish, the rest are aborted; exit 130, summary counts them', async () => {
    // -c 6: lines 1-3 finish within the grace, lines 4-6 hang and are aborted, lines 7-206 never
    // start. The delay is long enough that the signal lands first even on a loaded machine.
    const urls = [
      ...[1, 2, 3].map((i) => `${bed.tb.url}/delay/3000/${i}`),
      ...[4, 5, 6].map((i) => `${bed.tb.url}/hang/${i}`),
      ...Array.from({ length: 200 }, (_, i) => `${bed.tb.url}/p/${i + 7}`),
    ];
    const summary = join(tempDir(), 'summary.json');
    const r = await runCli(['-c', '6', '--grace', '5000', '--summary-json', summary, tempList(urls)], {
      onSpawn: (child) => void inFlight(6).then(() => child.kill('SIGINT')),
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopped reading input; 6 requests in flight get 5000 ms to finish/);
    expect(r.stderr).toMatch(/interrupted\s+by SIGINT: 3 requests aborted, 200 lines read but not started/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const recs = r.records;
    expect(lines(recs)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const rec of recs.filter((x) => x.line <= 3)) expect(rec).toMatchObject({ ok: true, status: 200 });
    for (const rec of recs.filter((x) => x.line > 3)) {
      expect(rec).toMatchObject({ ok: false, status: null, error: { code: 'aborted' } });
      // Aborted only once the grace had passed.
      expect(rec.ms).toBeGreaterThanOrEqual(5000);
    }
    expect(bed.tb.counters.requests).toBe(6);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { interrupted: Interruption; records: number };
    expect(s.interrupted).toEqual({ signal: 'SIGINT', aborted: 3, notStarted: 200 });
    expect(s.records).toBe(6);
  });

  it('SIGTERM: exit 143, the -o file holds one whole record per started line', async () => {
    const out = join(tempDir(), 'out.ndjson');
    const urls = Array.from({ length: 50 }, (_, i) => `${bed.tb.url}/hang/${i + 1}`);
    const r = await runCli(['-c', '5', '--grace', '100', '-o', out, tempList(urls)], {
      onSpawn: (child) => void inFlight(5).then(() => child.kill('SIGTERM')),
    });
    expect(r.code).toBe(143);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/interrupted\s+by SIGTERM: 5 requests aborted, 45 lines read but not started/);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const recs = parseRecords(text);
    expect(lines(recs)).toEqual([1, 2, 3, 4, 5]);
    expect(recs.every((x) => x.error?.code === 'aborted')).toBe(true);
  });

  it('a second SIGINT aborts at once, still writes a record for everything started, exit 130', async () => {
    const urls = Array.from({ length: 20 }, (_, i) => `${bed.tb.url}/hang/${i + 1}`);
    let secondAt = 0;
    const r = await runCli(['-c', '4', '--grace', '600000', tempList(urls)], {
      onSpawn: (child) => {
        const announced = stderrSays(child, /again aborts them now/);
        void inFlight(4).then(async () => {
          child.kill('SIGINT');
          await announced;
          secondAt = performance.now();
          child.kill('SIGINT');
        });
      },
    });
    expect(r.code).toBe(130);
    // Far sooner than the 10-minute grace; the test's own timeout bounds this too.
    expect(performance.now() - secondAt).toBeLessThan(30_000);
    expect(lines(r.records)).toEqual([1, 2, 3, 4]);
    expect(r.records.every((x) => x.error?.code === 'aborted')).toBe(true);
    expect(r.stderr).toMatch(/interrupted\s+by SIGINT: 4 requests aborted, 16 lines read but not started/);
  });

  it('a URL waiting to retry when the grace ends is recorded as aborted, with the status it had', async () => {
    // 429 with Retry-After: 60 -> a 10 s wait (--retry-max-delay); the grace ends first.
    const path = '/retry-after/60/w';
    const r = await runCli(['-q', '--grace', '200'], {
      stdin: `${bed.tb.url}${path}\n`,
      onSpawn: (child) =>
        void vi
          .waitFor(() => expect(bed.tb.counters.hits.get(path) === 1 && bed.tb.counters.inFlight === 0).toBe(true), { timeout: 20_000, interval: 20 })
          .then(() => child.kill('SIGINT')),
    });
    expect(r.code).toBe(130);
    expect(r.records).toHaveLength(1);
    // Not retried after the abort: one attempt, one request at the server.
    expect(r.records[0]).toMatchObject({ ok: false, status: 429, attempts: 1, error: { code: 'aborted' } });
    expect(bed.tb.counters.hits.get(path)).toBe(1);
  });

  it('stops reading an open stdin pipe: exits although the writer never closes it', async () => {
    const r = await runCli(['-c', '2', '--grace', '100', '-q'], {
      keepStdinOpen: true,
      onSpawn: (child) => {
        child.stdin!.write(`${bed.tb.url}/hang/1\n${bed.tb.url}/hang/2\n${bed.tb.url}/p/3\n`);
        void inFlight(2).then(() => child.kill('SIGTERM'));
      },
    });
    expect(r.code).toBe(143);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(lines(r.records)).toEqual([1, 2]);
  });

  it('interrupted mid-run at full speed: every line is whole JSON and every request the server saw has its record', async () => {
    // /flaky/0/<n> answers 200 and counts its hits, so the server's view of started lines is known.
    const urls = Array.from({ length: 30_000 }, (_, i) => `${bed.tb.url}/flaky/0/${i + 1}`);
    const summary = join(tempDir(), 'summary.json');
    const r = await runCli(['-c', '32', '--summary-json', summary, tempList(urls)], {
      onSpawn: (child) => {
        let seen = 0;
        child.stdout!.on('data', (d: Buffer | string) => {
          seen += d.toString().length;
          if (seen > 100_000 && seen - d.toString().length <= 100_000) child.kill('SIGINT');
        });
      },
    });
    expect(r.code).toBe(130);
    const recs = r.records; // throws on a torn line
    expect(r.stdout.endsWith('\n')).toBe(true);
    const recorded = new Set(recs.map((x) => x.line));
    expect(recorded.size).toBe(recs.length);
    const started = [...bed.tb.counters.hits.keys()].map((p) => Number(p.split('/')[3]));
    for (const line of started) expect(recorded.has(line)).toBe(true);
    expect(recs.length).toBeLessThan(30_000);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { interrupted: Interruption; records: number; linesRead: number };
    expect(s.records).toBe(recs.length);
    expect(s.records + s.interrupted.notStarted).toBe(s.linesRead);
  });

  // 0.1: an input line that never ends (no newline) kept the reader's pending next() from
  // settling, so stop() was queued behind it: "stopped reading input" was printed, and sweep
  // kept reading at full CPU until a second signal.
  describe('one signal stops an endless line', () => {
    /** Bytes the process has read (Linux /proc): startup reads < 1 MiB, so more means input. */
    const bytesRead = (pid: number): number => Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
    /** If one signal does not end it, kill it so the test fails fast instead of burning a core. */
    const killIfStuck = (child: ChildProcess): void => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => clearTimeout(timer));
    };
    const expectStoppedOnce = (r: RunResult): void => {
      expect(r.signal).toBeNull(); // not killed by the second-chance SIGKILL
      expect(r.code).toBe(130);
      expect(r.stderr.match(/stopped reading input/g)).toHaveLength(1);
      expect(r.stderr).toMatch(/interrupted\s+by SIGINT: 0 requests aborted, 0 lines read but not started/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stdout).toBe('');
    };

    it.skipIf(!existsSync('/proc/self/io'))('sweep /dev/zero exits 130 after one SIGINT', async () => {
      const r = await runCli(['--grace', '100', '/dev/zero'], {
        onSpawn: (child) => {
          killIfStuck(child);
          void vi
            .waitFor(() => expect(bytesRead(child.pid!)).toBeGreaterThan(16 * 1024 * 1024), { timeout: 20_000, interval: 20 })
            .then(() => child.kill('SIGINT'));
        },
      });
      expectStoppedOnce(r);
    });

    it('an endless stdin stream without a newline exits 130 after one SIGINT', async () => {
      // Bytes 0x00-0xff except the newline, written for as long as sweep runs.
      const chunk = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 256 === 10 ? 11 : (i * 7919) % 256));
      const r = await runCli(['--grace', '100'], {
        keepStdinOpen: true,
        onSpawn: (child) => {
          killIfStuck(child);
          let written = 0;
          let signalled = false;
          let open = true;
          child.once('exit', () => (open = false));
          child.stdin!.on('error', () => (open = false));
          const write = (): void => {
            while (open) {
              const more = child.stdin!.write(chunk);
              written += chunk.length;
              // 4 MiB handed over: at least ~3.8 MiB of it went through the pipe into sweep.
              if (!signalled && written >= 4 * 1024 * 1024) {
                signalled = true;
                child.kill('SIGINT');
              }
              if (!more) {
                child.stdin!.once('drain', write);
                return;
              }
            }
          };
          write();
        },
      });
      expectStoppedOnce(r);
    });
  });
});

// A recursive crawl's found URLs are not input lines: the summary's "lines read but not
// started" counts input lines only (it printed -3 here: every record was subtracted).
describe('an interrupted recursive crawl', () => {
  it('counts no found URL as an input line not started', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<a href="/slow/1">1</a> <a href="/slow/2">2</a> <a href="/slow/3">3</a>');
      }
      // /slow/*: never answered; the grace period ends them.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    const summary = join(tempDir(), 'summary.json');
    try {
      const r = await runCli(['--no-progress', '--depth', '1', '--grace', '100', '--summary-json', summary, tempList([`${base}/`])], {
        onSpawn: (child) => {
          let out = '';
          child.stdout!.on('data', (d: Buffer | string) => {
            out += d.toString();
            if (out.includes('"line":1,')) child.kill('SIGTERM');
          });
        },
      });
      expect(r.code).toBe(143);
      const s = JSON.parse(readFileSync(summary, 'utf8')) as { interrupted: Interruption; records: number; linesRead: number };
      expect(s.linesRead).toBe(1);
      expect(s.interrupted.notStarted).toBe(0);
      expect(r.stderr).not.toMatch(/-\d+ lines read but not started/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

// An input file that is a FIFO is read in libuv's thread pool; a read pending there when the
// signal comes cannot be cancelled, and used to keep sweep alive until the writer wrote again.
describe('a FIFO input', () => {
  it('one SIGTERM ends the run although the FIFO\'s writer keeps it open', async () => {
    const { execFileSync } = await import('node:child_process');
    const { createWriteStream } = await import('node:fs');
    const fifo = join(tempDir(), 'urls.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    try {
      writer.write(`${bed.tb.url}/p/1\n`);
      const r = await runCli(['-q', fifo], {
        onSpawn: (child) => {
          child.stdout!.on('data', (d: Buffer | string) => {
            if (d.toString().includes('"line":1,')) child.kill('SIGTERM');
          });
        },
      });
      expect(r.code).toBe(143);
      expect(r.records.map((x) => [x.line, x.ok])).toEqual([[1, true]]);
    } finally {
      writer.destroy();
    }
  });
});
