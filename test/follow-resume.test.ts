// --resume for recursive crawls: a crawl SIGKILLed at random moments and resumed with the same
// command ends with exactly one final record per admitted URL in FILE, and every page within the
// depth fetched; FILE.frontier beside it holds the admitted URLs.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spillNameFor } from '../src/crawl.js';
import { siteLinks } from '../src/site.js';
import { startTestbed, type Testbed } from '../src/testbed.js';
import { runAndKill, runCli, tempDir, tempList } from './helpers.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

/** The hrefs reachable from the home page ('' is the home page itself, page 0's content). */
function allPages(n: number): Set<string> {
  const hrefs = new Set<string>(['']);
  const queue = [0];
  while (queue.length > 0) {
    for (const href of siteLinks(queue.shift()!, n)) {
      if (hrefs.has(href)) continue;
      hrefs.add(href);
      queue.push(Number(href.slice(1, -5)));
    }
  }
  return hrefs;
}

describe('--resume with --depth', () => {
  it('after SIGKILLs at random moments, every admitted URL has exactly one final record', async () => {
    const n = 400;
    const base = `${tb.url}/site/${n}/`;
    const list = tempList([base]);
    const out = join(tempDir(), 'crawl.ndjson');
    const args = ['-q', '-c', '4', '--depth', '50', '--resume', out, list];
    const recordBytes = 230; // about
    const points = [0.05 + Math.random() * 0.2, 0.3 + Math.random() * 0.25, 0.6 + Math.random() * 0.25];
    const context = `kill points ${points.map((p) => p.toFixed(2)).join(', ')}`;
    for (const p of points) {
      const r = await runAndKill(args, out, Math.floor(p * n * recordBytes));
      expect(r.signal, context).toBe('SIGKILL');
    }
    const last = await runCli(args);
    expect(last.code, `${context}\n${last.stderr}`).toBe(0);
    expect(existsSync(`${out}.frontier`)).toBe(true);
    const records = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { url: string; error: { code: string } | null });
    const final = records.filter((r) => r.error?.code !== 'aborted');
    const urls = final.map((r) => r.url.slice(base.length));
    // Exactly one final record per URL: the seed and every page of the site.
    expect(new Set(urls).size, context).toBe(urls.length);
    expect(new Set(urls), context).toEqual(allPages(n));
  });
  it("removes the spill directory a killed run left beside the records file (named after it), and nothing else", async () => {
    const dir = tempDir();
    const out = join(dir, 'crawl.ndjson');
    const leftover = join(dir, spillNameFor(out));
    mkdirSync(leftover);
    writeFileSync(join(leftover, '7.seg'), 'segments of a SIGKILLed run');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await runCli(['-q', '-c', '4', '--depth', '2', '--resume', out, tempList([`${tb.url}/site/20/`])]);
    expect(r.code).toBe(0);
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['crawl.ndjson', 'crawl.ndjson.frontier', 'notes.txt']);
  });
});
