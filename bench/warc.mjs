// What keeping pages in a WARC costs per exchange, on this machine, in one run.
//
//   npm run build && node bench/warc.mjs [count=100000] [rounds=3] [sizes=440,12000]
//
// (Bodies over 4 KB run count/5 exchanges, to keep the disk traffic sane.) The main-thread figure
// includes this script's own loop (an exchange object, a Date, a promise per exchange).
//
// Feeds `count` synthetic exchanges (request headers like sweep's, an nginx-like response head,
// a distinct HTML body of ~440 B or ~12 KB each) through WarcWriter as fast as backpressure
// allows, 64 exchanges per event-loop turn, and prints for each configuration:
// exchanges/s (wall), MB/s of WARC written, CPU per exchange of the whole process (all threads)
// and of the main thread alone (read from /proc/self/task/<pid>/stat: the event loop the crawl
// shares; it is what the pool's requests/s depends on). Configurations alternate round by round
// (A B C ... A B C ...) and the medians are printed, so load from other processes hits all alike.
//
// Then, on the same records, the gzip stage alone: one reused zlib handle (what the writer
// uses), zlib.gzipSync per record, and zlib.gzip (libuv's thread pool) per record; and
// warcio.js's serializer for comparison (a few thousand exchanges: it is slow).
//
// Environment: CONFIGS=name,name to run a subset (names as printed).

import { readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { WarcWriter } from '../dist/keep/warc-writer.js';
import { MemberCompressor } from '../dist/keep/gzip-member.js';
import { repairWarcTail } from '../dist/keep/warc-repair.js';

const count = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 3);
const sizes = (process.argv[4] ?? '440,12000').split(',').map(Number);
const IN_FLIGHT = 64;
const dir = mkdtempSync(join(tmpdir(), 'sweep-bench-warc-'));

const TICK_US = 1e6 / 100; // USER_HZ: 100 on Linux
function mainThreadCpuUs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US; // utime, stime (fields 14 and 15)
}
const processCpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ');
function page(i, size) {
  let html = `<!doctype html><html><head><title>Page ${i}</title></head><body><h1>Page ${i}</h1>`;
  let k = i;
  while (html.length < size - 30) {
    k = (k * 1103515245 + 12345) & 0x7fffffff;
    html += k % 7 === 0 ? `<a href="/p/${k % 100000}">${WORDS[k % WORDS.length]}</a> ` : WORDS[k % WORDS.length] + ' ';
  }
  return Buffer.from((html + '</body></html>\n').slice(0, size));
}
const REQ_HEADERS = [
  ['host', '127.0.0.1:8080'],
  ['user-agent', 'sweep/0.1.0 (+https://example.invalid/sweep)'],
  ['accept', '*/*'],
];
function resHeaders(len) {
  return ['Server', 'nginx/1.22.1', 'Date', 'Mon, 23 Nov 2026 10:00:00 GMT', 'Content-Type', 'text/html', 'Content-Length', String(len), 'Connection', 'keep-alive', 'ETag', '"6541a2b0-1b8"'].map((s) => Buffer.from(s));
}

const bodies = new Map(sizes.map((s) => [s, Array.from({ length: 1000 }, (_, i) => page(i, s))]));
const heads = new Map(sizes.map((s) => [s, bodies.get(s).map((b) => resHeaders(b.length))]));

async function runWriter(cfg, size, count) {
  const path = join(dir, `bench-${cfg.name}-${size}${cfg.ext}`);
  const writer = await WarcWriter.open({ path, level: cfg.level, worker: cfg.worker, maxSize: 1 << 30, info: { software: 'sweep bench' } });
  const body = bodies.get(size);
  const head = heads.get(size);
  const cpu0 = processCpuUs();
  const main0 = mainThreadCpuUs();
  const t0 = performance.now();
  let started = 0;
  let finished = 0;
  await new Promise((resolve) => {
    // Like the crawl's pool: a burst of responses completes per event-loop turn; end() is called
    // as each completes (the pool slot is free then); the writer's backpressure pauses the burst.
    const done = () => {
      if (++finished === count) resolve();
    };
    const turn = () => {
      for (let k = 0; k < IN_FLIGHT && started < count && !writer.backedUp; k++) {
        const i = started++;
        const ex = writer.exchange({ url: `http://127.0.0.1:8080/p/${i}`, method: 'GET', headers: REQ_HEADERS, date: new Date(), ip: '127.0.0.1' });
        ex.head(200, 'OK', head[i % 1000]);
        ex.data(body[i % 1000]);
        ex.end({ truncated: null }).then(done);
      }
      if (started < count && !writer.backedUp) setImmediate(turn);
    };
    writer.onDrain = () => setImmediate(turn);
    turn();
  });
  await writer.close();
  const wallMs = performance.now() - t0;
  const cpu = processCpuUs() - cpu0;
  const main = mainThreadCpuUs() - main0;
  const bytes = statSync(path).size;
  let repair = null;
  if (cfg.repair) {
    const t = performance.now();
    const { records } = await repairWarcTail(path);
    const ms = performance.now() - t;
    repair = { recordsPerSec: records / (ms / 1000), mbPerSec: bytes / 1e6 / (ms / 1000) };
  }
  rmSync(path);
  return { perSec: count / (wallMs / 1000), mbPerSec: bytes / 1e6 / (wallMs / 1000), cpuUs: cpu / count, mainUs: main / count, bytesPerExchange: bytes / count, repair };
}

