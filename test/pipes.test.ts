// stdout as a pipe: a reader that goes away (EPIPE) and a reader that is slow (backpressure).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, parseRecords, runCli, tempList, useTestbed } from './helpers.js';

const bed = useTestbed();

/** Peak resident set (VmHWM) of a live process, in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

describe('pipes', () => {
  it('`sweep list | head -3`: EPIPE ends the run quietly, exit 0, no stack trace, no summary', async () => {
    const list = tempList(Array.from({ length: 20_000 }, (_, i) => `${bed.tb.url}/p/${i}`));
    // bash reports sweep's own exit status through PIPESTATUS.
    const script = `"${process.execPath}" "${BIN}" --no-progress "${list}" | head -3; echo "sweep exit $\{PIPESTATUS[0]}" >&2`;
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', () => resolve({ stdout, stderr }));
    });
    expect(parseRecords(r.stdout)).toHaveLength(3);
    expect(r.stderr).toBe('sweep exit 0\n');
    // It stopped early instead of crawling the whole list into a closed pipe.
    expect(bed.tb.counters.requests).toBeLessThan(20_000);
  });

  it('a reader that closes its end mid-run (EPIPE on a large write) ends the run quietly', async () => {
    const list = tempList(Array.from({ length: 20_000 }, (_, i) => `${bed.tb.url}/p/${i}`));
    const r = await runCli(['--no-progress', list], {
      onSpawn: (child) => child.stdout!.once('data', () => child.stdout!.destroy()),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  // Regression: with stdout a socket (a Node parent's stdio pipe) the fs writer died with EAGAIN.
  it('a slow reader of stdout: sweep stops starting requests and memory stays bounded (100,000 URLs)', async () => {
    const total = 100_000;
    const list = tempList(Array.from({ length: total }, (_, i) => `${bed.tb.url}/p/${i}`));
    const child = spawn(process.execPath, [BIN, '-q', '-c', '64', '--grace', '0', list], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    // Slow phase: 8 KiB every 100 ms (~30 records), for 3 seconds from the first record (startup
    // on a loaded machine can take seconds); sweep could do thousands a second.
    let readBytes = 0;
    let text = '';
    await new Promise<void>((resolve) => child.stdout.once('readable', () => resolve()));
    await new Promise<void>((resolve) => {
      let ticks = 0;
      const timer = setInterval(() => {
        const chunk = child.stdout.read(8192) as Buffer | null;
        if (chunk !== null) {
          readBytes += chunk.length;
          text += chunk.toString('utf8');
        }
        if (++ticks === 30) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
    const requestsWhileSlow = bed.tb.counters.requests;
    const peak = peakRss(child.pid!);

    // Records are ~200 bytes: what was read, plus sweep's 1 MiB output high-water mark, the pipe's
    // buffers and one batch in flight bound what may have been fetched.
    const recordsRead = text.split('\n').length - 1;
    expect(readBytes).toBeGreaterThan(0);
    expect(requestsWhileSlow).toBeLessThan(recordsRead + 12_000);
    expect(requestsWhileSlow).toBeLessThan(total / 4);
    // Bound stated in the README: under 200 MiB (measured ~90 MiB peak on the shared 2-core box).
    expect(peak).toBeLessThan(200 * 1024 * 1024);

    // Then stop it, reading the rest at full speed so it can flush and exit.
    child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).not.toMatch(/\n\s+at /);
    const recs = parseRecords(text);
    expect(new Set(recs.map((x) => x.line)).size).toBe(recs.length);
  });
});
