// A generated web site for recursive crawls: `sweep serve`, `sweep demo`, the tests and the
// benchmarks crawl it on loopback. Page i of n links to pages 2i+1 and 2i+2 (so every page is
// reachable within log2(n) hops of the home page), to i+1, and to a few pseudo-random others, the
// way real sites cross-link; each page also carries the traps a crawler must not fall into: a
// fragment link (same page), an off-site link, a mailto:, a javascript: link and a link inside a
// comment, none of which may be fetched with the default scope.

const TRAPS =
  '<p><a href="https://elsewhere.invalid/offsite">off site</a> <a href="mailto:team@example.invalid">mail</a> ' +
  '<a href="javascript:void(0)">js</a> <!-- <a href="commented-out.html">old</a> --></p>';

/** The links of page i of an n-page site, as hrefs relative to the site's directory. */
export function siteLinks(i: number, n: number, fanout = 20): string[] {
  const out = new Set<number>();
  for (const j of [2 * i + 1, 2 * i + 2, i + 1]) if (j < n) out.add(j);
  let x = (i * 2654435761) >>> 0;
  while (out.size < Math.min(fanout, n - 1)) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % n;
    if (j !== i) out.add(j);
  }
  return [...out].map((j) => `p${j}.html`);
}

/** Page i of an n-page site: about `bytes` of HTML (text padding to reach it). */
export function sitePage(i: number, n: number, bytes = 2048, fanout = 20): string {
  const links = siteLinks(i, n, fanout)
    .map((href, k) => `<li><a href="${k === 0 ? href + '#top' : href}">page ${href}</a></li>`)
    .join('');
  const head = `<!doctype html><html><head><title>page ${i} of ${n}</title></head><body><h1 id="top">Page ${i}</h1><ul>${links}</ul>${TRAPS}`;
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
  let body = '';
  while (head.length + body.length + 20 < bytes) body += filler;
  return `${head}<p>${body.slice(0, Math.max(0, bytes - head.length - 20))}</p></body></html>\n`;
}
