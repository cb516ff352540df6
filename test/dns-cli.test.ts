// --dns-server through the real CLI: a child process resolving through the loopback DNS
// testbed (src/testbed-dns.ts) and fetching from the loopback HTTP testbed.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDnsTestbed, type DnsTestbed } from '../src/testbed-dns.js';
import { runCli, useTestbed } from './helpers.js';

const bed = useTestbed();
let dns: DnsTestbed;
beforeAll(async () => {
  dns = await startDnsTestbed({ ttl: 60 });
});
afterAll(() => dns.close());
beforeEach(() => Object.assign(dns.counts, { A: 0, AAAA: 0, other: 0 }));

describe('--dns-server', () => {
  it('resolves h<N>.crawl.test through the given server and fetches from the address it gave', async () => {
    const port = bed.tb.port;
    const r = await runCli(['-q', '--dns-server', dns.server, '-'], { stdin: `http://h1.crawl.test:${port}/p/1\nhttp://h1.crawl.test:${port}/p/2\n` });
    expect(r.code).toBe(0);
    expect(r.records.map((rec) => [rec.ok, rec.status, rec.error])).toEqual([
      [true, 200, null],
      [true, 200, null],
    ]);
    expect(dns.queriesFor('h1.crawl.test')).toBeGreaterThanOrEqual(1);
  });

  it('also on the proxy / HTTP/2 / --cacert dispatcher (--http2 here)', async () => {
    const r = await runCli(['-q', '--http2', '--dns-server', dns.server, '-'], { stdin: `http://h2.crawl.test:${bed.tb.port}/p/1\n` });
    expect(r.records.map((rec) => [rec.ok, rec.error])).toEqual([[true, null]]);
    expect(dns.queriesFor('h2.crawl.test')).toBe(1);
  });

  it('a name the server does not know: error dns, retried, one query (the failure is cached)', async () => {
    const r = await runCli(['-q', '-r', '2', '--retry-delay', '1', '--dns-server', dns.server, '-'], {
      stdin: `http://nowhere.crawl.test:${bed.tb.port}/p/1\n`,
    });
    expect(r.code).toBe(0);
    const [rec] = r.records;
    expect(rec).toMatchObject({ ok: false, status: null, attempts: 3, error: { code: 'dns' } });
    expect(rec?.error?.message).toMatch(/ENOTFOUND nowhere\.crawl\.test/);
    expect(dns.queriesFor('nowhere.crawl.test')).toBe(1);
    expect(bed.tb.counters.requests).toBe(0);
  });

  it('honours /etc/hosts: localhost works though the server does not know it', async () => {
    const r = await runCli(['-q', '--dns-server', dns.server, '-'], { stdin: `http://localhost:${bed.tb.port}/p/1\n` });
    expect(r.records.map((rec) => [rec.ok, rec.error])).toEqual([[true, null]]);
    expect(dns.counts).toEqual({ A: 0, AAAA: 0, other: 0 });
  });

  for (const value of ['dns.example', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1,', '::1:53:x', '[::1', '[127.0.0.1]:53', 'fe80::1%eth0']) {
    it(`refuses '${value}': exit 2, one line naming the option`, async () => {
      const r = await runCli(['--dns-server', value, '-'], { stdin: `http://localhost:${bed.tb.port}/p/1\n` });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--dns-server/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('sweep work takes it too (same parser: a bad value is exit 2 before Redis is asked)', async () => {
    const r = await runCli(['work', '--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--dns-server', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dns-server.*'nope'/);
  });
});
