// Bad input lines through the real CLI: each ends as a record, never a crash, and no request
// goes out for a line that is not an http(s) URL. (Option errors: crawl.test.ts "usage errors".)

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, useTestbed } from './helpers.js';

const bed = useTestbed();

describe('bad input lines', () => {
  it('invalid URLs and non-http(s) schemes are invalid_url records; nothing is sent', async () => {
    const bad = ['ftp://127.0.0.1/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://', '//127.0.0.1/x', '`touch /tmp/x`'];
    const r = await runCli(['-q'], { stdin: bad.join('\n') + '\n' });
    expect(r.code).toBe(0);
    expect(r.records).toHaveLength(bad.length);
    for (const rec of r.records) {
      expect(rec).toMatchObject({ ok: false, status: null, attempts: 0, error: { code: 'invalid_url' } });
      expect(rec.url).toBe(bad[rec.line - 1]);
    }
    expect(r.records.find((x) => x.line === 1)!.error!.message).toMatch(/scheme ftp:/);
    expect(bed.tb.counters.requests).toBe(0);
  });

  it('a line longer than 64 KiB is one invalid_url record with a bounded url; the next line is fetched', async () => {
    const path = join(tempDir(), 'long.txt');
    writeFileSync(path, `${bed.tb.url}/p/${'a'.repeat(1024 * 1024)}\n${bed.tb.url}/p/2\n`);
    const r = await runCli(['-q', path]);
    expect(r.code).toBe(0);
    const [long, next] = [...r.records].sort((a, b) => a.line - b.line);
    expect(long).toMatchObject({ line: 1, ok: false, attempts: 0, error: { code: 'invalid_url' } });
    expect(long!.error!.message).toMatch(/longer than 65536/);
    expect(long!.url.length).toBeLessThan(300);
    expect(next).toMatchObject({ line: 2, ok: true });
    expect(bed.tb.counters.requests).toBe(1);
  });

  it('NUL bytes and invalid UTF-8 give records that are valid JSON, not crashes', async () => {
    const path = join(tempDir(), 'binary.txt');
    const url = Buffer.from(`${bed.tb.url}/p/`);
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from([0x00, 0xff, 0xfe, 0x0a]), // line 1: garbage
        url, Buffer.from([0x61, 0x00, 0x62, 0x0a]), // line 2: a NUL inside a URL path
        url, Buffer.from([0xc3, 0x28, 0x0a]), // line 3: an invalid UTF-8 sequence in a URL path
        Buffer.from('http://\u0000host/\n'), // line 4: a NUL in the host
      ]),
    );
    const r = await runCli(['-q', '-r', '0', path]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const recs = [...r.records].sort((a, b) => a.line - b.line); // each line parses as JSON
    expect(recs.map((x) => x.line)).toEqual([1, 2, 3, 4]);
    expect(recs[0]).toMatchObject({ error: { code: 'invalid_url' } });
    // A NUL or a broken sequence in a path is percent-encoded on the wire, as browsers do.
    expect(recs[1]).toMatchObject({ ok: true, status: 200, url: `${bed.tb.url}/p/a\u0000b` });
    expect(recs[2]).toMatchObject({ ok: true, status: 200, url: `${bed.tb.url}/p/\ufffd(` });
    expect(recs[3]).toMatchObject({ error: { code: 'invalid_url' } });
  });

  it('IDN hosts go on the wire as punycode; the record keeps the name as given', async () => {
    const r = await runCli(['-q', '-r', '0'], { stdin: 'http://bücher.invalid/straße\n' });
    expect(r.code).toBe(0);
    expect(r.records[0]).toMatchObject({ url: 'http://bücher.invalid/straße', error: { code: 'dns' } });
    expect(r.records[0]!.error!.message).toContain('xn--bcher-kva.invalid');
  });

  it('only blank lines and comments: a summary of zeros, exit 0', async () => {
    const r = await runCli(['--no-progress'], { stdin: '\n   \n# nothing\n\r\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/lines read\s+4 \(4 skipped/);
    expect(r.stderr).toMatch(/records\s+0\s+ok 0\s+failed 0/);
  });
});

describe('bad --grace values (the other option errors: crawl.test.ts "usage errors")', () => {
  for (const value of ['-1', 'soon']) {
    it(`--grace ${value}: exit 2, one line naming the option, nothing fetched`, async () => {
      const r = await runCli(['--grace', value, '-'], { stdin: `${bed.tb.url}/p/1\n` });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`--grace.*'${value}'`));
      expect(bed.tb.counters.requests).toBe(0);
    });
  }
});

describe('--summary-json that cannot be written', () => {
  it('in a directory that does not exist: exit 2 before anything is fetched, one line naming the option', async () => {
    const path = join(tempDir(), 'missing', 'summary.json');
    const r = await runCli(['-q', '--summary-json', path, '-'], { stdin: `${bed.tb.url}/p/1\n` });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`sweep: --summary-json file '${path}': its directory does not exist`]);
    expect(bed.tb.counters.requests).toBe(0);
  });

  it('refused at the end (the path is a directory): the records are all out, one line, exit 1, no stack trace', async () => {
    const dir = tempDir();
    const r = await runCli(['-q', '--summary-json', dir, '-'], { stdin: `${bed.tb.url}/p/1\n${bed.tb.url}/p/2\n` });
    expect(r.code).toBe(1);
    expect(r.records).toHaveLength(2);
    expect(r.stderr.trim().split('\n')).toEqual([`sweep: cannot write --summary-json ${dir}: EISDIR`]);
  });
});
