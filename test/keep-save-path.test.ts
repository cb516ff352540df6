// --save-dir: the URL -> path mapping and its traps, placement against what is already there
// (uniqueness, file vs directory), and the streaming writer (decoding, --save-types, temp file +
// rename, file vs directory on disk).

import { appendFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mapUrl, place, type Occupant, type Placement } from '../src/keep/save-path.js';
import { parseSaveTypes, SAVED_LIST, SaveDirWriter, type SaveFile } from '../src/keep/save-dir.js';
import { fc } from './property.js';

const path = (url: string) => mapUrl(url)!.segments.join('/');

/** A save dir in memory: path -> 'dir', or a file (or symlink) with the key of its page, if known. */
type Tree = Map<string, Exclude<Occupant, null>>;

/** Drives place() against `tree` and applies the result (directories made, the file written). */
function placeIn(tree: Tree, url: string): (Placement & { asked: Map<string, Occupant> }) | null {
  const mapped = mapUrl(url);
  if (mapped === null) return null;
  const asked = new Map<string, Occupant>();
  const placing = place(mapped);
  let step = placing.next();
  while (!step.done) {
    const there = tree.get(step.value) ?? null;
    asked.set(step.value, there);
    step = placing.next(there);
  }
  const parts = step.value.rel.split('/');
  for (let i = 1; i < parts.length; i++) tree.set(parts.slice(0, i).join('/'), 'dir');
  tree.set(step.value.rel, { owner: mapped.key });
  return { ...step.value, asked };
}

