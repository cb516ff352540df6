import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJobs, type InputProgress, type Job } from '../src/input.js';
import { MAX_URL_LENGTH, redactUrl } from '../src/target.js';
import { tempList } from './helpers.js';

const progress = (): InputProgress => ({ bytesRead: 0, bytesTotal: null, linesRead: 0, skipped: 0, done: false });

async function collect(sources: string[], stdin?: Readable, p = progress()): Promise<Job[]> {
  const jobs: Job[] = [];
  for await (const batch of readJobs(sources, p, stdin)) jobs.push(...batch);
  return jobs;
}

describe('input', () => {
  it('skips blanks and comments, trims, accepts CRLF, numbers lines across files', async () => {
    const a = tempList(['http://a.test/1', '', '  # comment', '  http://a.test/2  \r']);
    const b = tempList(['http://b.test/3\r', 'not a url']);
    const p = progress();
    const jobs = await collect([a, b], undefined, p);
    expect(jobs.map((j) => [j.line, j.url, j.invalid === null])).toEqual([
      [1, 'http://a.test/1', true],
      [4, 'http://a.test/2', true],
      [5, 'http://b.test/3', true],
      [6, 'not a url', false],
    ]);
    expect(p.skipped).toBe(2);
    expect(p.linesRead).toBe(6);
    expect(p.done).toBe(true);
  });

  it('hands out at most 256 jobs at a time, in order, from one big chunk', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `http://x.test/${i}`);
    const sizes: number[] = [];
    const jobs: Job[] = [];
    for await (const batch of readJobs(['-'], progress(), Readable.from([Buffer.from(lines.join('\n') + '\n')]))) {
      sizes.push(batch.length);
      jobs.push(...batch);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256);
    expect(jobs.map((j) => j.url)).toEqual(lines);
    expect(jobs.map((j) => j.line)).toEqual(lines.map((_, i) => i + 1));
  });

  it('reads stdin when the source is "-", and a last line without newline', async () => {
    const jobs = await collect(['-'], Readable.from([Buffer.from('http://x.test/a\nhttp://x.te'), Buffer.from('st/b')]));
    expect(jobs.map((j) => j.url)).toEqual(['http://x.test/a', 'http://x.test/b']);
  });

  it('rejects non-http schemes and relative URLs as invalid_url jobs', async () => {
    const jobs = await collect(['-'], Readable.from(['ftp://h/x\nfile:///etc/passwd\njavascript:alert(1)\n/relative\nhttps://ok.test\n']));
    expect(jobs.map((j) => j.target !== null)).toEqual([false, false, false, false, true]);
    expect(jobs[0]!.invalid).toMatch(/scheme/);
  });

  it('turns an IDN host into punycode for the wire and keeps the URL as given', async () => {
    const [job] = await collect(['-'], Readable.from(['http://bücher.example/ä?q=1#frag\n']));
    expect(job!.url).toBe('http://bücher.example/ä?q=1#frag');
    expect(job!.target!.origin).toBe('http://xn--bcher-kva.example');
    expect(job!.target!.path).toBe('/%C3%A4?q=1');
  });

  it('redacts passwords and sends them as Basic auth', async () => {
    const [job] = await collect(['-'], Readable.from(['http://user:s3cret@h.test/x\n']));
    expect(job!.url).toBe('http://user:***@h.test/x');
    expect(job!.target!.auth).toBe('Basic ' + Buffer.from('user:s3cret').toString('base64'));
    expect(redactUrl('https://h.test/a@b')).toBe('https://h.test/a@b');
  });

  it('hides credentials wherever the URL parser finds them', () => {
    const cases: [string, string][] = [
      ['http://user:p@ss@h.test/x', 'http://user:***@h.test/x'], // userinfo runs to the last @
      ['http://us@er:hunter2@h.test/', 'http://us@er:***@h.test/'.replace('us@er:', 'us@er:')],
      ['http:/user:secret1@h.test/', 'http:/user:***@h.test/'], // one slash: still an authority
      ['http:\\\\user:secret2@h.test/', 'http:\\\\user:***@h.test/'], // backslashes count as slashes
      ['https://ghp_TOKEN@h.test/repo', 'https://***@h.test/repo'], // a user name alone is a token
      ['http://h.test:8080/a@b?c@d#e@f', 'http://h.test:8080/a@b?c@d#e@f'], // @ after the authority
      ['http://u:p@h.test?q@x', 'http://u:***@h.test?q@x'],
      ['not a url @ all', 'not a url @ all'],
    ];
    for (const [raw, shown] of cases) expect(redactUrl(raw)).toBe(shown);
    expect(redactUrl('http://us@er:hunter2@h.test/')).not.toContain('hunter2');
    // The head of an over-long line: its authority may go on past the cut.
    expect(redactUrl('http://user:' + 'p'.repeat(190), false)).toBe('http://***');
    expect(redactUrl('http://h.test/' + 'a'.repeat(190), false)).toBe('http://h.test/' + 'a'.repeat(190));
  });

  it('credentials with a stray % (not valid percent-encoding) are one line, sent as written, not the end of the run', async () => {
    const jobs = await collect(['-'], Readable.from(['http://%:x@h.test/a\nhttp://u:100%25%zz@h.test/b\nhttp://h.test/c\n']));
    expect(jobs.map((j) => j.invalid)).toEqual([null, null, null]);
    expect(jobs[0]!.url).toBe('http://%:***@h.test/a');
    expect(jobs[0]!.target!.auth).toBe('Basic ' + Buffer.from('%:x').toString('base64'));
    expect(jobs[1]!.target!.auth).toBe('Basic ' + Buffer.from('u:100%%zz').toString('base64'));
  });

  it('an over-long line whose password runs past the first 200 characters shows none of it', async () => {
    const [job] = await collect(['-'], Readable.from([`http://user:${'s'.repeat(70_000)}@h.test/\n`]));
    expect(job!.invalid).toMatch(/longer than/);
    expect(job!.url).not.toMatch(/ss/);
  });

  it('bounds an over-long line instead of holding it', async () => {
    const long = 'http://h.test/' + 'a'.repeat(200_000);
    const chunks = [long.slice(0, 70_000), long.slice(70_000), '\nhttp://h.test/next\n'];
    const jobs = await collect(['-'], Readable.from(chunks));
    expect(jobs).toHaveLength(2);
    expect(jobs[0]!.invalid).toMatch(/longer than/);
    expect(jobs[0]!.url.length).toBeLessThan(300);
    expect(jobs[1]).toMatchObject({ line: 2, url: 'http://h.test/next' });
  });

  it('does not crash on NUL bytes and invalid UTF-8', async () => {
    const jobs = await collect(['-'], Readable.from([Buffer.from([0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x00, 0xff, 0xfe, 0x0a])]));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.invalid).not.toBeNull();
  });

  // Found by test/input.property.test.ts: a line of MAX_URL_LENGTH + 1 characters read in one chunk
  // became an invalid job carrying all 65,537 characters ("URL longer than ..."), but the same
  // line across two chunks a short one ("line longer than ..."): the record depended on chunking.
  it('an over-long line gives the same short record in one chunk or many', async () => {
    const long = 'http://h.test/' + 'a'.repeat(MAX_URL_LENGTH + 1 - 'http://h.test/'.length);
    const one = await collect(['-'], Readable.from([Buffer.from(long + '\n')]));
    const two = await collect(['-'], Readable.from([Buffer.from(long.slice(0, 70_000 - 5000)), Buffer.from(long.slice(65_000) + '\n')]));
    expect(one).toEqual(two);
    expect(one[0]!.invalid).toBe(`line longer than ${MAX_URL_LENGTH} characters`);
    expect(one[0]!.url).toBe(long.slice(0, 200) + '…');
  });

  it("an over-long line's head does not cut a character in half", async () => {
    const long = 'x'.repeat(199) + '😀'.repeat(MAX_URL_LENGTH);
    const [job] = await collect(['-'], Readable.from([Buffer.from(long + '\n')]));
    expect(job!.url).toBe('x'.repeat(199) + '…');
    expect(job!.url.isWellFormed()).toBe(true);
  });
});
