// Link extraction speed and correctness of the candidates, in one process, alternating.
//
//   npm run build && node bench/extract.mjs          (or: npm run bench:extract)
//
// Environment: ROUNDS=7 (measured rounds, after one warm-up), PAGES=200 (distinct generated
// pages), MIN_MS=400 (each measurement loops over the pages for at least this long).
//
// Workloads: generated ~12 KB pages with ~20 links each (head with scripts and styles, nav,
// paragraphs with inline markup, a footer), each fed as one chunk as undici hands a small body
// over; the same pages in 1 KiB chunks; the fixture corpus (fixtures/links/*.html).
// Correctness first: every candidate runs every fixture whole and split into 7-byte chunks,
// and its links on the generated pages are compared with the shipped scanner's.
// Figures: MB/s = body bytes / wall time on this one thread; pages/s = pages / wall time;
// MB per CPU-s = body bytes / CPU time of the process (less hurt by a busy shared machine, but
// it counts the GC's helper threads too).
// Medians and ranges (min-max) over the rounds; the order of the candidates rotates per round.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/discover/extract.js', import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  console.error('bench/extract.mjs: dist/discover/extract.js not found: run "npm run build" first');
  process.exit(2);
}
const { CANDIDATES } = await import('./extract-candidates.mjs');
const { linkFixtures } = await import('../fixtures/fixtures.mjs');
const { generatePage } = await import('./extract-pages.mjs');

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const PAGES = Number(process.env.PAGES ?? 200);
const MIN_MS = Number(process.env.MIN_MS ?? 400);

// ---- correctness -------------------------------------------------------------------------------

function run(candidate, url, body, requisites, chunk) {
  const x = candidate.make(url, { requisites });
  if (chunk === 0) x.write(body);
  else for (let i = 0; i < body.length; i += chunk) x.write(body.subarray(i, i + chunk));
  return x.end();
}

const fixtures = linkFixtures().filter((f) => f.type === 'html');
const pages = Array.from({ length: PAGES }, (_, n) => generatePage(n));
const pageUrl = (n) => `http://bench.test/site/p${n}.html`;
const reference = pages.map((p, n) => JSON.stringify(run(CANDIDATES[0], pageUrl(n), p, false, 0)));

const totalBytes = pages.reduce((s, p) => s + p.length, 0);
const avgLinks = reference.reduce((s, r) => s + JSON.parse(r).links.length, 0) / pages.length;
console.log(`pages: ${PAGES} generated, ${(totalBytes / PAGES / 1024).toFixed(1)} KiB and ${avgLinks.toFixed(1)} distinct links each; ` +
  `fixtures: ${fixtures.length} (${fixtures.reduce((s, f) => s + f.body.length, 0)} bytes)`);
console.log(`node ${process.version}, ${ROUNDS} rounds after a warm-up, >= ${MIN_MS} ms per measurement\n`);

console.log('correctness (fixtures whole and in 7-byte chunks; generated pages against the shipped scanner):');
for (const c of CANDIDATES) {
  const failed = [];
  for (const f of fixtures) {
    for (const chunk of [0, 7]) {
      const got = run(c, f.page, f.body, f.requisites, chunk);
      if (JSON.stringify(got) !== JSON.stringify(f.expected)) { failed.push(`${f.name}${chunk ? ' (chunked)' : ''}`); break; }
    }
  }
  const pageDiffs = pages.filter((p, n) => JSON.stringify(run(c, pageUrl(n), p, false, 0)) !== reference[n]).length;
  c.correct = failed.length === 0 && pageDiffs === 0;
  console.log(`  ${c.name.padEnd(32)} fixtures ${fixtures.length - failed.length}/${fixtures.length}` +
    `${failed.length ? ` (fails: ${failed.join(', ')})` : ''}; generated pages differing: ${pageDiffs}`);
}

// ---- speed ----------------------------------------------------------------------------------------

const WORKLOADS = [
  { name: '12 KB pages, one chunk each', bodies: pages, chunk: 0, requisites: false },
  { name: '12 KB pages, 1 KiB chunks', bodies: pages, chunk: 1024, requisites: false },
  { name: '12 KB pages, requisites: true', bodies: pages, chunk: 0, requisites: true },
  { name: 'fixture corpus', bodies: fixtures.map((f) => f.body), chunk: 0, requisites: false },
];

function measure(candidate, w) {
  const bytes = w.bodies.reduce((s, b) => s + b.length, 0);
  let n = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let k = 0; k < w.bodies.length; k++) sink += run(candidate, 'http://bench.test/a/b.html', w.bodies[k], w.requisites, w.chunk).links.length;
    n++;
    elapsed = performance.now() - t0;
  } while (elapsed < MIN_MS);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (sink < 0) console.log(sink); // keep the result alive
  return {
    mbps: (bytes * n) / 1e6 / (elapsed / 1000),
    pps: (w.bodies.length * n) / (elapsed / 1000),
    cpuMbps: (bytes * n) / 1e6 / (cpuMs / 1000),
  };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

for (const w of WORKLOADS) {
  const results = CANDIDATES.map(() => []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (let k = 0; k < CANDIDATES.length; k++) {
      const idx = (k + round) % CANDIDATES.length; // rotate the order: no candidate always goes first
      const r = measure(CANDIDATES[idx], w);
      if (round > 0) results[idx].push(r); // round 0 warms the JIT up
    }
  }
  console.log(`\n${w.name}:`);
  console.log(`  ${'candidate'.padEnd(32)} ${'MB/s median (range)'.padEnd(22)} ${'pages/s median (range)'.padEnd(26)} MB per CPU-s`);
  const base = median(results[0].map((r) => r.mbps));
  CANDIDATES.forEach((c, k) => {
    const mb = results[k].map((r) => r.mbps);
    const ps = results[k].map((r) => r.pps);
    const cpu = results[k].map((r) => r.cpuMbps);
    const ratio = k === 0 ? '' : `  scanner ${(base / median(mb)).toFixed(2)}x`;
    console.log(`  ${c.name.padEnd(32)} ${`${fmt(median(mb))} (${fmt(Math.min(...mb))}-${fmt(Math.max(...mb))})`.padEnd(22)} ` +
      `${`${fmt(median(ps))} (${fmt(Math.min(...ps))}-${fmt(Math.max(...ps))})`.padEnd(26)} ${fmt(median(cpu))}` +
      `${ratio}${c.correct ? '' : '  [fails fixtures]'}`);
  });
}
