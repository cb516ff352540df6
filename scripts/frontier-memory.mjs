#!/usr/bin/env node
// Memory and speed of the crawl frontier (src/frontier/) on a large backlog: admits N generated
// URLs (default 1,000,000; ~60-90 bytes, 20 links a page, each page's parent given), so that all
// N wait at once, then drains them. Each variant runs in its own child process so that peak RSS
// is its own: no spill, spill (16 MiB budget), spill with the admission log (flushed every 100
// pages, as the record sink would), then a replay of that log as a resumed run would do it.
// Prints peak RSS (the kernel's maxrss), heap and Buffers at the high-water mark, admits/s and
// shifts/s. Files go to a temporary directory, removed at the end.
//
//   npm run build && node scripts/frontier-memory.mjs [urls=1000000]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LINKS = 20;
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const rate = (n, ms) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

function parent(total) {
  if (!Number.isSafeInteger(total) || total < LINKS) {
    process.stderr.write('usage: node scripts/frontier-memory.mjs [number of URLs >= 20]\n');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sweep-frontier-bench-'));
  const self = fileURLToPath(import.meta.url);
  try {
    process.stdout.write(`node ${process.version}, ${total.toLocaleString('en-US')} URLs in pages of ${LINKS}\n`);
    for (const variant of ['memory', 'spill', 'spill+log', 'replay']) {
      const run = spawnSync(process.execPath, ['--expose-gc', self, '--child', variant, String(total), dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`variant ${variant} failed (${run.status ?? run.signal})`);
      process.stdout.write(run.stdout);
    }
    process.stdout.write(`log: ${mib(statSync(join(dir, 'out.ndjson.frontier')).size)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SLUGS = ['news', 'archive/2024', 'products/garden-tools', 'docs/reference/api', 'blog/category/engineering', 'a'];

/**
 * A link of a page on host `h`: section, slug, page and query vary, as on real pages; the host
 * is the page's own (the default --scope origin admits nothing else).
 */
function makeUrl(rng, h) {
  const r = rng();
  return `https://h${h}.example.com/section/${r % 10_000}/${SLUGS[(r >>> 14) % SLUGS.length]}/page-${rng() % 100_000}.html?x=${rng() % 1_000_000}`;
}

/** Wall and CPU time from now on: CPU time says more than wall time on a shared machine. */
function clock() {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
  };
}

/** "n things: wall ms, CPU ms, n per CPU-second", less `minus` (URL generation) on both. */
function figure(n, t, minus = { wall: 0, cpu: 0 }) {
  const wall = t.wall - minus.wall;
  const cpu = t.cpu - minus.cpu;
  return `wall ${Math.round(wall)} ms, CPU ${Math.round(cpu)} ms: ${rate(n, cpu)} of CPU (${rate(n, wall)} of wall)`;
}

async function child(variant, total, dir) {
  const { Frontier } = await import('../dist/frontier/index.js');
  const { tuneHeapForStreaming } = await import('../dist/heap.js');
  tuneHeapForStreaming(); // as the CLI does
  let seed = 0x9e3779b9;
  const rng = () => ((seed ^= seed << 13), (seed ^= seed >>> 17), (seed ^= seed << 5), seed >>> 0);
  const logPath = join(dir, 'out.ndjson.frontier');
  if (variant === 'spill+log') rmSync(logPath, { force: true });
  const opts = {
    logPath: variant === 'spill+log' || variant === 'replay' ? logPath : null,
    spillDir: variant === 'memory' ? null : dir,
  };
  globalThis.gc();
  const base = process.memoryUsage();

  const stopOpen = clock();
  const frontier = await Frontier.open(opts);
  const opened = stopOpen();
  const links = new Array(LINKS);
  /** Generates the links of `pages` pages (and their parent), admitting them unless `admit` is null. */
  const pagesOf = (pages, admit) => {
    let admitted = 0;
    for (let p = 0; p < pages; p++) {
      const h = rng() % 50;
      const parent = `https://h${h}.example.com/section/${rng() % 10_000}/index.html`;
      for (let j = 0; j < LINKS; j++) links[j] = makeUrl(rng, h);
      if (admit !== null) admitted += admit(parent, p, links);
    }
    return admitted;
  };
  const pages = Math.ceil(total / LINKS);
  let admitted = 0;
  let fresh;
  let again;
  if (variant !== 'replay') {
    const stop = clock();
    admitted = pagesOf(pages, (parent, p, urls) => {
      const n = frontier.admit(parent, 1 + (p % 7), urls);
      if (p % 100 === 99) frontier.flushSync(); // as the record sink would, before a batch
      return n;
    });
    frontier.flushSync();
    fresh = stop();
    // Most links a crawler finds were seen before (menus, footers): the same pages again.
    seed = 0x9e3779b9;
    const stopAgain = clock();
    const twice = pagesOf(pages, (parent, p, urls) => frontier.admit(parent, 9, urls));
    again = stopAgain();
    if (twice !== 0) throw new Error('a URL seen before was admitted again');
  }
  // The high-water mark: everything waits.
  const high = process.memoryUsage();
  const pending = frontier.pending;
  const frontierBytes = frontier.memoryBytes;
  const seenBytes = frontier.seenBytes;
  globalThis.gc();
  const live = process.memoryUsage();

  const stopDrain = clock();
  let shifted = 0;
  while (frontier.next() !== undefined) shifted++;
  const drained = stopDrain();
  const spilled = frontier.spilledSegments;
  frontier.close();
  const peak = process.resourceUsage().maxRSS * 1024;
  // What generating the URLs alone costs, taken out of the admit figures (after the peak).
  const stopGen = clock();
  pagesOf(pages, null);
  const gen = stopGen();

  const lines = [
    `\n[${variant}] ${pending.toLocaleString('en-US')} waiting at the high-water mark, ${spilled} segments spilled`,
    `  peak RSS ${mib(peak)} (before the frontier: ${mib(base.rss)}; delta ${mib(peak - base.rss)})`,
    `  at the high-water mark: RSS ${mib(high.rss)}, heap used ${mib(high.heapUsed)} of ${mib(high.heapTotal)}, Buffers/ArrayBuffers ${mib(high.arrayBuffers)}; after a full GC: heap used ${mib(live.heapUsed)}`,
    `  frontier.memoryBytes ${mib(frontierBytes)}: seen table ${mib(seenBytes)}, queue segments ${mib(frontierBytes - seenBytes)}`,
    ...(variant === 'replay'
      ? [`  replay of the log (${frontier.replayed.entries.toLocaleString('en-US')} lines): ${figure(frontier.replayed.entries, opened)}`]
      : [
          `  admit ${admitted.toLocaleString('en-US')} new URLs: ${figure(admitted, fresh, gen)}`,
          `  admit them again (all seen): ${figure(admitted, again, gen)}`,
        ]),
    `  drain, next(): ${figure(shifted, drained)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]), process.argv[5]);
else parent(Number(process.argv[2] ?? 1_000_000));
