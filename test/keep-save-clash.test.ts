// --save-dir through the real CLI when names clash: a page at `/a` and one under `/a/`, in either
// order, and (across runs) two URLs that meet at one name. The promise checked each time: every
// record's `saved` file holds that URL's body when the runs are over, and no two URLs share a file.

import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, tempList } from './helpers.js';

// A loopback server whose every body names its URL, so a file shows whose body it holds.
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const body = `I am ${req.url}\n`;
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Saved {
  line: number;
  url: string;
  saved?: string;
}

const body = (url: string): string => `I am ${new URL(url).pathname}\n`;

/** Every record names a file holding its own URL's body, and different URLs name different files. */
function expectEachRecordHoldsItsBody(records: Saved[]): void {
  const byPath = new Map<string, string>();
  for (const r of records) {
    expect(r.saved, `line ${r.line} was saved`).toBeTypeOf('string');
    expect(readFileSync(r.saved!, 'utf8'), `${r.url} -> ${r.saved}`).toBe(body(r.url));
    const other = byPath.get(r.saved!);
    if (other !== undefined) expect(other, `${r.saved} named by two URLs`).toBe(r.url);
    byPath.set(r.saved!, r.url);
  }
}

describe('--save-dir: a file and a directory of one name', () => {
  // One at a time (-c 1), so each order really happens: the page at /a is saved (and its record
  // written) before /a/b needs `a` as a directory, and the other way round.
  it.each([
    ['file first', ['/page/a', '/page/a/b', '/page/a/b/c']],
    ['directory first', ['/page/a/b/c', '/page/a/b', '/page/a']],
  ])('%s: no saved page moves after its record names it', async (_name, paths) => {
    const dir = join(tempDir(), 'm');
    const r = await runCli(['-q', '-c', '1', '--save-dir', dir, tempList(paths.map((p) => base + p))]);
    expect(r.code, r.stderr).toBe(0);
    const records = r.records as unknown as Saved[];
    expect(records).toHaveLength(3);
    expectEachRecordHoldsItsBody(records);
  });
});
