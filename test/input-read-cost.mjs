// Measurement, not a test: what readJobs costs, this build against another one, in one process,
// runs alternating (A B B A ...), CPU time (user + sys) per full read, medians and their ratio.
// Run after `npm run build`, with a copy of an earlier build's dist/ as the baseline:
//   cp -r dist /tmp/before-dist    # (on the earlier commit)
//   node test/input-read-cost.mjs /tmp/before-dist [repeats]
// Two inputs, generated into a temp dir: 1,000,000 URL lines (every 64 KiB chunk holds lines),
// and one 256 MiB line without a newline (every chunk is an empty batch since the endless-line
// fix: the case that fix adds work to).

import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const baseline = process.argv[2];
if (!baseline) throw new Error('usage: node test/input-read-cost.mjs <baseline dist dir> [repeats]');
const repeats = Number(process.argv[3] ?? 9);
const before = await import(pathToFileURL(join(resolve(baseline), 'input.js')).href);
const after = await import(new URL('../dist/input.js', import.meta.url).href);

const dir = mkdtempSync(join(tmpdir(), 'sweep-read-cost-'));
const lines = join(dir, 'lines.txt');
await new Promise((done) => {
  const out = createWriteStream(lines);
  let text = '';
  for (let i = 0; i < 1_000_000; i++) {
    text += `http://h${i % 1000}.example.com/path/${i}?q=${i}\n`;
    if (text.length > 1 << 20) {
      out.write(text);
      text = '';
    }
  }
  out.end(text, done);
});
const long = join(dir, 'long.txt');
writeFileSync(long, Buffer.alloc(256 * 1024 * 1024, 'x'));

async function once(mod, file) {
  const progress = { bytesRead: 0, bytesTotal: null, linesRead: 0, skipped: 0, done: false };
  const cpu = process.cpuUsage();
  let jobs = 0;
  let batches = 0;
  for await (const batch of mod.readJobs([file], progress)) {
    jobs += batch.length;
    batches++;
  }
  const used = process.cpuUsage(cpu);
  return { ms: (used.user + used.system) / 1000, jobs, batches };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
for (const [name, file] of [['1,000,000 lines', lines], ['one 256 MiB line', long]]) {
  const ms = { before: [], after: [] };
  const seen = {};
  await once(before, file); // warm-up, both
  await once(after, file);
  for (let i = 0; i < repeats; i++) {
    const order = i % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const which of order) {
      const r = await once(which === 'before' ? before : after, file);
      ms[which].push(r.ms);
      seen[which] = r;
    }
  }
  const ratio = median(ms.after) / median(ms.before);
  console.log(
    `${name}: jobs ${seen.before.jobs} / ${seen.after.jobs}, batches ${seen.before.batches} / ${seen.after.batches}; ` +
      `CPU ms median before ${median(ms.before).toFixed(0)}, after ${median(ms.after).toFixed(0)}; after/before ${ratio.toFixed(3)}`,
  );
}