const CONFIGS = [
  { name: 'gz-l1-worker', ext: '.warc.gz', level: 1, worker: true, repair: true },
  { name: 'gz-l6-worker', ext: '.warc.gz', level: 6, worker: true },
  { name: 'gz-l1-inline', ext: '.warc.gz', level: 1, worker: false },
  { name: 'gz-l6-inline', ext: '.warc.gz', level: 6, worker: false },
  { name: 'plain-worker', ext: '.warc', level: 1, worker: true, repair: true },
  { name: 'plain-inline', ext: '.warc', level: 1, worker: false },
].filter((c) => !process.env.CONFIGS || process.env.CONFIGS.split(',').includes(c.name));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x, d = 1) => x.toFixed(d).padStart(9);

console.log(`# WarcWriter: ${count} exchanges per run, ${rounds} rounds, medians (node ${process.version}, ${process.env.CONFIGS ?? 'all configs'})`);
for (const size of sizes) {
  const results = new Map(CONFIGS.map((c) => [c.name, []]));
  const n = size > 4096 ? Math.round(count / 5) : count;
  for (let r = 0; r < rounds; r++) for (const cfg of CONFIGS) results.get(cfg.name).push(await runWriter(cfg, size, n));
  console.log(`\n## body ${size} B, ${n} exchanges per run`);
  console.log('config            exchanges/s      MB/s  CPU us/ex  main us/ex  bytes/ex');
  for (const cfg of CONFIGS) {
    const rs = results.get(cfg.name);
    const m = (k) => median(rs.map((x) => x[k]));
    console.log(`${cfg.name.padEnd(16)}${fmt(m('perSec'), 0)}   ${fmt(m('mbPerSec'))}  ${fmt(m('cpuUs'))}  ${fmt(m('mainUs'))}  ${fmt(m('bytesPerExchange'), 0)}`);
  }
  for (const cfg of CONFIGS.filter((c) => c.repair)) {
    const rs = results.get(cfg.name).map((x) => x.repair);
    console.log(`repairWarcTail over the ${cfg.ext} file (a full scan): ${fmt(median(rs.map((x) => x.recordsPerSec)), 0)} records/s, ${fmt(median(rs.map((x) => x.mbPerSec)))} MB/s`);
  }
}

// ---- the gzip stage alone ----------------------------------------------------------------------

function records(size) {
  const body = bodies.get(size);
  return body.map((b, i) => Buffer.concat([Buffer.from(`WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:${crypto.randomUUID()}>\r\nWARC-Date: ${new Date().toISOString()}\r\nWARC-Target-URI: http://127.0.0.1:8080/p/${i}\r\nContent-Length: ${b.length}\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n`), b, Buffer.from('\r\n\r\n')]));
}
const gzipAsync = promisify(zlib.gzip);
const STAGES = {
  'reused handle (writer)': (recs, level) => {
    const gz = new MemberCompressor({ level });
    for (let i = 0; i < recs.n; i++) gz.member(recs[i % 1000]);
    gz.close();
  },
  'zlib.gzipSync per record': (recs, level) => {
    for (let i = 0; i < recs.n; i++) zlib.gzipSync(recs[i % 1000], { level });
  },
  'zlib.gzip (thread pool)': async (recs, level) => {
    let next = 0;
    const lane = async () => {
      while (next < recs.n) await gzipAsync(recs[next++ % 1000], { level });
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  },
};
const n = Math.min(count, 20_000);
console.log(`\n# gzip stage alone: ${n} records per run, ${rounds} rounds, medians`);
for (const size of sizes) {
  const recs = Object.assign(records(size), { n });
  for (const level of [1, 6]) {
    const res = new Map(Object.keys(STAGES).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, fn] of Object.entries(STAGES)) {
        const cpu0 = processCpuUs();
        const main0 = mainThreadCpuUs();
        const t0 = performance.now();
        await fn(recs, level);
        const wall = performance.now() - t0;
        res.get(name).push({ perSec: n / (wall / 1000), cpuUs: (processCpuUs() - cpu0) / n, mainUs: (mainThreadCpuUs() - main0) / n });
      }
    }
    console.log(`\n## record ~${recs[0].length} B, level ${level}`);
    console.log('stage                       records/s  CPU us/rec  main us/rec');
    for (const [name, rs] of res) {
      const m = (k) => median(rs.map((x) => x[k]));
      console.log(`${name.padEnd(26)}${fmt(m('perSec'), 0)}  ${fmt(m('cpuUs'))}  ${fmt(m('mainUs'))}`);
    }
  }
}

// ---- warcio.js, for the record -----------------------------------------------------------------

try {
  const { WARCRecord, WARCSerializer } = await import('warcio');
  const m = 2000;
  const body = bodies.get(sizes[0]);
  const t0 = performance.now();
  const cpu0 = processCpuUs();
  for (let i = 0; i < m; i++) {
    const url = `http://127.0.0.1:8080/p/${i}`;
    const opts = { gzip: true, digest: { algo: 'sha-256', prefix: 'sha256:', base32: true } };
    const req = WARCRecord.create({ url, type: 'request', warcVersion: 'WARC/1.1', statusline: `GET /p/${i} HTTP/1.1`, httpHeaders: Object.fromEntries(REQ_HEADERS) });
    const res = WARCRecord.create({ url, type: 'response', warcVersion: 'WARC/1.1', httpHeaders: { 'content-type': 'text/html' } }, [body[i % 1000]]);
    await WARCSerializer.serialize(req, opts);
    await WARCSerializer.serialize(res, opts);
  }
  const wall = performance.now() - t0;
  console.log(`\n# warcio.js WARCSerializer (gzip, sha256): ${m} exchanges, body ${sizes[0]} B: ${Math.round(m / (wall / 1000))} exchanges/s, ${((processCpuUs() - cpu0) / m).toFixed(0)} us CPU per exchange`);
} catch (err) {
  console.log(`\n# warcio.js not measured: ${err.message}`);
}

rmSync(dir, { recursive: true, force: true });
