// Measurement, not a test: the rate sweep achieves over every sliding 5 s window, counted at a
// loopback server as requests arrive. Run after `npm run build`:
//   node test/polite-rate-window.mjs <rate> <seconds> [--per-host-rate]
// Prints the target, sweep's own achieved figure (summary JSON) and the server's min/max over
// all 5 s windows that start at an arrival and end inside the run.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rate = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 12);
const perHost = process.argv[4] === '--per-host-rate';
const dir = mkdtempSync(join(tmpdir(), 'sweep-rate-'));
const arrivals = [];
const server = createServer((_req, res) => {
  arrivals.push(performance.now());
  res.end('ok\n');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const n = Math.ceil(rate * seconds) + 1;
const list = join(dir, 'urls.txt');
writeFileSync(list, Array.from({ length: n }, (_, i) => `http://127.0.0.1:${port}/x/${i}`).join('\n') + '\n');
const summary = join(dir, 'summary.json');
const bin = fileURLToPath(new URL('../bin/sweep.js', import.meta.url));
const args = ['-q', '-c', '64', '--summary-json', summary, perHost ? '--per-host-rate' : '--rate', String(rate), list];
const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
await new Promise((resolve) => child.on('close', resolve));
server.close();

const W = 5000;
let lo = Infinity;
let hi = 0;
for (let i = 0, j = 0; i < arrivals.length && arrivals[i] + W <= arrivals.at(-1); i++) {
  while (j < arrivals.length && arrivals[j] < arrivals[i] + W) j++;
  const achieved = (j - i) / (W / 1000);
  lo = Math.min(lo, achieved);
  hi = Math.max(hi, achieved);
}
const polite = JSON.parse(readFileSync(summary, 'utf8')).polite;
const pct = (x) => +((x / rate - 1) * 100).toFixed(2);
console.log(
  JSON.stringify({
    target: rate,
    sweepAchieved: polite.rate?.achieved ?? polite.perHostRate?.maxAchieved,
    requests: arrivals.length,
    window5s: { min: lo, max: hi, minPct: pct(lo), maxPct: pct(hi) },
  }),
);
