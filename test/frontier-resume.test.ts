// --resume over the frontier: a crawl SIGKILLed at any step of a page (links admitted, log
// flushed, record written) and run again fetches every page, writes exactly one record per page,
// and refetches only what was in flight. A real child process kills itself (SIGKILL) at a chosen
// point; test/frontier-crash-child.mjs simulates the run core's order of writes.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./frontier-crash-child.mjs', import.meta.url));
const PAGES = 300;

function child(args: string[]): Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function records(dir: string): { url: string; depth: number }[] {
  return readFileSync(join(dir, 'out.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { url: string; depth: number });
}

describe('frontier resume after SIGKILL', () => {
  it('a run without a kill fetches every page once and leaves no spill files', async () => {
    const dir = tempDir();
    const run = await child([dir, String(PAGES), '7']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const urls = records(dir).map((r) => r.url);
    expect(urls.length).toBe(PAGES);
    expect(new Set(urls).size).toBe(PAGES);
    expect(readdirSync(dir).sort()).toEqual(['out.ndjson', 'out.ndjson.frontier']);
  });

  // Each step once, at the first page, in the middle and at the last but one.
  const kills: [number, string][] = [
    [0, 'flush'],
    [41, 'admit'],
    [150, 'record'],
    [PAGES - 2, 'flush'],
  ];
  it.each(kills)('killed at record %i after step "%s", resumes to one record per page', async (at, step) => {
    const dir = tempDir();
    const first = await child([dir, String(PAGES), String(at + 11), String(at), step]);
    expect(first.signal).toBe('SIGKILL');
    const before = records(dir).length;
    expect(before).toBe(step === 'record' ? at + 1 : at);

    const second = await child([dir, String(PAGES), String(at + 12)]);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const all = records(dir);
    const urls = all.map((r) => r.url);
    // Every page, each exactly once: what was finished is not fetched again, and what was in
    // flight (at most 8 pages, none of which had a record) is fetched by the resumed run.
    expect(new Set(urls).size).toBe(PAGES);
    expect(urls.length).toBe(PAGES);
    const { records: resumed } = JSON.parse(second.stdout) as { records: number };
    expect(resumed).toBe(PAGES - before);
  });
});
