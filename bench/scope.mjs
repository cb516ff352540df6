// Per-URL cost of the scope test (npm run build first): each kind on URLs already parsed (the
// frontier parses once), and for `domain` the registrable-domain lookup with sweep's host cache
// against tldts called per URL. Alternating rounds, medians.
//
//   node bench/scope.mjs          ROUNDS=5 N=300000

import { getDomain } from 'tldts';
import { seedScope, compileRegex } from '../dist/discover/scope.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const N = Number(process.env.N ?? 300_000);
const hosts = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? `h${i}.example.com` : i % 3 === 1 ? `www.site${i}.co.uk` : `blog${i}.github.io`));
const urls = Array.from({ length: N }, (_, i) => new URL(`https://${hosts[i % hosts.length]}/a/b/page-${i}.html?x=${i}`));
const seed = new URL('https://h0.example.com/a/b/index.html');
const none = { include: [], exclude: [] };

const uncachedDomain = () => {
  const site = getDomain(seed.hostname, { allowPrivateDomains: true });
  return (url) => url.hostname === seed.hostname || (getDomain(url.hostname, { allowPrivateDomains: true }) ?? url.hostname) === site;
};
const CASES = [
  { name: 'origin', test: seedScope({ kind: 'origin', ...none }, seed) },
  { name: 'prefix', test: seedScope({ kind: 'prefix', ...none }, seed) },
  { name: 'domain (host cache)', test: seedScope({ kind: 'domain', ...none }, seed) },
  { name: 'domain (tldts per URL)', test: uncachedDomain() },
  { name: 'origin + 2 include + 2 exclude', test: seedScope({ kind: 'origin', include: ['/a/', '/b/'].map((r) => compileRegex(r, '--include')), exclude: ['\\.(jpg|png|zip)$', '[?&]sessionid='].map((r) => compileRegex(r, '--exclude')) }, seed) },
];

const results = CASES.map(() => []);
for (let round = 0; round <= ROUNDS; round++) {
  CASES.forEach((c, k) => {
    let admitted = 0;
    const t0 = performance.now();
    for (const u of urls) if (c.test(u)) admitted++;
    const ns = ((performance.now() - t0) * 1e6) / urls.length;
    if (round > 0) results[k].push(ns);
    if (admitted < 0) console.log(admitted);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${N} parsed URLs over ${hosts.length} hosts, ${ROUNDS} rounds after a warm-up; ns per URL, median (range):`);
CASES.forEach((c, k) => console.log(`  ${c.name.padEnd(32)} ${median(results[k]).toFixed(0).padStart(5)} (${Math.min(...results[k]).toFixed(0)}-${Math.max(...results[k]).toFixed(0)})`));
