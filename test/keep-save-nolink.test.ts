// --save-dir on a file system without hard links (FAT, exFAT, some network mounts): link(2) fails
// with EPERM there, and the writer takes new names by an exclusive create plus rename instead,
// still never replacing another page's file. link is made to fail as such a file system does.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const links = vi.hoisted(() => ({ tried: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    link: async () => {
      links.tried++;
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM', syscall: 'link' });
    },
  };
});

const { SaveDirWriter } = await import('../src/keep/save-dir.js');
type Writer = Awaited<ReturnType<typeof SaveDirWriter.open>>;

async function save(w: Writer, url: string, body: string): Promise<string> {
  const file = w.begin(url, 200, [])!;
  file.data(Buffer.from(body));
  const out = await file.end({ truncated: false });
  expect(out.path, JSON.stringify(out)).not.toBeNull();
  return out.path!;
}

describe('--save-dir without hard links', () => {
  it('saves under free names, replaces only its own URL\'s file, keeps every other file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-save-nolink-'));
    mkdirSync(join(dir, 'h'));
    writeFileSync(join(dir, 'h', 'x.html'), 'not sweep\'s');
    const w = await SaveDirWriter.open({ dir });
    const at = (rel: string): string => join(resolve(dir), rel);
    expect(await save(w, 'http://h/x.html', 'x')).toBe(at('h/x~2.html'));
    expect(await save(w, 'https://h/x.html', 'https x')).toBe(at('h/x~3.html'));
    expect(await save(w, 'http://h/x.html', 'x again')).toBe(at('h/x~2.html'));
    await w.close();
    expect(links.tried).toBe(1); // then it stops trying
    expect(['x.html', 'x~2.html', 'x~3.html'].map((f) => readFileSync(join(dir, 'h', f), 'utf8'))).toEqual(["not sweep's", 'x again', 'https x']);
  });
});
