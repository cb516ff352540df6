// Start-up is part of every crawl's wall time (issue #4): a plain crawl loads undici's Agent by
// file rather than its whole index, pino only when the log level lets a line through, and the
// public suffix list and the XML parser only when a crawl needs them.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, tempList, useTestbed } from './helpers.js';

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
