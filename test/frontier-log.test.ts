// The admission log (src/frontier/log.ts) and its replay (replay.ts): what a resumed crawl reads
// back, whatever byte a SIGKILL cut the file at.

import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { Frontier, type FrontierEntry } from '../src/frontier/index.js';
import { assertLoggable, LOG_HEADER } from '../src/frontier/log.js';
import { drain, fcParams, hasher, keyPool, urlKey } from './frontier-helpers.js';
import { tempDir } from './helpers.js';

const H = `${LOG_HEADER}\n`;

function open(logPath: string, isFinished?: (url: string) => boolean): Promise<Frontier> {
  return Frontier.open({ logPath, spillDir: null, hasher, isFinished });
}

function logFile(content: string | Buffer): string {
  const path = join(tempDir(), 'out.ndjson.frontier');
  writeFileSync(path, content);
  return path;
}

describe('admission log', () => {
  it('starts a missing log with its header line, and replays nothing', async () => {
    const path = join(tempDir(), 'out.ndjson.frontier');
    const f = await open(path);
    expect(f.replayed).toEqual({ entries: 0, pending: 0, finished: 0, tornBytes: 0, bytes: 0 });
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(H);
  });

  it('replays an empty log as nothing and writes the header', async () => {
    const path = logFile('');
    const f = await open(path);
    expect(f.replayed!.entries).toBe(0);
    expect(f.pending).toBe(0);
    f.admit('https://a.example/', 1, ['https://a.example/x']);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(`${H}1\thttps://a.example/\n\thttps://a.example/x\n`);
  });

  it('cuts a log of only newlines (no header) to nothing and starts afresh', async () => {
    const path = logFile('\n\n\n');
    const f = await open(path);
    expect(f.replayed).toEqual({ entries: 0, pending: 0, finished: 0, tornBytes: 3, bytes: 0 });
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(H);
  });

  it('cuts a torn header to nothing', async () => {
    const path = logFile('#sweep-fr');
    const f = await open(path);
    expect(f.replayed!.tornBytes).toBe(9);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(H);
  });

  it('ignores blank lines between complete lines', async () => {
    const f = await open(logFile(`\n${H}\n0\t\n\n\thttps://a.example/\n\n`));
    expect(drain(f)).toEqual([{ url: 'https://a.example/', depth: 0, parent: null }]);
    f.close();
  });

  it('cuts a torn last line off the file and appends after the cut', async () => {
    const whole = `${H}1\thttps://a.example/\n\thttps://a.example/1\n\thttps://a.example/2\n`;
    const path = logFile(`${whole}\thttps://a.exa`);
    const f = await open(path);
    expect(f.replayed).toEqual({ entries: 2, pending: 2, finished: 0, tornBytes: 14, bytes: Buffer.byteLength(whole) });
    expect(statSync(path).size).toBe(Buffer.byteLength(whole));
    f.admit('https://a.example/1', 2, ['https://a.example/3']);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(`${whole}2\thttps://a.example/1\n\thttps://a.example/3\n`);
    const g = await open(path);
    expect(drain(g).map((e) => e.url)).toEqual(['https://a.example/1', 'https://a.example/2', 'https://a.example/3']);
    g.close();
  });

  it('cuts a last line torn inside a multi-byte UTF-8 character without decoding it', async () => {
    const whole = `${H}1\thttps://ü.example/\n\thttps://ü.example/ß😀\n`;
    const torn = Buffer.from('\thttps://ü.example/😀', 'utf8');
    for (const cut of [torn.length - 1, torn.length - 2, torn.length - 3]) {
      const path = logFile(Buffer.concat([Buffer.from(whole), torn.subarray(0, cut)]));
      const f = await open(path);
      expect(f.replayed!.tornBytes).toBe(cut);
      expect(drain(f)).toEqual([{ url: 'https://ü.example/ß😀', depth: 1, parent: 'https://ü.example/' }]);
      f.close();
      expect(readFileSync(path, 'utf8')).toBe(whole);
    }
  });

  it('queues a URL found on several pages once, at its first place', async () => {
    const f = await open(
      logFile(`${H}1\thttps://a.example/\n\thttps://a.example/x\n\thttps://a.example/y\n\thttps://a.example/x\n2\thttps://a.example/y\n\thttps://a.example/x\n\thttps://a.example/z\n`),
    );
    expect(f.replayed).toMatchObject({ entries: 5, pending: 3 });
    expect(f.seenCount).toBe(3);
    expect(drain(f)).toEqual([
      { url: 'https://a.example/x', depth: 1, parent: 'https://a.example/' },
      { url: 'https://a.example/y', depth: 1, parent: 'https://a.example/' },
      { url: 'https://a.example/z', depth: 2, parent: 'https://a.example/y' },
    ]);
    f.close();
  });

  it('lowers a depth when a later line found the URL nearer: it keeps its place and first parent', async () => {
    const path = join(tempDir(), 'out.ndjson.frontier');
    const f = await open(path);
    f.admit('https://a.example/deep', 3, ['https://a.example/x', 'https://a.example/y']);
    expect(f.admit('https://a.example/', 1, ['https://a.example/y'])).toBe(0); // lowered, not new
    f.close();
    expect(readFileSync(path, 'utf8')).toBe(
      `${H}3\thttps://a.example/deep\n\thttps://a.example/x\n\thttps://a.example/y\n1\thttps://a.example/\n\thttps://a.example/y\n`,
    );
    const g = await open(path);
    expect(drain(g)).toEqual([
      { url: 'https://a.example/x', depth: 3, parent: 'https://a.example/deep' },
      { url: 'https://a.example/y', depth: 1, parent: 'https://a.example/deep' },
    ]);
    g.close();
  });

  it('does not queue what already has a final record, but still knows it was seen', async () => {
    const path = logFile(`${H}1\thttps://a.example/\n\thttps://a.example/done\n\thttps://a.example/todo\n`);
    const f = await open(path, (url) => url.endsWith('/done'));
    expect(f.replayed).toMatchObject({ entries: 2, pending: 1, finished: 1 });
    expect(f.admit('https://a.example/other', 2, ['https://a.example/done', 'https://a.example/todo'])).toBe(0);
    expect(drain(f).map((e) => e.url)).toEqual(['https://a.example/todo']);
    f.close();
  });

  it('refuses a file that is not a frontier log, naming the file and line', async () => {
    const records = logFile('{"line":1,"url":"https://a.example/"}\n');
    await expect(open(records)).rejects.toThrow(UsageError);
    await expect(open(records)).rejects.toThrow(`${records}:1: not a sweep frontier log`);
    await expect(open(logFile(`${H}\thttps://a.example/\n`))).rejects.toThrow(':2: not a sweep frontier log');
    await expect(open(logFile(`${H}1\thttps://a.example/\n\t\n`))).rejects.toThrow(':3:');
    await expect(open(logFile(`${H}x\thttps://a.example/\n`))).rejects.toThrow(':2:');
    await expect(open(logFile(`${H}99999999999\t\n`))).rejects.toThrow(':2:');
    // Refusing leaves the file as it was.
    expect(readFileSync(records, 'utf8')).toBe('{"line":1,"url":"https://a.example/"}\n');
  });

  it('refuses a complete line over 4 MiB by its number, and cuts such a stretch as a torn tail without holding it', async () => {
    const huge = 'x'.repeat(4 * 1024 * 1024 + 1);
    await expect(open(logFile(`${H}1\thttps://a.example/\n\t${huge}\n`))).rejects.toThrow(':3: not a sweep frontier log: a line over 4194304 bytes');
    const torn = logFile(`${H}1\thttps://a.example/\n\thttps://a.example/x\n\t${huge}`);
    const f = await open(torn);
    expect(f.replayed).toMatchObject({ entries: 1, tornBytes: huge.length + 1 });
    f.close();
  });

  it('flushSync() writes everything appended so far, and nothing before it', async () => {
    const path = join(tempDir(), 'out.ndjson.frontier');
    const f = await open(path);
    f.admit(null, 0, ['https://a.example/']);
    f.admit('https://a.example/', 1, ['https://a.example/a', 'https://a.example/b']);
    expect(statSync(path).size).toBe(0);
    f.flushSync();
    expect(readFileSync(path, 'utf8')).toBe(`${H}0\t\n\thttps://a.example/\n1\thttps://a.example/\n\thttps://a.example/a\n\thttps://a.example/b\n`);
    f.close();
  });

  it('writes by itself once 1 MiB of lines waits, so a slow record sink cannot make it grow', async () => {
    const path = join(tempDir(), 'out.ndjson.frontier');
    const f = await open(path);
    const links = (i: number) => Array.from({ length: 20 }, (_, j) => `https://a.example/${i}/${j}/${'x'.repeat(40)}`);
    let i = 0;
    while (statSync(path).size === 0) f.admit(`https://a.example/${i}`, 1, links(i++));
    expect(statSync(path).size).toBeGreaterThan(1 << 20);
    expect(i).toBeGreaterThan(500); // 20 lines of ~70 bytes a page
    f.close();
    const g = await open(path);
    expect(g.pending).toBe(i * 20);
    g.close();
  });

  it('refuses a key with a tab or newline before changing anything', async () => {
    expect(() => assertLoggable('https://a.example/\tx')).toThrow(TypeError);
    const path = join(tempDir(), 'out.ndjson.frontier');
    const f = await open(path);
    expect(() => f.admit('https://a.example/', 1, ['https://a.example/ok', 'https://a.example/\nbad'])).toThrow(TypeError);
    expect(() => f.admit('https://a.example/\r', 1, ['https://a.example/ok'])).toThrow(TypeError);
    expect(f.seenCount).toBe(0);
    f.close();
  });

  it('replays any log cut at any byte to exactly its complete lines', async () => {
    const admitOp = fc.record({
      parent: fc.option(fc.oneof(urlKey, keyPool(20)), { nil: null }),
      depth: fc.nat(5),
      urls: fc.array(fc.oneof(urlKey, keyPool(30)), { maxLength: 8 }),
    });
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fc.array(admitOp, { maxLength: 25 }), fc.nat(), fc.func(fc.boolean()), async (admits, at, finishedFn) => {
        const full = join(dir, 'full.frontier');
        rmSync(full, { force: true });
        const f = await open(full);
        for (const a of admits) f.admit(a.parent, a.depth, a.urls);
        f.close();
        const bytes = readFileSync(full);
        const cut = at % (bytes.length + 1);
        const path = join(dir, 'cut.frontier');
        writeFileSync(path, bytes.subarray(0, cut));
        const isFinished = (url: string): boolean => finishedFn(url);

        const want = replayModel(bytes.subarray(0, cut), isFinished);
        const g = await open(path, isFinished);
        expect(g.replayed).toEqual(want.stats);
        expect(g.seenCount).toBe(want.seen);
        expect(drain(g)).toEqual(want.order);
        g.close();
        // What is left is the complete lines (or a fresh header when there was none).
        const keep = want.stats.bytes === 0 ? H : bytes.subarray(0, want.stats.bytes).toString('utf8');
        expect(readFileSync(path, 'utf8')).toBe(keep);
      }),
      fcParams(100),
    );
  });
});

