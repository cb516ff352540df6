// --save-dir through the real CLI when names clash: a page at `/a` and one under `/a/`, in either
// order, and (across runs, --resume after a kill) two URLs that meet at one name. The promise
// checked each time: every record's `saved` file holds that URL's body when the runs are over, and
// no two URLs share a file; the same URL fetched again keeps its one file.

import { createServer, type ServerResponse, type Server } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecords, runAndKill, runCli, tempDir, tempList } from './helpers.js';

// A loopback server whose every body names its URL, so a file shows whose body it holds. A path
// put in hangOnce gets no answer the first time it is asked for (the run is killed meanwhile).
let server: Server;
let base: string;
const hangOnce = new Set<string>();
const hanging = new Set<ServerResponse>();
beforeAll(async () => {
  server = createServer((req, res) => {
    if (hangOnce.delete(req.url!)) {
      hanging.add(res);
      return;
    }
    const body = `I am ${req.url}\n`;
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  for (const res of hanging) res.destroy();
  return new Promise<void>((r) => server.close(() => r()));
});

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

describe('--save-dir: names taken by an earlier run', () => {
  it('a URL resumed after a kill never takes the file of a URL the killed run saved', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.ndjson');
    // Line 2 hangs in the first run, so the run is killed with only line 1 saved and recorded.
    hangOnce.add('/k/x');
    const list = tempList([`${base}/k/x/`, `${base}/k/x`]);
    const args = ['-q', '-c', '2', '--save-dir', join(dir, 'm'), '--resume', out, list];
    const first = await runAndKill(args, out, 1);
    expect(first.signal).toBe('SIGKILL');
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    const records = parseRecords(readFileSync(out, 'utf8')) as unknown as Saved[];
    expect(records.map((r) => r.line).sort()).toEqual([1, 2]);
    expectEachRecordHoldsItsBody(records);
  });

  it('a later run never takes the file of another URL, and the same URL keeps its one file', async () => {
    const dir = join(tempDir(), 'm');
    const run = async (paths: string[]): Promise<Saved[]> => {
      const r = await runCli(['-q', '--save-dir', dir, tempList(paths.map((p) => base + p))]);
      expect(r.code, r.stderr).toBe(0);
      return r.records as unknown as Saved[];
    };
    const one = await run(['/r/x/', '/r/y.html']);
    // /r/x meets /r/x/'s x/index.html; /r/y.html comes again.
    const two = await run(['/r/x', '/r/y.html']);
    const of = (records: Saved[], path: string): Saved => records.find((r) => r.url === base + path)!;
    expectEachRecordHoldsItsBody([of(one, '/r/x/'), of(two, '/r/x')]);
    expect(of(two, '/r/y.html').saved).toBe(of(one, '/r/y.html').saved);
    expect(readdirSync(join(dir, `127.0.0.1_${new URL(base).port}`, 'r')).sort()).toEqual(['x', 'y.html']);
    expect(readdirSync(join(dir, `127.0.0.1_${new URL(base).port}`, 'r', 'x')).sort()).toEqual(['index.html', 'index~2.html']);
  });
});
