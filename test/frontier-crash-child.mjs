// A simulated recursive crawl over the frontier (dist/), for test/frontier-resume.test.ts. It
// "fetches" up to 8 pages at once and finishes them in a seeded random order, as a pool would,
// doing what the run core will do per page: admit the links, flushSync() the log, then write the
// page's record. It can SIGKILL itself at a chosen record and step, to test --resume.
//
//   node test/frontier-crash-child.mjs DIR PAGES SEED [KILL_AT_RECORD STEP]
//   STEP: 'admit' (links admitted, log not flushed), 'flush' (log flushed, record not written),
//         'record' (record written)

import { openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Frontier } from '../dist/frontier/index.js';

const [dir, pagesArg, seedArg, killArg = '-1', step = 'none'] = process.argv.slice(2);
const pages = Number(pagesArg);
const killAt = Number(killArg);
const FILE = join(dir, 'out.ndjson');
const url = (id) => `https://site.example/p/${id}`;
// Each page links to four others; id + 1 makes every page reachable from page 0.
const links = (id) => [(id * 7 + 1) % pages, (id * 13 + 5) % pages, (id + 1) % pages, (id * 3) % pages].map(url);

let rng = Number(seedArg) >>> 0 || 1;
const random = () => ((rng ^= rng << 13), (rng ^= rng >>> 17), (rng ^= rng << 5), (rng >>> 0));

const finished = new Set();
try {
  for (const line of readFileSync(FILE, 'utf8').split('\n')) if (line !== '') finished.add(JSON.parse(line).url);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}

const frontier = await Frontier.open({
  logPath: `${FILE}.frontier`,
  spillDir: dir,
  segmentBytes: 256,
  memoryBudget: 0,
  isFinished: (u) => finished.has(u),
});
const fd = openSync(FILE, 'a');
const inFlight = [];
// The seed comes from the input, as in the CLI: claimed, and skipped when it already has a record.
if (frontier.claim(url(0), 0) && !finished.has(url(0))) inFlight.push({ url: url(0), depth: 0, parent: null });
let records = 0;
const maybeKill = (at) => {
  if (records === killAt && step === at) process.kill(process.pid, 'SIGKILL');
};
for (;;) {
  while (inFlight.length < 8) {
    const next = frontier.next();
    if (next === undefined) break;
    inFlight.push(next);
  }
  if (inFlight.length === 0) break;
  const [page] = inFlight.splice(random() % inFlight.length, 1);
  frontier.admit(page.url, page.depth + 1, links(Number(page.url.slice(page.url.lastIndexOf('/') + 1))));
  maybeKill('admit');
  frontier.flushSync();
  maybeKill('flush');
  writeSync(fd, `${JSON.stringify(page)}\n`);
  maybeKill('record');
  records++;
}
frontier.close();
process.stdout.write(`${JSON.stringify({ records, replayed: frontier.replayed })}\n`);
