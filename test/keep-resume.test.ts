// --warc with --resume: a crawl SIGKILLed mid-write leaves at most one torn WARC record; the
// resumed run cuts it off before appending, so the file reads cleanly with any WARC reader, and
// every URL's final record points at a whole response record.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runAndKill, runCli, tempDir, tempList } from './helpers.js';
import { checkDigests, readWarc } from './keep-warc-reader.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

describe('--warc --resume', () => {
  it('after SIGKILLs, the WARC holds only whole records and every final record points at one', async () => {
    const n = 200;
    const dir = tempDir();
    const out = join(dir, 'crawl.ndjson');
    const warc = join(dir, 'crawl.warc.gz');
    const list = tempList(Array.from({ length: n }, (_, i) => `${tb.url}/delay/10/k${i}`));
    const args = ['-q', '-c', '8', '--warc', warc, '--resume', out, list];
    for (const p of [0.2 + Math.random() * 0.2, 0.5 + Math.random() * 0.3]) {
      const r = await runAndKill(args, out, Math.floor(p * n * 300));
      expect(r.signal).toBe('SIGKILL');
    }
    const last = await runCli(args);
    expect(last.code, last.stderr).toBe(0);
    const read = readWarc(readFileSync(warc), true); // throws on a torn or damaged record
    for (const rec of read) checkDigests(rec);
    const finals = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; url: string; error: { code: string } | null; warc?: { offset: number } })
      .filter((r) => r.error?.code !== 'aborted');
    expect(new Set(finals.map((r) => r.line)).size).toBe(n);
    for (const r of finals) {
      const at = read.find((x) => x.offset === r.warc?.offset);
      expect(at?.headers.get('warc-target-uri'), r.url).toBe(r.url);
    }
  });
});
