// run/line-file.ts is the one reader of the files a kill can tear (records, frontier log, results
// exports). Property: whatever lines were written, cut at any byte, read in any chunk size with
// any line cap, the visitor sees exactly the lines that were whole before the cut, in order (the
// ones over the cap as `overlong`, never held), and the file ends at its last newline after.
// Then the shapes a SIGKILL leaves, by name, and cutTornTail's backwards scan against the same model.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cutTornTail, readLineFile, type LineFileOptions } from '../src/run/line-file.js';
import { codePoints, fc } from './property.js';

const dir = mkdtempSync(join(tmpdir(), 'sweep-line-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (bytes: Buffer | string): string => {
  const file = join(dir, `f${files++}`);
  writeFileSync(file, bytes);
  return file;
};

type Seen = { line: string } | 'overlong';

async function read(file: string, options: LineFileOptions = {}): Promise<{ seen: Seen[]; scan: Awaited<ReturnType<typeof readLineFile>> }> {
  const seen: Seen[] = [];
  const scan = await readLineFile(file, { line: (buf, start, end) => seen.push({ line: buf.toString('utf8', start, end) }), overlong: () => seen.push('overlong') }, options);
  return { seen, scan };
}

/** Lines of any code points (multi-byte ones too), none holding a newline; some empty, some long. */
const aLine = fc.oneof(
  codePoints(12).map((s) => s.replace(/\n/g, '')),
  fc.constant(''),
  fc.string({ minLength: 20, maxLength: 80 }).map((s) => s.replace(/\n/g, '')),
);

describe('readLineFile (property)', () => {
  it('a file cut at any byte: the whole lines in order, over-cap ones as overlong, the tail cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(aLine, { maxLength: 12 }),
        fc.nat(),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 100 }),
        async (lines, at, chunkBytes, maxLineBytes) => {
          const bytes = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
          const cut = at % (bytes.length + 1);
          const file = fresh(bytes.subarray(0, cut));

          const { seen, scan } = await read(file, { chunkBytes, maxLineBytes });

          let end = 0;
          const whole = lines.filter((l) => (end += Buffer.byteLength(l) + 1) <= cut);
          const keep = whole.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
          expect(seen).toEqual(whole.map((l) => (Buffer.byteLength(l) > maxLineBytes ? 'overlong' : { line: l })));
          expect(scan).toEqual({ size: cut, kept: keep });
          expect(readFileSync(file).equals(bytes.subarray(0, keep))).toBe(true);
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 300) },
    );
  });

  it('cutTornTail cuts the same bytes as a full read would, whatever the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (raw, newlines) => {
        // Newline-rich or newline-poor bytes, so that the backwards scan crosses its chunks too.
        const bytes = Buffer.from(newlines ? raw.map((b) => (b % 7 === 0 ? 10 : b)) : raw);
        const last = bytes.lastIndexOf(10);
        const file = fresh(bytes);
        expect(await cutTornTail(file)).toBe(bytes.length - (last + 1));
        expect(readFileSync(file).equals(bytes.subarray(0, last + 1))).toBe(true);
      }),
      { numRuns: Number(process.env.RUNS ?? 200) },
    );
  });
});

describe('readLineFile: the shapes a kill leaves', () => {
  it('a missing file reads as nothing and is not created', async () => {
    const file = join(dir, 'missing');
    expect(await read(file)).toEqual({ seen: [], scan: null });
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    expect(await cutTornTail(file)).toBe(0);
  });

  it('an empty file (killed before its first line) is kept as it is', async () => {
    const file = fresh('');
    expect(await read(file)).toEqual({ seen: [], scan: { size: 0, kept: 0 } });
  });

  it('a file with no newline at all is all torn tail', async () => {
    const file = fresh('{"line":1,"url":"http://a.test/"');
    expect(await read(file)).toEqual({ seen: [], scan: { size: 32, kept: 0 } });
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('a file ending in its newline loses nothing', async () => {
    const file = fresh('a\n\nb\n');
    expect(await read(file, { chunkBytes: 2 })).toEqual({ seen: [{ line: 'a' }, { line: '' }, { line: 'b' }], scan: { size: 5, kept: 5 } });
    expect(readFileSync(file, 'utf8')).toBe('a\n\nb\n');
  });

  it('a multi-byte character torn by the kill stays in the tail', async () => {
    const whole = Buffer.from('né\nhé', 'utf8');
    const file = fresh(whole.subarray(0, whole.length - 1)); // the last é is cut mid-sequence
    expect(await read(file, { chunkBytes: 3 })).toEqual({ seen: [{ line: 'né' }], scan: { size: whole.length - 1, kept: 4 } });
  });

  it('a CR before the newline belongs to the line (the readers decide about it)', async () => {
    const file = fresh('a\r\nb');
    expect((await read(file)).seen).toEqual([{ line: 'a\r' }]);
  });

  it('a long stretch without a newline is not held: complete it is overlong, at the end it is cut', async () => {
    const long = 'x'.repeat(5000);
    const file = fresh(`a\n${long}\nb\n${long}`);
    const { seen, scan } = await read(file, { chunkBytes: 64, maxLineBytes: 1000 });
    expect(seen).toEqual([{ line: 'a' }, 'overlong', { line: 'b' }]);
    expect(scan).toEqual({ size: 2 + 5001 + 2 + 5000, kept: 2 + 5001 + 2 });
  });

  it('keep may keep less than the complete lines (a log without its header keeps nothing)', async () => {
    const file = fresh('no header\nx\ntorn');
    const { scan } = await read(file, { keep: () => 0 });
    expect(scan).toEqual({ size: 16, kept: 0 });
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});
