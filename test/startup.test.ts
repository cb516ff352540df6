// Start-up is part of every crawl's wall time (issue #4): a plain crawl loads undici's Agent by
// file rather than its whole index, pino only when the log level lets a line through, and the
// public suffix list and the XML parser only when a crawl needs them.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isShortRun, SHORT_RUN_BYTES } from '../src/short-run.js';
import { BIN, runCli, tempDir, tempList, useTestbed } from './helpers.js';

const REPORT = fileURLToPath(new URL('./report-modules.cjs', import.meta.url));
const env = { NODE_OPTIONS: `--require ${REPORT}` };

describe('start-up', () => {
  const bed = useTestbed();

  it('a plain crawl loads neither undici\'s index nor pino, and still fetches', async () => {
    const r = await runCli(['-q', tempList([`${bed.tb.url}/p/1`, `${bed.tb.url}/status/404/2`])], { env });
    expect(r.code).toBe(0);
    expect(r.records.map((x) => x.status)).toEqual([200, 404]);
    expect(r.stderr).toContain('loaded: undici-index=false pino=false');
    // Required, not imported: an ESM import of a CommonJS package runs Node's export lexer over it.
    expect(r.stderr).toContain('commander=true');
  });

  it('a recursive crawl loads the public suffix list only for --scope domain, and sax only for an XML sitemap', async () => {
    const seed = tempList([`${bed.tb.url}/site/5/`]);
    const plain = await runCli(['-q', '--depth', '1', seed], { env });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('tldts=false sax=false');
    const domain = await runCli(['-q', '--depth', '1', '--scope', 'domain', seed], { env });
    expect(domain.code).toBe(0);
    expect(domain.records.length).toBe(plain.records.length);
    expect(domain.stderr).toContain('tldts=true sax=false');
  });

  it('--log-level info loads pino and logs the crawl', async () => {
    const r = await runCli(['--log-level', 'info', '--no-progress', tempList([`${bed.tb.url}/p/1`])], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/"msg":"crawl started"/);
    expect(r.stderr).toContain('pino=true');
  });
});

// V8 re-compiles llhttp (undici's parser, WebAssembly) with TurboFan in the background after a
// response or two, and a process does not exit before that compile ends (~130 ms here): a short
// run keeps the parser on Liftoff (src/short-run.ts). V8 names every compile under this flag.
describe('a short run does not wait for an optimising compile of the HTTP parser', () => {
  const bed = useTestbed();
  const traced = (args: string[], stdin?: string) =>
    new Promise<{ code: number | null; trace: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--trace-wasm-compilation-times', BIN, '-q', '--no-progress', ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
      let trace = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (trace += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, trace }));
      child.stdin.end(stdin ?? '');
    });
  const urls = (n: number) => Array.from({ length: n }, (_, i) => `${bed.tb.url}/p/${i}`);

  it('a list file of a few URLs: Liftoff only; the same URLs on stdin (length unknown): V8 tiers up as usual', async () => {
    const out = join(tempDir(), 'out.ndjson');
    const short = await traced(['-o', out, tempList(urls(50))]);
    expect(short.code).toBe(0);
    expect(short.trace).toContain('using Liftoff');
    expect(short.trace).not.toContain('using TurboFan');
    const piped = await traced(['-o', out], urls(50).join('\n') + '\n');
    expect(piped.code).toBe(0);
    expect(piped.trace).toContain('using TurboFan');
  });

  it('only a file input of at most 128 KiB, with no links followed, makes a short run', () => {
    expect(isShortRun(0, false)).toBe(true);
    expect(isShortRun(SHORT_RUN_BYTES, false)).toBe(true);
    expect(isShortRun(SHORT_RUN_BYTES + 1, false)).toBe(false);
    expect(isShortRun(null, false)).toBe(false);
    expect(isShortRun(100, true)).toBe(false);
  });
});
