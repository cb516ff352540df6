// --dns-server in a Redis worker (`sweep work`): the same run core and dispatcher as a local
// crawl, so the worker resolves through the given server too.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { startDnsTestbed, type DnsTestbed } from '../src/testbed-dns.js';
import { runCli } from './helpers.js';
import { enqueueUrls, exportedRecords, useRedisQueue } from './distributed-helpers.js';

const Q = useRedisQueue('dns');
let tb: Testbed;
let dns: DnsTestbed;
beforeAll(async () => {
  if (!Q.haveRedis) return;
  tb = await startTestbed();
  dns = await startDnsTestbed();
});
afterAll(async () => {
  if (!Q.haveRedis) return;
  await tb.close();
  await dns.close();
});

describe.runIf(Q.haveRedis)('sweep work --dns-server', () => {
  it('resolves through the given server: known names fetched, unknown ones recorded as dns', async () => {
    await enqueueUrls(Q, [`http://h7.crawl.test:${tb.port}/p/1`, `http://nowhere.crawl.test:${tb.port}/p/2`]);
    const w = await runCli(['work', ...Q.args(), '-c', '2', '-r', '0', '--dns-server', dns.server]);
    expect(w.code).toBe(0);
    const records = (await exportedRecords(Q)).sort((a, b) => a.line - b.line);
    expect(records.map((r) => [r.line, r.ok, r.error?.code ?? null])).toEqual([
      [1, true, null],
      [2, false, 'dns'],
    ]);
    expect(dns.queriesFor('h7.crawl.test')).toBe(1);
    expect(dns.queriesFor('nowhere.crawl.test')).toBe(1);
  });
});
