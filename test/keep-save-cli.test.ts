// --save-dir through the real CLI: bodies decoded and written under <dir>/<host>_<port>/<path>,
// index.html for a directory, a file and a directory of the same name both kept, the query in the
// file name, nothing outside <dir>, no 404 saved; the record names the file.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_BODY, startTestbed, type Testbed } from '../src/testbed.js';
import { sitePage } from '../src/site.js';
import { runCli, tempDir, tempList } from './helpers.js';

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(() => tb.close());

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

describe('--save-dir', () => {
  it('mirrors the 2xx bodies, decoded, with every name inside the directory and none overwritten', async () => {
    const dir = join(tempDir(), 'mirror');
    const port = new URL(tb.url).port;
    const urls = [
      `${tb.url}/site/5/`,
      `${tb.url}/p/x`,
      `${tb.url}/p/x/y`,
      `${tb.url}/p/q?a=1&b=2`,
      `${tb.url}/p/a%2F..%2F..%2F..%2Fescape`,
      `${tb.url}/status/404/missing`,
    ];
    const r = await runCli(['-q', '-H', 'Accept-Encoding: gzip', '--save-dir', dir, tempList(urls)]);
    expect(r.code, r.stderr).toBe(0);
    const host = `127.0.0.1_${port}`;
    // Beside the hosts: the part files' dir and the list of saved files (.sweep-saved.ndjson).
    const saved = files(dir).filter((f) => !f.startsWith('.sweep-'));
    expect(files(dir).filter((f) => f.startsWith('.sweep-'))).toEqual(['.sweep-saved.ndjson']);
    expect(saved.every((f) => f.startsWith(`${host}/`))).toBe(true);
    // The gzipped page is saved decoded, as index.html of its directory.
    expect(readFileSync(join(dir, host, 'site/5/index.html'), 'utf8')).toBe(sitePage(0, 5));
    // /p/x and /p/x/y: both kept, whichever is saved first (x and x~2/y, or x/y and x/index.html).
    const xs = saved.filter((f) => f.startsWith(`${host}/p/x`));
    expect(xs).toHaveLength(2);
    for (const f of xs) expect(readFileSync(join(dir, f))).toEqual(PAGE_BODY);
    // The query is in the name; encoded slashes and dot-dots stayed inside; the 404 was not saved.
    expect(saved.some((f) => f.includes('a=1'))).toBe(true);
    expect(existsSync(join(dir, '..', 'escape'))).toBe(false);
    expect(saved.filter((f) => f.includes('escape'))).toHaveLength(1);
    expect(saved.some((f) => f.includes('missing'))).toBe(false);
    const records = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { url: string; saved?: string });
    expect(records.filter((x) => x.saved !== undefined)).toHaveLength(5);
    // Each record names a file that is there (a saved page is never moved afterwards).
    for (const x of records) if (x.saved !== undefined) expect(existsSync(x.saved), x.saved).toBe(true);
  });

  it('--save-types without --save-dir is a usage error; a bad type list names the option', async () => {
    const a = await runCli(['--save-types', 'text/html'], { stdin: '' });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--save-types needs --save-dir/);
    const b = await runCli(['--save-dir', tempDir(), '--save-types', 'html'], { stdin: '' });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--save-types/);
  });
});
