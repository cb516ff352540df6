// The response seam (src/exchange.ts): a tap sees every exchange of a run (each redirect hop,
// each retried attempt), the response head as received, the body bytes, and the end; what it
// sets lands in the URL's record, after its end (even an asynchronous one) is done.

import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../src/config.js';
import { crawl } from '../src/crawl.js';
import type { ExchangeEnd, ExchangeRequest, ExchangeTap, TappedTask } from '../src/exchange.js';
import { makeJob } from '../src/input.js';
import { startTestbed, type Testbed } from '../src/testbed.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

interface Seen {
  line: number;
  request: ExchangeRequest;
  status: number;
  statusText: string;
  headerNames: string[];
  bytes: number;
  end: ExchangeEnd | null;
}

class RecordingTap implements ExchangeTap {
  readonly seen: Seen[] = [];
  closed = false;
  open(task: TappedTask, request: ExchangeRequest) {
    const s: Seen = { line: task.job.line, request, status: 0, statusText: '', headerNames: [], bytes: 0, end: null };
    this.seen.push(s);
    return {
      head: (status: number, statusText: string, raw: readonly Buffer[]) => {
        s.status = status;
        s.statusText = statusText;
        s.headerNames = raw.filter((_, i) => i % 2 === 0).map((b) => b.toString().toLowerCase());
      },
      data: (chunk: Buffer) => void (s.bytes += chunk.length),
      // Asynchronous on purpose: the record must wait for it and carry the field.
      end: async (outcome: ExchangeEnd) => {
        await sleep(5);
        s.end = outcome;
        task.setField('tapBytes', String(s.bytes));
      },
    };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const silent = new Writable({ write: (_c, _e, done) => done() });

async function crawlWith(urls: string[], tap: ExchangeTap, options: Parameters<typeof buildConfig>[1] = {}) {
  const lines: string[] = [];
  const cfg = buildConfig([], { quiet: true, progress: false, ...options });
  const result = await crawl(cfg, { stdin: new PassThrough(), stderr: silent }, {
    taps: [tap],
    sink: { backedUp: false, onDrain() {}, onBroken() {}, onError() {}, write: (l: string) => void lines.push(l), close: async () => {} },
    jobs: async function* (input) {
      input.linesRead = urls.length;
      yield urls.map((u, i) => makeJob(i + 1, u));
      input.done = true;
    },
  });
  return { result, records: lines.map((l) => JSON.parse(l) as Record<string, unknown>).sort((a, b) => (a.line as number) - (b.line as number)) };
}

describe('exchange taps', () => {
  it('see every hop and attempt, with heads, bytes and ends; their fields land in the record', async () => {
    const tap = new RecordingTap();
    const { records } = await crawlWith([`${tb.url}/redirect/2/tap`, `${tb.url}/flaky/1/tap`, `${tb.url}/status/404/tap`], tap, { retryDelay: 1, header: ['X-Probe: 1'] });
    const byLine = (n: number) => tap.seen.filter((s) => s.line === n);
    // Two 302 hops, then the 200.
    expect(byLine(1).map((s) => [s.request.attempt, s.request.hop, s.status, s.statusText])).toEqual([
      [1, 0, 302, 'Found'],
      [1, 1, 302, 'Found'],
      [1, 2, 200, 'OK'],
    ]);
    expect(byLine(1)[0]!.headerNames).toContain('location');
    expect(byLine(1)[0]!.request.headers['x-probe']).toBe('1');
    // A 503, retried: two attempts, two exchanges.
    expect(byLine(2).map((s) => [s.request.attempt, s.status])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(byLine(3).map((s) => s.status)).toEqual([404]);
    for (const s of tap.seen) expect(s.end).toEqual({ error: null, truncated: false });
    // The last exchange's field is the record's, written after its asynchronous end.
    const last = (n: number) => byLine(n).at(-1)!;
    expect(records.map((r) => r.tapBytes)).toEqual([last(1).bytes, last(2).bytes, last(3).bytes]);
    expect(records[0]).toMatchObject({ bytes: last(1).bytes, status: 200, redirects: 2 });
    expect(tap.closed).toBe(true);
  });

  it('a body cut at --max-body ends its exchange as truncated, with the error', async () => {
    const tap = new RecordingTap();
    const { records } = await crawlWith([`${tb.url}/big/200000/tap`], tap, { maxBody: 50_000, retries: 0 });
    expect(records[0]).toMatchObject({ ok: false, error: { code: 'body_too_large' } });
    expect(tap.seen).toHaveLength(1);
    expect(tap.seen[0]!.end).toMatchObject({ truncated: true, error: { code: 'body_too_large' } });
    expect(tap.seen[0]!.bytes).toBeLessThanOrEqual(50_000);
  });

  it('a tap that is backed up holds the pool: nothing starts until it drains', async () => {
    const tap = new RecordingTap() as RecordingTap & { backedUp: boolean; onDrain?: () => void };
    tap.backedUp = true;
    const running = crawlWith([`${tb.url}/p/held-1`, `${tb.url}/p/held-2`], tap);
    await sleep(200);
    expect(tap.seen).toHaveLength(0);
    tap.backedUp = false;
    tap.onDrain!();
    const { records } = await running;
    expect(records).toHaveLength(2);
  });
});