/** A plain reading of the log format: split complete lines, a Map and an array. */
function replayModel(bytes: Buffer, isFinished: (url: string) => boolean) {
  const lastNl = bytes.lastIndexOf(10);
  const complete = bytes.subarray(0, lastNl + 1).toString('utf8');
  const lines = complete.split('\n').slice(0, -1);
  const hasHeader = lines.some((l) => l !== '');
  if (hasHeader) expect(lines.find((l) => l !== '')).toBe(LOG_HEADER);
  const keep = hasHeader ? lastNl + 1 : 0;
  const stats = { entries: 0, pending: 0, finished: 0, tornBytes: bytes.length - keep, bytes: keep };
  const seen = new Map<string, { depth: number; started: boolean }>();
  const queue: FrontierEntry[] = [];
  let depth = -1;
  let parent: string | null = null;
  for (const line of lines.slice(lines.indexOf(LOG_HEADER) + 1)) {
    if (line === '') continue;
    if (!line.startsWith('\t')) {
      const tab = line.indexOf('\t');
      depth = Number(line.slice(0, tab));
      parent = line.slice(tab + 1) || null;
      continue;
    }
    const url = line.slice(1);
    stats.entries++;
    const m = seen.get(url);
    if (isFinished(url)) {
      if (m === undefined) stats.finished++;
      seen.set(url, { depth: Math.min(depth, m?.depth ?? depth), started: true });
    } else if (m === undefined) {
      seen.set(url, { depth, started: false });
      queue.push({ url, depth, parent });
      stats.pending++;
    } else if (!m.started && depth < m.depth) {
      m.depth = depth;
    }
  }
  const order = queue.map((e) => ({ ...e, depth: seen.get(e.url)!.depth }));
  return { stats, seen: seen.size, order };
}
