// Server faults, one per test: the CLI against scripted misbehaviour of the loopback testbed.
// Whatever the server does, each line ends as exactly one record and sweep exits 0.
// (Connection refused, a hanging route, a redirect loop and a small --max-body are in crawl.test.ts.)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli, tempDir, tempList, useTestbed, type RunResult } from './helpers.js';

const bed = useTestbed();

/** Runs the CLI on one URL and returns its single record; the run itself must be clean. */
async function one(path: string, args: string[] = []): Promise<RunResult['records'][number]> {
  const r = await runCli(['-q', '--retry-delay', '1', ...args], { stdin: `${bed.tb.url}${path}\n` });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.records).toHaveLength(1);
  return r.records[0]!;
}

describe('server faults', () => {
  it('a reset before any response byte is connection_reset, retried like any reset', async () => {
    const rec = await one('/reset/1', ['-r', '1']);
    expect(rec).toMatchObject({ ok: false, status: null, attempts: 2, error: { code: 'connection_reset' } });
    // Fresh sockets: no hidden re-sends beyond the two counted attempts.
    expect(bed.tb.counters.requests).toBe(2);
  });

  it('a reset in the middle of the body is connection_reset, with the status and the bytes that came', async () => {
    const rec = await one('/reset-body/1', ['-r', '0']);
    expect(rec).toMatchObject({ ok: false, status: 200, attempts: 1, error: { code: 'connection_reset' } });
    expect(rec.bytes).toBeGreaterThan(0);
    expect(rec.bytes).toBeLessThan(100 * 1024);
  });

  it('a body trickling one byte every 100 ms ends as timeout: --timeout covers the whole attempt', async () => {
    const rec = await one('/trickle/1', ['-r', '0', '-t', '1500']);
    expect(rec).toMatchObject({ ok: false, status: 200, attempts: 1, error: { code: 'timeout' } });
    // Bytes kept arriving (so no idle timeout could fire), yet the attempt ended before the body did.
    expect(rec.bytes).toBeGreaterThan(0);
    expect(rec.bytes).toBeLessThan(100);
    expect(rec.ms).toBeGreaterThanOrEqual(1500);
  });

  it('a Content-Length larger than the body sent is connection_reset, not a success', async () => {
    const rec = await one('/short/1', ['-r', '0']);
    expect(rec).toMatchObject({ ok: false, status: 200, bytes: 100, error: { code: 'connection_reset' } });
  });

  // More responses that break HTTP, byte for byte from a raw TCP server: protocol.test.ts.
  it('invalid chunked encoding is protocol, naming the fault, and is not retried', async () => {
    const rec = await one('/bad-chunked/1', ['-r', '2']);
    expect(rec).toMatchObject({ ok: false, attempts: 1, error: { code: 'protocol' } });
    expect(rec.error!.message).toMatch(/chunk/i);
    expect(bed.tb.counters.requests).toBe(1);
  });

  it('a redirect to a non-http(s) scheme is refused, not followed', async () => {
    const rec = await one('/redirect-scheme/1');
    expect(rec).toMatchObject({ ok: false, status: 302, redirects: 0, attempts: 1, error: { code: 'bad_redirect' } });
    expect(rec.error!.message).toMatch(/ftp:/);
    expect(bed.tb.counters.requests).toBe(1);
  });

  it('a 1 GiB body is body_too_large: the socket is dropped and memory stays flat', async () => {
    const summary = join(tempDir(), 'summary.json');
    const rec = await one('/big/1073741824/1', ['--summary-json', summary]);
    expect(rec).toMatchObject({ ok: false, status: 200, attempts: 1, error: { code: 'body_too_large' } });
    // Read up to the default --max-body (10 MiB) plus at most a few socket reads, then dropped.
    expect(rec.bytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(rec.bytes).toBeLessThan(20 * 1024 * 1024);
    // The server sees the socket close (it may be processed just after the child's exit).
    await vi.waitFor(() => expect(bed.tb.counters.closedEarly).toBe(1));
    const { peakRssBytes } = JSON.parse(readFileSync(summary, 'utf8')) as { peakRssBytes: number };
    // Node itself needs ~50-70 MiB; buffering the body would need more than 1 GiB.
    expect(peakRssBytes).toBeGreaterThan(0);
    expect(peakRssBytes).toBeLessThan(200 * 1024 * 1024);
  });

  it('Connection: close on every other response costs new connections, never a failure or an attempt', async () => {
    const list = tempList(Array.from({ length: 200 }, (_, i) => `${bed.tb.url}/close-alt/${i}`));
    const r = await runCli(['-q', '-c', '4', list]);
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(200);
    expect(r.records.filter((x) => x.ok && x.attempts === 1)).toHaveLength(200);
    expect(bed.tb.counters.requests).toBe(200);
    expect(bed.tb.counters.connections).toBeGreaterThanOrEqual(100);
  });

  it('idle keep-alive sockets closed by the server are re-sent transparently: no failure, no extra attempt', async () => {
    // The server closes each socket as soon as it is idle, so sweep keeps writing requests on
    // sockets that are being closed under it (before the fix ~10% of these URLs took 2 attempts).
    const list = tempList(Array.from({ length: 1500 }, (_, i) => `${bed.tb.url}/idle-close/${i % 3}/${i}`));
    const r = await runCli(['-q', '-c', '8', '--retry-delay', '1', list]);
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(1500);
    const bad = r.records.filter((x) => !x.ok || x.attempts !== 1);
    expect(bad).toEqual([]);
    expect(bed.tb.counters.connections).toBeGreaterThan(100);
  });

  it('the same through the --http2 dispatcher (undici Agent): no failure, no extra attempt', async () => {
    const list = tempList(Array.from({ length: 1500 }, (_, i) => `${bed.tb.url}/idle-close/${i % 3}/${i}`));
    const r = await runCli(['-q', '-c', '8', '--http2', '--retry-delay', '1', list]);
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(1500);
    expect(r.records.filter((x) => !x.ok || x.attempts !== 1)).toEqual([]);
  });

  it('a host that does not resolve (.invalid, RFC 6761) is dns', async () => {
    const r = await runCli(['-q', '-r', '0'], { stdin: 'http://nothing-here.invalid/x\n' });
    expect(r.code).toBe(0);
    expect(r.records[0]).toMatchObject({ ok: false, status: null, attempts: 1, error: { code: 'dns' } });
  });

  it("response headers over undici's size limit are protocol, not a crash, and are not retried", async () => {
    const rec = await one('/big-headers/40000/1', ['-r', '2']);
    expect(rec).toMatchObject({ ok: false, status: null, attempts: 1, error: { code: 'protocol' } });
    expect(rec.error!.message).toMatch(/header/i);
    expect(bed.tb.counters.requests).toBe(1);
  });
});
