// Recursive crawls over Redis: `sweep enqueue --depth` keeps the rules in the queue, workers follow
// links, found URLs are deduplicated in Redis with the acknowledgement of the page that found
// them, and `sweep results` ends with one record per admitted URL, as a local crawl has.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { parseRecords, runCli, tempDir, tempList } from './helpers.js';
import { redisOrSkip, startRedis, type RedisServer } from './redis-helper.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const haveRedis = redisOrSkip();
let server: RedisServer;
let tb: Testbed;
let queueNo = 0;
let queue = '';

beforeAll(async () => {
  if (!haveRedis) return;
  [server, tb] = await Promise.all([startRedis(), startTestbed()]);
});
afterAll(async () => {
  if (!haveRedis) return;
  await Promise.all([server.stop(), tb.close()]);
});
beforeEach(() => {
  queue = `follow${++queueNo}`;
});
const q = (): string[] => ['--redis', server.url, '--queue', queue];

type Rec = { line: number | null; url: string; depth: number; parent: string | null; ok: boolean };

describe.runIf(haveRedis)('sweep enqueue --depth / sweep work', () => {
  it('two workers crawl one site together: one record per page, the same pages as a local crawl', async () => {
    const base = `${tb.url}/site/150/`;
    const local = await runCli(['-q', '--depth', '4', '-c', '8'], { stdin: `${base}\n` });
    const localUrls = new Set(parseRecords(local.stdout).map((r) => r.url));

    const e = await runCli(['enqueue', ...q(), '--depth', '4', tempList([base])]);
    expect(e.code).toBe(0);
    const [a, b] = await Promise.all([runCli(['work', ...q(), '-c', '4']), runCli(['work', ...q(), '-c', '4'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const out = join(tempDir(), 'results.ndjson');
    expect((await runCli(['results', ...q(), '-o', out])).code).toBe(0);
    const records = parseRecords(readFileSync(out, 'utf8')) as unknown as Rec[];
    const urls = records.map((r) => r.url);
    expect(new Set(urls).size).toBe(urls.length);
    expect(new Set(urls)).toEqual(localUrls);
    expect(records.find((r) => r.url === base)).toMatchObject({ line: 1, depth: 0, parent: null, ok: true });
    for (const r of records) if (r.url !== base) expect(r.line).toBeNull();
    expect(records.every((r) => r.ok)).toBe(true);
  });

  it('--max-pages holds across workers', async () => {
    await runCli(['enqueue', ...q(), '--depth', '5', '--max-pages', '12', tempList([`${tb.url}/site/300/`])]);
    await Promise.all([runCli(['work', ...q(), '-c', '4']), runCli(['work', ...q(), '-c', '4'])]);
    const out = join(tempDir(), 'results.ndjson');
    await runCli(['results', ...q(), '-o', out]);
    expect(parseRecords(readFileSync(out, 'utf8'))).toHaveLength(12);
  });
});
