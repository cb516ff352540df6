#!/usr/bin/env node
// Soak: `npm run soak [-- <urls>]`. Crawls <urls> (default 1,000,000) URLs of the testbed's
// /chaos route (5% resets, 2% hangs, 5% 503s, chosen at random per request) with the real CLI,
// then checks the invariant: the records number the lines, and every line appears exactly once.
// Prints the counts and the CLI's peak RSS. Not a test (it takes minutes): run it by hand.

import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestbedThread } from '../dist/testbed-thread.js';

const total = Number(process.argv[2] ?? 1_000_000);
if (!Number.isSafeInteger(total) || total < 1) {
  process.stderr.write('usage: npm run soak [-- <number of URLs>]\n');
  process.exit(2);
}
const args = ['-c', '256', '-t', '1000', '-r', '2', '--retry-delay', '5', '--no-progress', '-q'];
const bin = fileURLToPath(new URL('../bin/sweep.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sweep-soak-'));
const list = join(dir, 'urls.txt');
const out = join(dir, 'records.ndjson');
const summary = join(dir, 'summary.json');
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

const testbed = await startTestbedThread();
try {
  // The list, written with backpressure (about 40 MB for a million lines).
  await new Promise((resolve, reject) => {
    const w = createWriteStream(list).on('error', reject);
    let i = 1;
    const more = () => {
      while (i <= total) {
        const ok = w.write(`${testbed.url}/chaos/${i++}\n`);
        if (!ok) return void w.once('drain', more);
      }
      w.end(resolve);
    };
    more();
  });

  process.stdout.write(`soak: ${total.toLocaleString('en-US')} URLs, sweep ${args.join(' ')}\n`);
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args, '-o', out, '--summary-json', summary, list], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
  const elapsed = (performance.now() - started) / 1000;
  const server = await testbed.counters();

  // The invariant: one record per line, numbered by its line, for the URL of that line.
  const seen = new Uint8Array(total + 1);
  let records = 0;
  let duplicates = 0;
  let wrongUrl = 0;
  let torn = 0;
  let ok = 0;
  const errors = {};
  for await (const text of createInterface({ input: createReadStream(out), crlfDelay: Infinity })) {
    let rec;
    try {
      rec = JSON.parse(text);
    } catch {
      torn++;
      continue;
    }
    records++;
    const line = rec.line;
    if (!Number.isInteger(line) || line < 1 || line > total) {
      wrongUrl++;
      continue;
    }
    if (seen[line] === 1) duplicates++;
    seen[line] = 1;
    if (!rec.url.endsWith(`/chaos/${line}`)) wrongUrl++;
    if (rec.ok) ok++;
    else errors[rec.error.code] = (errors[rec.error.code] ?? 0) + 1;
  }
  let missing = 0;
  for (let i = 1; i <= total; i++) if (seen[i] === 0) missing++;
  const s = JSON.parse(readFileSync(summary, 'utf8'));

  const report = [
    `exit code       ${code}`,
    `lines           ${total}`,
    `records         ${records}  ok ${ok}  failed ${records - ok}`,
    `duplicates      ${duplicates}`,
    `missing         ${missing}`,
    `wrong line/url  ${wrongUrl}`,
    `torn lines      ${torn}`,
    `errors          ${JSON.stringify(errors)}`,
    `retries         ${s.retries}`,
    `server saw      ${server.requests} requests on ${server.connections} connections`,
    `elapsed         ${elapsed.toFixed(1)} s (${Math.round(total / elapsed)} URLs/s)`,
    `peak RSS        ${mib(s.peakRssBytes)} (sweep, from --summary-json peakRssBytes)`,
  ];
  process.stdout.write(report.join('\n') + '\n');
  const pass = code === 0 && records === total && duplicates === 0 && missing === 0 && wrongUrl === 0 && torn === 0;
  process.stdout.write(pass ? 'soak: PASS\n' : 'soak: FAIL\n');
  process.exitCode = pass ? 0 : 1;
} finally {
  await testbed.close();
  rmSync(dir, { recursive: true, force: true });
}
