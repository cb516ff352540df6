// PackedQueue (src/frontier/queue.ts) and its segment store (segments.ts): a FIFO of URLs packed
// as bytes, spilling whole segments to a directory the caller named.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackedQueue, type QueueEntry } from '../src/frontier/queue.js';
import { fcParams, keyPool, urlKey } from './frontier-helpers.js';
import { tempDir } from './helpers.js';

function drain(q: PackedQueue): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (let e = q.shift(); e !== undefined; e = q.shift()) out.push(e);
  return out;
}

function page(i: number, links = 20): string[] {
  return Array.from({ length: links }, (_, j) => `https://h${i % 5}.example.com/section/${i}/page-${j}.html?x=${i * j}`);
}

/** Files under `dir`, one level of subdirectories deep (the store's mkdtemp directory). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? readdirSync(join(dir, d.name)).map((f) => `${d.name}/${f}`) : [d.name],
  );
}

describe('PackedQueue', () => {
  it('is empty at first and after a drain, and ignores a push of nothing', () => {
    const q = new PackedQueue({ spillDir: null });
    expect(q.shift()).toBeUndefined();
    q.push('https://a.example/', 1, []);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    q.push(null, 0, ['https://a.example/x']);
    expect(q.shift()).toEqual({ url: 'https://a.example/x', depth: 0, parent: null });
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('returns entries in push order with their parent and depth, across interleaved shifts', () => {
    const q = new PackedQueue({ spillDir: null, segmentBytes: 512 });
    const want: QueueEntry[] = [];
    const got: QueueEntry[] = [];
    for (let i = 0; i < 200; i++) {
      const parent = i % 4 === 0 ? null : `https://h${i % 5}.example.com/section/${i}/`;
      q.push(parent, i % 7, page(i, i % 9));
      for (const url of page(i, i % 9)) want.push({ url, depth: i % 7, parent });
      if (i % 3 === 0) for (let k = 0; k < 5; k++) got.push(...(q.length > 0 ? [q.shift()!] : []));
    }
    got.push(...drain(q));
    expect(got).toEqual(want);
  });

  it('front-codes URLs: pages of similar links take about half their UTF-8 length', () => {
    const dir = tempDir();
    const q = new PackedQueue({ spillDir: dir, segmentBytes: 4096, memoryBudget: 0 });
    let raw = 0;
    for (let i = 0; i < 500; i++) {
      q.push(`https://h${i % 5}.example.com/section/${i}/index.html`, 3, page(i));
      raw += page(i).reduce((n, u) => n + Buffer.byteLength(u), 0);
    }
    // Every full segment spilled; what the spilled ones hold bounds the packed size.
    expect(q.spilledSegments * 4096).toBeLessThan(raw * 0.6);
    const want = Array.from({ length: 500 }, (_, i) => page(i)).flat();
    expect(drain(q).map((e) => e.url).join('\n')).toBe(want.join('\n'));
    q.close();
  });

  it('keeps URLs of any Unicode, surrogate pairs and all, through front coding', () => {
    const q = new PackedQueue({ spillDir: null, segmentBytes: 256 });
    const urls = ['https://a.example/😀', 'https://a.example/😁', 'https://a.example/😀x', 'https://ü.example/ß', 'https://ü.example/ßü', 'https://a.example/\u{10ffff}'];
    q.push('https://a.example/😀', 2, urls);
    expect(drain(q).map((e) => e.url)).toEqual(urls);
  });

  it('gives a URL longer than a segment a segment of its own', () => {
    const dir = tempDir();
    const q = new PackedQueue({ spillDir: dir, segmentBytes: 256, memoryBudget: 0 });
    const long = `https://a.example/${'é'.repeat(1000)}`;
    const urls = ['https://a.example/1', long, 'https://a.example/2', long.replace('é', 'e')];
    for (let i = 0; i < 10; i++) q.push(`https://a.example/p${i}`, i, urls);
    const got = drain(q);
    expect(got.map((e) => e.url)).toEqual(Array.from({ length: 10 }, () => urls).flat());
    expect(got.map((e) => e.depth)).toEqual(Array.from({ length: 10 }, (_, i) => [i, i, i, i]).flat());
    expect(q.spilledSegments).toBeGreaterThan(0);
    q.close();
  });

  it('spills beyond its budget, reads back across many segments in order, and holds memory to the budget', () => {
    const dir = tempDir();
    const segmentBytes = 2048;
    const q = new PackedQueue({ spillDir: dir, segmentBytes, memoryBudget: 4 * segmentBytes });
    const want: string[] = [];
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      q.push(`https://h${i % 5}.example.com/section/${i}/`, 1, page(i));
      want.push(...page(i));
      peak = Math.max(peak, q.memoryBytes);
    }
    expect(q.spilledSegments).toBeGreaterThan(100);
    expect(peak).toBeLessThanOrEqual(4 * segmentBytes + segmentBytes);
    expect(filesUnder(dir).length).toBeGreaterThan(100);
    const got = drain(q).map((e) => e.url);
    expect(got.length).toBe(want.length);
    expect(got.join('\n')).toBe(want.join('\n'));
    // Read-back files are deleted as they are read: nothing left once drained.
    expect(filesUnder(dir)).toEqual([]);
    q.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('close() removes every spill file and its directory, and nothing else', () => {
    const dir = tempDir();
    const q = new PackedQueue({ spillDir: dir, segmentBytes: 1024, memoryBudget: 0 });
    for (let i = 0; i < 500; i++) q.push(`https://a.example/${i}`, 1, page(i));
    q.shift();
    const spill = q.spillPath!;
    expect(spill.startsWith(join(dir, `sweep-frontier-${process.pid}-`))).toBe(true);
    expect(readdirSync(spill).length).toBeGreaterThan(10);
    q.close();
    expect(existsSync(spill)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('a named spill directory: what a killed run left there is removed at open, it is used, and close() removes it', () => {
    const dir = tempDir();
    const named = join(dir, 'sweep-frontier-out.ndjson-0123abcd4567');
    mkdirSync(named);
    for (let i = 0; i < 5; i++) writeFileSync(join(named, `${i}.seg`), 'left by a SIGKILLed run');
    const q = new PackedQueue({ spillDir: dir, spillName: 'sweep-frontier-out.ndjson-0123abcd4567', segmentBytes: 1024, memoryBudget: 0 });
    expect(existsSync(named)).toBe(false); // gone at open, before anything spills
    for (let i = 0; i < 500; i++) q.push(`https://a.example/${i}`, 1, page(i));
    expect(q.spillPath).toBe(named);
    expect(readdirSync(named).every((n) => /^\d+\.seg$/.test(n) || n === 'owner')).toBe(true);
    expect(readFileSync(join(named, 'owner'), 'utf8')).toBe(`${hostname()} ${process.pid}\n`);
    expect(drain(q).length).toBe(500 * 20);
    q.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a named spill directory owned by a live run is left alone; one whose owner is gone is a leftover", () => {
    const dir = tempDir();
    const named = join(dir, 'sweep-frontier-shared');
    mkdirSync(named);
    writeFileSync(join(named, '0.seg'), 'in use');
    writeFileSync(join(named, 'owner'), `${hostname()} ${process.ppid}\n`); // alive: the test runner's parent
    const q = new PackedQueue({ spillDir: dir, spillName: 'sweep-frontier-shared', segmentBytes: 1024, memoryBudget: 0 });
    for (let i = 0; i < 500; i++) q.push(`https://a.example/${i}`, 1, page(i));
    expect(q.spillPath!.startsWith(join(dir, `sweep-frontier-${process.pid}-`))).toBe(true);
    q.close();
    expect(readdirSync(named).sort()).toEqual(['0.seg', 'owner']);
    // The owner exited (a pid that ran and is gone): the directory is a leftover.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(named, 'owner'), `${hostname()} ${gone}\n`);
    const again = new PackedQueue({ spillDir: dir, spillName: 'sweep-frontier-shared', segmentBytes: 1024, memoryBudget: 0 });
    expect(existsSync(named)).toBe(false);
    again.close();
    // Another host's run: it cannot be told, so it is left alone.
    mkdirSync(named);
    writeFileSync(join(named, 'owner'), `not-${hostname()} ${gone}\n`);
    new PackedQueue({ spillDir: dir, spillName: 'sweep-frontier-shared', segmentBytes: 1024, memoryBudget: 0 }).close();
    expect(existsSync(join(named, 'owner'))).toBe(true);
  });

  it('a named spill directory holding anything but spill files is left alone: the queue spills to a fresh one', () => {
    const dir = tempDir();
    const named = join(dir, 'sweep-frontier-x');
    mkdirSync(named);
    writeFileSync(join(named, 'notes.txt'), 'mine');
    writeFileSync(join(named, '0.seg'), '');
    const q = new PackedQueue({ spillDir: dir, spillName: 'sweep-frontier-x', segmentBytes: 1024, memoryBudget: 0 });
    for (let i = 0; i < 500; i++) q.push(`https://a.example/${i}`, 1, page(i));
    expect(q.spillPath!.startsWith(join(dir, `sweep-frontier-${process.pid}-`))).toBe(true);
    q.close();
    expect(readdirSync(dir)).toEqual(['sweep-frontier-x']);
    expect(readdirSync(named).sort()).toEqual(['0.seg', 'notes.txt']);
  });

  it('writes nothing anywhere without a spill directory', () => {
    const q = new PackedQueue({ spillDir: null, segmentBytes: 1024, memoryBudget: 0 });
    for (let i = 0; i < 500; i++) q.push(null, 1, page(i));
    expect(q.spilledSegments).toBe(0);
    expect(q.spillPath).toBeNull();
    expect(drain(q).length).toBe(500 * 20);
  });

  const ops = fc.array(
    fc.oneof(
      fc.record({
        push: fc.record({
          parent: fc.option(fc.oneof(urlKey, keyPool(10)), { nil: null }),
          depth: fc.nat(1000),
          urls: fc.array(fc.oneof(urlKey, keyPool(50)), { maxLength: 25 }),
        }),
      }),
      fc.record({ shift: fc.integer({ min: 1, max: 30 }) }),
    ),
    { maxLength: 60 },
  );

  it('matches an array for any sequence of pushes and shifts (small segments, spilling or not)', () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(64, 200, 1024), fc.boolean(), (seq, segmentBytes, spill) => {
        const dir = spill ? tempDir() : null;
        const q = new PackedQueue({ spillDir: dir, segmentBytes, memoryBudget: 3 * segmentBytes });
        const model: QueueEntry[] = [];
        let head = 0;
        try {
          for (const op of seq) {
            if ('push' in op) {
              const { parent, depth, urls } = op.push;
              q.push(parent, depth, urls);
              for (const url of urls) model.push({ url, depth, parent });
            } else {
              for (let k = 0; k < op.shift; k++) {
                expect(q.shift()).toEqual(model[head]);
                if (head < model.length) head++;
              }
            }
            expect(q.length).toBe(model.length - head);
          }
          expect(drain(q)).toEqual(model.slice(head));
        } finally {
          q.close();
          if (dir !== null) {
            expect(readdirSync(dir)).toEqual([]);
            rmSync(dir, { recursive: true });
          }
        }
      }),
      fcParams(60),
    );
  });

  it('gives the same shift sequence with and without spilling', () => {
    fc.assert(
      fc.property(ops, (seq) => {
        const dir = tempDir();
        const a = new PackedQueue({ spillDir: null, segmentBytes: 128 });
        const b = new PackedQueue({ spillDir: dir, segmentBytes: 128, memoryBudget: 0 });
        const outA: (QueueEntry | undefined)[] = [];
        const outB: (QueueEntry | undefined)[] = [];
        for (const op of seq) {
          if ('push' in op) {
            a.push(op.push.parent, op.push.depth, op.push.urls);
            b.push(op.push.parent, op.push.depth, op.push.urls);
          } else {
            for (let k = 0; k < op.shift; k++) {
              outA.push(a.shift());
              outB.push(b.shift());
            }
          }
        }
        outA.push(...drain(a));
        outB.push(...drain(b));
        b.close();
        rmSync(dir, { recursive: true });
        expect(outB).toEqual(outA);
      }),
      fcParams(60),
    );
  });
});