describe('mapUrl', () => {
  it.each([
    ['http://example.com/', 'example.com/index.html'],
    ['http://example.com', 'example.com/index.html'],
    ['http://Example.COM:8080/a/b.html', 'example.com_8080/a/b.html'],
    ['https://example.com:443/a/', 'example.com/a/index.html'],
    ['http://example.com/s?q=a/b&x=1', 'example.com/s@q=a%2Fb&x=1'],
    ['http://example.com/dir/?page=2#top', 'example.com/dir/index.html@page=2'],
    ['http://example.com/caf%C3%A9/na%C3%AFve', 'example.com/café/naïve'],
    ['http://example.com/a%20b', 'example.com/a b'],
    ['http://example.com/mail@home', 'example.com/mail%40home'],
  ])('%s -> %s', (url, rel) => expect(path(url)).toBe(rel));

  describe('never leaves the save dir', () => {
    it.each([
      ['raw ..', 'http://h/a/../../../etc/passwd', 'h/etc/passwd'],
      ['encoded ..', 'http://h/a/%2e%2e/%2E%2E/etc/passwd', 'h/etc/passwd'],
      ['half-encoded ..', 'http://h/a/.%2e/b', 'h/b'],
      ['double-encoded ..', 'http://h/%252e%252e/x', 'h/%252e%252e/x'],
      ['encoded slash', 'http://h/a%2Fb/c', 'h/a%2Fb/c'],
      ['encoded backslash', 'http://h/a%5C..%5Cb', 'h/a%5C..%5Cb'],
      ['raw backslash', 'http://h/a\\b', 'h/a/b'],
      ['absolute path', 'http://h//etc/passwd', 'h/%/etc/passwd'],
      ['NUL and controls', 'http://h/a%00b%0A%1Fc%7F', 'h/a%00b%0A%1Fc%7F'],
      ['Windows-reserved', 'http://h/a%3Cb%3E%3A%22%7C%2A', 'h/a%3Cb%3E%3A%22%7C%2A'],
      ['host ..', 'http://../x', '%2E./x'],
      ['dot files', 'http://h/.git/config', 'h/%2Egit/config'],
      ['a lone dot after decoding', 'http://h/%2e', 'h/index.html'],
      ['percent', 'http://h/100%25', 'h/100%25'],
      ['invalid UTF-8', 'http://h/%FF%FE', 'h/%FF%FE'],
      ['IPv6 host', 'http://[::1]:8080/x', '[%3A%3A1]_8080/x'],
    ])('%s', (_name, url, rel) => expect(path(url)).toBe(rel));

    it('shortens names over 255 bytes with a hash, keeping them apart', () => {
      const a = path(`http://h/${'é'.repeat(200)}a`);
      const b = path(`http://h/${'é'.repeat(200)}b`);
      const nameA = a.split('/')[1]!;
      expect(Buffer.byteLength(nameA)).toBeLessThanOrEqual(255);
      expect(nameA).toMatch(/~[0-9a-f]{16}$/);
      expect(a).not.toBe(b);
      const q = path(`http://h/x?${'q'.repeat(400)}`);
      expect(Buffer.byteLength(q.split('/')[1]!)).toBeLessThanOrEqual(255);
    });

    it('ignores URLs that are not http(s)', () => {
      expect(mapUrl('file:///etc/passwd')).toBeNull();
      expect(mapUrl('not a url')).toBeNull();
    });
  });

  // Any URL: every segment is a plain file name, and the path resolves inside the save dir.
  const segment = fc.oneof(
    fc.constantFrom('..', '.', '%2e%2e', '.%2E', '%2F', '%5C', '%00', '', '~', 'index.html', '%25', '@', 'CON', 'a?b'),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 8 }).map((s) => encodeURIComponent(s)),
    fc.string({ minLength: 240, maxLength: 300 }),
  );
  const urlArb = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc
      .tuple(fc.constantFrom('http://h', 'https://h', 'http://h:81', 'http://..'), fc.array(segment, { maxLength: 6 }), fc.option(fc.string({ maxLength: 20 })))
      .map(([origin, segs, q]) => `${origin}/${segs.join('/')}${q === null ? '' : '?' + q}`),
  );

  it('maps any URL to plain file names inside the dir (property)', () => {
    const root = resolve('/save');
    fc.assert(
      fc.property(urlArb, (url) => {
        const m = mapUrl(url);
        if (m === null) return;
        for (const s of m.segments) {
          expect(s).not.toBe('');
          expect(s === '.' || s === '..').toBe(false);
          expect(s).not.toMatch(/[/\\\0]/);
          expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
        }
        expect(resolve(root, ...m.segments).startsWith(root + sep)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  // Pages placed one after another into a tree that may hold things sweep did not write (a file,
  // a symlink: an owner-less occupant) where pages or directories want to go.
  const foreign = fc.array(
    fc.tuple(fc.constantFrom('h', 'h/a', 'h/a/b', 'h/index.html', 'h/a~2', 'h/x.html', 'h/x~2.html', '%2E.'), fc.boolean()),
    { maxLength: 4 },
  );
  const clashing = fc.constantFrom('http://h/a', 'http://h/a/', 'https://h/a', 'http://h/a/b', 'http://h/a/b/', 'http://h/a~2', 'http://h/a~2/b', 'http://h/x.html', 'https://h/x.html', 'http://h/x.html/y', 'http://h/%61', 'http://h/', 'http://h/index.html', 'http://h/index.html/z');

  it('places every page where nothing of another page is, through directories only, and never moves one (property)', () => {
    const root = resolve('/save');
    fc.assert(
      fc.property(foreign, fc.array(fc.oneof(clashing, urlArb), { maxLength: 40 }), (others, urls) => {
        const tree: Tree = new Map();
        const foreignFiles: string[] = [];
        for (const [rel, dir] of others) {
          // Its parents must be directories; skip it when an earlier one is a file there.
          const parts = rel.split('/');
          const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
          if (parents.some((d) => tree.has(d) && tree.get(d) !== 'dir')) continue;
          for (let i = 1; i < parts.length; i++) tree.set(parts.slice(0, i).join('/'), 'dir');
          if (tree.has(rel)) continue;
          tree.set(rel, dir ? 'dir' : { owner: null });
          if (!dir) foreignFiles.push(rel);
        }
        const placed: { key: string; rel: string }[] = [];
        for (const url of urls) {
          const mapped = mapUrl(url);
          const p = placeIn(tree, url);
          if (p === null || mapped === null) continue;
          // Inside the dir, every segment a plain name.
          const parts = p.rel.split('/');
          for (const s of parts) {
            expect(s === '' || s === '.' || s === '..').toBe(false);
            expect(s).not.toMatch(/[/\\\0]/);
            expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
          }
          expect(resolve(root, ...parts).startsWith(root + sep)).toBe(true);
          // Through directories (or free names) only; the file name free, or this URL's own file.
          for (let i = 1; i < parts.length; i++) {
            const dir = parts.slice(0, i).join('/');
            expect(p.asked.has(dir)).toBe(true);
            expect([null, 'dir']).toContain(p.asked.get(dir));
          }
          const before = p.asked.get(p.rel) ?? null;
          expect(p.replace).toBe(before !== null);
          if (before !== null) expect(before).toEqual({ owner: mapped.key });
          placed.push({ key: mapped.key, rel: p.rel });
        }
        // Nothing placed was moved or taken by another URL afterwards; nothing foreign was replaced.
        for (const { key, rel } of placed) expect(tree.get(rel)).toEqual({ owner: key });
        for (const rel of foreignFiles) expect(tree.get(rel)).toEqual({ owner: null });
      }),
      { numRuns: 500 },
    );
  });

  it('gives a URL its mapped path when nothing is in the way, and the same path when it comes again (property)', () => {
    fc.assert(
      fc.property(urlArb, (url) => {
        const tree: Tree = new Map();
        const first = placeIn(tree, url);
        if (first === null) return;
        expect(first).toMatchObject({ rel: path(url), replace: false });
        expect(placeIn(tree, url)).toMatchObject({ rel: path(url), replace: true });
      }),
      { numRuns: 500 },
    );
  });
});

describe('place', () => {
  it('keeps a page at /a where it is when /a/b comes: the directory is a~2', () => {
    const tree: Tree = new Map();
    expect(placeIn(tree, 'http://h/a')!.rel).toBe('h/a');
    expect(placeIn(tree, 'http://h/a/b')!.rel).toBe('h/a~2/b');
    expect(placeIn(tree, 'http://h/a/c/d')!.rel).toBe('h/a~2/c/d');
    expect(placeIn(tree, 'http://h/a')).toMatchObject({ rel: 'h/a', replace: true });
  });

  it('puts a page at /a into a directory a that is already there, as a/index.html', () => {
    const tree: Tree = new Map();
    expect(placeIn(tree, 'http://h/a/b')!.rel).toBe('h/a/b');
    expect(placeIn(tree, 'http://h/a')!.rel).toBe('h/a/index.html');
  });

  it('numbers a second URL that meets an earlier one at the same name, and keeps a URL its name', () => {
    const tree: Tree = new Map();
    expect(placeIn(tree, 'http://h/x.html')!.rel).toBe('h/x.html');
    expect(placeIn(tree, 'https://h/x.html')!.rel).toBe('h/x~2.html');
    expect(placeIn(tree, 'http://h/x.html#again')).toMatchObject({ rel: 'h/x.html', replace: true });
    expect(placeIn(tree, 'http://h/a/')!.rel).toBe('h/a/index.html');
    expect(placeIn(tree, 'http://h/a')!.rel).toBe('h/a/index~2.html');
  });

  it('never takes a file whose page is not known (not written by sweep), nor another URL\'s', () => {
    const tree: Tree = new Map<string, Exclude<Occupant, null>>([['h', 'dir'], ['h/x.html', { owner: null }], ['h/x~2.html', { owner: 'http://h/other' }]]);
    expect(placeIn(tree, 'http://h/x.html')).toMatchObject({ rel: 'h/x~3.html', replace: false });
  });

  it('never enters a symlink or a file where a directory must be', () => {
    const tree: Tree = new Map<string, Exclude<Occupant, null>>([['h', 'dir'], ['h/evil', { owner: null }], ['h/evil~2', { owner: null }]]);
    expect(placeIn(tree, 'http://h/evil/payload')!.rel).toBe('h/evil~3/payload');
  });
});

describe('parseSaveTypes', () => {
  it('takes media types and wildcards, and names the option when one is wrong', () => {
    expect(parseSaveTypes('text/html, Application/PDF,image/*')).toEqual(['text/html', 'application/pdf', 'image/*']);
    expect(() => parseSaveTypes('html')).toThrow(/--save-types: "html" is not a media type/);
    expect(() => parseSaveTypes(' , ')).toThrow(/--save-types/);
  });
});

describe('SaveDirWriter', () => {
  const h = (...pairs: string[]) => pairs.map((p) => Buffer.from(p));

  async function save(w: SaveDirWriter, url: string, headers: Buffer[], body: Buffer, status = 200) {
    const file = w.begin(url, status, headers);
    if (!file) return null;
    for (let i = 0; i < body.length; i += 1000) file.data(body.subarray(i, i + 1000));
    return file.end({ truncated: false });
  }

  it('writes each body decoded, under its name, through a part file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-'));
    const w = await SaveDirWriter.open({ dir });
    const text = Buffer.from('<p>hello</p>'.repeat(500));
    expect(await save(w, 'http://h/plain.html', h('Content-Type', 'text/html'), text)).toEqual({ path: join(resolve(dir), 'h/plain.html'), bytes: text.length });
    await save(w, 'http://h/g', h('Content-Encoding', 'gzip'), gzipSync(text));
    await save(w, 'http://h/d', h('content-encoding', 'deflate'), deflateSync(text));
    await save(w, 'http://h/b', h('Content-Encoding', 'br'), brotliCompressSync(text));
    await save(w, 'http://h/gb', h('Content-Encoding', 'gzip, br'), brotliCompressSync(gzipSync(text)));
    await w.close();
    for (const name of ['plain.html', 'g', 'd', 'b', 'gb']) expect(readFileSync(join(dir, 'h', name)).equals(text)).toBe(true);
    expect(readdirSync(join(dir, '.sweep-part'))).toEqual([]);
  });

  it('keeps the final name free until the body is complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-part-'));
    const w = await SaveDirWriter.open({ dir });
    const file = w.begin('http://h/slow', 200, [])!;
    file.data(Buffer.from('half'));
    await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(dir, 'h', 'slow'))).toBe(false);
    expect(readdirSync(join(dir, '.sweep-part')).length).toBe(1);
    file.data(Buffer.from(' and the rest'));
    await file.end({ truncated: false });
    expect(readFileSync(join(dir, 'h', 'slow'), 'utf8')).toBe('half and the rest');
  });

  it('saves nothing for non-2xx, filtered types, unknown codings, cut or bad bodies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-skip-'));
    const w = await SaveDirWriter.open({ dir, types: parseSaveTypes('text/html,image/*'), maxBytes: 10_000 });
    expect(w.begin('http://h/404', 404, h('Content-Type', 'text/html'))).toBeNull();
    expect(w.begin('http://h/pdf', 200, h('Content-Type', 'application/pdf'))).toBeNull();
    expect(w.begin('http://h/none', 200, [])).toBeNull();
    expect(w.begin('http://h/zstd', 200, h('Content-Type', 'text/html', 'Content-Encoding', 'zstd'))).toBeNull();
    for (const ct of ['IMAGE/PNG', 'Text/HTML; charset=utf-8']) {
      const wanted = w.begin(`http://h/${ct.length}`, 200, h('Content-Type', ct));
      expect(wanted).not.toBeNull();
      wanted!.abort();
    }

    const cut = w.begin('http://h/cut', 200, h('Content-Type', 'text/html'))!;
    cut.data(Buffer.from('partial'));
    expect(await cut.end({ truncated: true })).toEqual({ path: null, reason: 'truncated' });
    const bad = await save(w, 'http://h/bad', h('Content-Type', 'text/html', 'Content-Encoding', 'gzip'), Buffer.from('not gzip at all'));
    expect(bad).toMatchObject({ path: null, reason: 'decode' });
    const bomb = await save(w, 'http://h/bomb', h('Content-Type', 'text/html', 'Content-Encoding', 'gzip'), gzipSync(Buffer.alloc(1_000_000)));
    expect(bomb).toMatchObject({ path: null, reason: 'too-large' });
    const aborted = w.begin('http://h/aborted', 200, h('Content-Type', 'text/html')) as SaveFile;
    aborted.data(Buffer.from('x'));
    aborted.abort();
    await w.close();
    expect(existsSync(join(dir, 'h'))).toBe(false);
    expect(readdirSync(join(dir, '.sweep-part'))).toEqual([]);
  });

  // Both orders: the page that is on disk first keeps its name, and the path each save returned
  // (the one its record names) still holds its body at the end.
  it('never moves a saved page when a directory needs its name, in either order, on disk too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-dirs-'));
    const w = await SaveDirWriter.open({ dir });
    const pages = ['http://h/a', 'http://h/a/b', 'http://h/a/b/c', 'http://h/x/y/z', 'http://h/x/y', 'http://h/x'];
    const saved = new Map<string, string>();
    for (const url of pages) saved.set(url, (await save(w, url, [], Buffer.from(`page ${url}`)))!.path!);
    await w.close();
    for (const [url, file] of saved) expect(readFileSync(file, 'utf8')).toBe(`page ${url}`);
    expect([...saved.values()].map((f) => f.slice(resolve(dir).length + 1))).toEqual([
      join('h', 'a'),
      join('h', 'a~2', 'b'),
      join('h', 'a~2', 'b~2', 'c'),
      join('h', 'x', 'y', 'z'),
      join('h', 'x', 'y', 'index.html'),
      join('h', 'x', 'index.html'),
    ]);
  });

  it('never follows nor moves a symlink it finds where a directory must be', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-link-'));
    const outside = mkdtempSync(join(tmpdir(), 'sweep-save-outside-'));
    mkdirSync(join(dir, 'h'));
    symlinkSync(outside, join(dir, 'h', 'evil'));
    const w = await SaveDirWriter.open({ dir });
    expect((await save(w, 'http://h/evil/payload', [], Buffer.from('x')))!.path).toBe(join(resolve(dir), 'h/evil~2/payload'));
    await w.close();
    expect(readdirSync(outside)).toEqual([]);
    expect(readFileSync(join(dir, 'h/evil~2/payload'), 'utf8')).toBe('x');
    expect(lstatSync(join(dir, 'h/evil')).isSymbolicLink()).toBe(true);
  });

  it('keeps a file it did not write: the page takes a ~n name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-foreign-'));
    mkdirSync(join(dir, 'h'));
    writeFileSync(join(dir, 'h', 'page.html'), 'not a page sweep saved');
    const w = await SaveDirWriter.open({ dir });
    expect((await save(w, 'http://h/page.html', [], Buffer.from('the page')))!.path).toBe(join(resolve(dir), 'h/page~2.html'));
    await w.close();
    expect(readFileSync(join(dir, 'h/page.html'), 'utf8')).toBe('not a page sweep saved');
    expect(readFileSync(join(dir, 'h/page~2.html'), 'utf8')).toBe('the page');
  });

  // A later run over the same dir, or one resumed after a kill (the first writer is never closed):
  // the same URL replaces its own file, another URL that meets the name takes the next one.
  it('knows the files of earlier runs: the same URL replaces its own, another URL never does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-runs-'));
    const killed = await SaveDirWriter.open({ dir });
    const first = (await save(killed, 'http://h/a/', [], Buffer.from('a/ once')))!.path;
    await save(killed, 'http://h/b.html', [], Buffer.from('b once'));
    const w = await SaveDirWriter.open({ dir });
    expect((await save(w, 'http://h/a', [], Buffer.from('a')))!.path).toBe(join(resolve(dir), 'h/a/index~2.html'));
    expect((await save(w, 'http://h/a/', [], Buffer.from('a/ twice')))!.path).toBe(first);
    expect((await save(w, 'https://h/b.html', [], Buffer.from('https b')))!.path).toBe(join(resolve(dir), 'h/b~2.html'));
    expect((await save(w, 'http://h/b.html', [], Buffer.from('b twice')))!.path).toBe(join(resolve(dir), 'h/b.html'));
    await w.close();
    const again = await SaveDirWriter.open({ dir });
    expect((await save(again, 'http://h/a', [], Buffer.from('a twice')))!.path).toBe(join(resolve(dir), 'h/a/index~2.html'));
    await again.close();
    const files = Object.fromEntries(['a/index.html', 'a/index~2.html', 'b.html', 'b~2.html'].map((f) => [f, readFileSync(join(dir, 'h', f), 'utf8')]));
    expect(files).toEqual({ 'a/index.html': 'a/ twice', 'a/index~2.html': 'a twice', 'b.html': 'b twice', 'b~2.html': 'https b' });
    expect(readdirSync(join(dir, 'h')).sort()).toEqual(['a', 'b.html', 'b~2.html']);
  });

  it('cuts a torn last line off its list of saved files, and reads the lines before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-torn-'));
    const w = await SaveDirWriter.open({ dir });
    await save(w, 'http://h/x', [], Buffer.from('x'));
    await w.close();
    appendFileSync(join(dir, SAVED_LIST), '{"path":"h/y","ur');
    const again = await SaveDirWriter.open({ dir });
    expect((await save(again, 'http://h/x', [], Buffer.from('x again')))!.path).toBe(join(resolve(dir), 'h/x'));
    expect((await save(again, 'https://h/x', [], Buffer.from('https x')))!.path).toBe(join(resolve(dir), 'h/x~2'));
    await again.close();
    const lines = readFileSync(join(dir, SAVED_LIST), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { path: 'h/x', url: 'http://h/x' },
      { path: 'h/x~2', url: 'https://h/x' },
    ]);
  });

  it('gives pages of one run that meet at one name a file each, whatever order they finish in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-race-'));
    const w = await SaveDirWriter.open({ dir });
    const urls = ['http://h/n', 'https://h/n', 'http://h/%6E', 'http://h/n/', 'http://h/n/index.html', 'https://h/n/', 'http://h/n/m', 'http://h:81/n'];
    const files = urls.map((u) => w.begin(u, 200, [])!);
    files.forEach((f, i) => f.data(Buffer.from(`body ${urls[i]}`)));
    // All end at once, the last begun first.
    const saved = await Promise.all(files.map((f, i) => [f, i] as const).reverse().map(async ([f, i]) => [urls[i]!, (await f.end({ truncated: false })).path!] as const));
    await w.close();
    expect(new Set(saved.map(([, p]) => p)).size).toBe(urls.length);
    for (const [url, p] of saved) expect(readFileSync(p, 'utf8')).toBe(`body ${url}`);
  });

  // Two processes writing into one dir (two writers here): place() may find a name free in both,
  // but only one link(2) can take it; the other page takes the next name.
  it('never lets two writers over one dir take one name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-two-'));
    const a = await SaveDirWriter.open({ dir });
    const b = await SaveDirWriter.open({ dir });
    const saves = await Promise.all([save(a, 'http://h/p', [], Buffer.from('from a')), save(b, 'https://h/p', [], Buffer.from('from b'))]);
    await Promise.all([a.close(), b.close()]);
    expect(saves[0]!.path).not.toBe(saves[1]!.path);
    expect(readFileSync(saves[0]!.path!, 'utf8')).toBe('from a');
    expect(readFileSync(saves[1]!.path!, 'utf8')).toBe('from b');
  });

  it('reports backpressure while a file stream is full and drains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-bp-'));
    const w = await SaveDirWriter.open({ dir });
    let drains = 0;
    w.onDrain = () => drains++;
    const file = w.begin('http://h/big', 200, [])!;
    let full = false;
    for (let i = 0; i < 20 && !full; i++) full = !file.data(Buffer.alloc(64 * 1024, i));
    expect(full).toBe(true);
    expect(w.backedUp).toBe(true);
    await new Promise<void>((r) => (w.onDrain = () => (drains++, r())));
    expect(w.backedUp).toBe(false);
    await file.end({ truncated: false });
    expect(drains).toBe(1);
  });

  it('sweeps part files a killed run left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-sweep-'));
    mkdirSync(join(dir, '.sweep-part'));
    writeFileSync(join(dir, '.sweep-part', 'leftover'), 'half');
    await SaveDirWriter.open({ dir });
    expect(readdirSync(join(dir, '.sweep-part'))).toEqual([]);
  });
});
