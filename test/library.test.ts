// crawl() used as a library: signals belong to the CLI layer and output to the streams given.
// 0.1 installed SIGINT/SIGTERM handlers inside crawl() and drew its progress bar on
// process.stderr whatever stream the caller passed.

import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../src/config.js';
import { crawl } from '../src/crawl.js';
import { makeJob } from '../src/input.js';
import { Interrupts } from '../src/run/interrupts.js';
import { startTestbed, type Testbed } from '../src/testbed.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

class Collect extends Writable {
  text = '';
  isTTY = true;
  columns = 100;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A sink that keeps the records in memory. */
function memorySink() {
  const lines: string[] = [];
  return {
    lines,
    backedUp: false,
    onDrain: () => {},
    onBroken: () => {},
    onError: (_err: Error) => {},
    write: (line: string) => void lines.push(line),
    close: async () => {},
  };
}

describe('crawl() as a library', () => {
  it('installs no process signal handlers, and draws progress on the stderr it is given', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const during: number[] = [];
    const stderr = new Collect();
    const sink = memorySink();
    const cfg = buildConfig([], { progress: true, quiet: false, concurrency: 4 });
    const urls = Array.from({ length: 40 }, (_, i) => `${tb.url}/delay/20/lib-${i}`);
    const result = await crawl(cfg, { stdin: new PassThrough(), stderr }, {
      sink,
      jobs: async function* (input) {
        during.push(process.listenerCount('SIGINT') + process.listenerCount('SIGTERM'));
        input.linesRead = urls.length;
        yield urls.map((u, i) => makeJob(i + 1, u));
        during.push(process.listenerCount('SIGINT') + process.listenerCount('SIGTERM'));
        input.done = true;
      },
    });
    expect(result.exitCode).toBe(0);
    expect(sink.lines).toHaveLength(40);
    expect(during).toEqual([before.int + before.term, before.int + before.term]);
    expect(stderr.text).toMatch(/40\/40/); // the bar's last frame
    expect(stderr.text).toMatch(/records\s+40/); // the summary
  });

  it('stops when the caller interrupts it: grace, then aborted records and exit 130', async () => {
    const interrupts = new Interrupts();
    const sink = memorySink();
    const cfg = buildConfig([], { quiet: true, concurrency: 3, grace: 100 });
    const urls = Array.from({ length: 3 }, (_, i) => `${tb.url}/hang/lib-${i}`);
    const running = crawl(cfg, { stdin: new PassThrough(), stderr: new Collect() }, {
      sink,
      interrupts,
      jobs: async function* (input) {
        input.linesRead = urls.length;
        yield urls.map((u, i) => makeJob(i + 1, u));
        input.done = true;
      },
    });
    // Once the three hanging requests are at the server, interrupt (an event, not a sleep).
    while (tb.counters.inFlight < 3) await new Promise((r) => setImmediate(r));
    interrupts.interrupt('SIGINT');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(sink.lines.map((l) => (JSON.parse(l) as { error: { code: string } }).error.code)).toEqual(['aborted', 'aborted', 'aborted']);
  });
});
