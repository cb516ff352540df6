// Peak RSS of a recursive crawl whose frontier holds about 1,000,000 found, not yet fetched URLs
// (issue: "must not take sweep past 300 MB RSS"). The testbed serves a site of pages with 10,000
// links each; sweep --depth 2 fetches the seed (10,000 links at depth 1), then depth-1 pages,
// each adding up to 10,000 new depth-2 URLs, so the frontier grows by ~10,000 a page. Once the
// summary would show ~1M waiting, the run is stopped with SIGINT and its --summary-json read:
// peakRssBytes and follow.pending.
//
// Usage: npm run build && node scripts/follow-memory.mjs [pending=1000000] [--state-dir DIR]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestbedThread } from '../dist/testbed-thread.js';

const target = Number(process.argv[2] ?? 1_000_000);
const stateDir = process.argv.includes('--state-dir') ? process.argv[process.argv.indexOf('--state-dir') + 1] : null;
const tb = await startTestbedThread();
const dir = mkdtempSync(join(tmpdir(), 'sweep-follow-mem-'));
const out = join(dir, 'records.ndjson');
const summary = join(dir, 'summary.json');
const args = ['bin/sweep.js', '-q', '-c', '4', '--depth', '2', '-o', out, '--summary-json', summary, ...(stateDir ? ['--state-dir', stateDir] : [])];
const child = spawn(process.execPath, args, { stdio: ['pipe', 'inherit', 'inherit'] });
child.stdin.end(`${tb.url}/site/100000000x10000/\n`);
// Depth-1 pages add ~10,000 URLs each (a few repeat): stop after enough depth-1 records.
const pagesNeeded = Math.ceil(target / 10_000) + 1;
const started = performance.now();
const timer = setInterval(() => {
  let lines = 0;
  try {
    lines = readFileSync(out, 'latin1').split('\n').length - 1;
  } catch {}
  if (lines >= pagesNeeded) {
    clearInterval(timer);
    child.kill('SIGINT');
  }
}, 200);
await new Promise((resolve) => child.once('exit', resolve));
clearInterval(timer);
await tb.close();
const s = JSON.parse(readFileSync(summary, 'utf8'));
console.log(
  `records ${s.records}, frontier: ${s.follow.admitted} admitted, ${s.follow.pending} waiting, ` +
    `${(s.follow.frontierBytes / 2 ** 20).toFixed(1)} MiB in memory, ${s.follow.spilledSegments} segments spilled; ` +
    `peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(1)} MiB; ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
