// The `Sitemap:` lines of a robots.txt, read by robots-parser (already sweep's robots.txt parser):
// any case, anywhere in the file (they belong to no group), comments cut at `#`.

import { createRequire } from 'node:module';

type SitemapsParser = (url: string, contents: string) => { getSitemaps(): string[] };
// robots-parser is CommonJS (`module.exports = function`), required at the first robots.txt read:
// every recursive crawl loads this module, and `import` of it cost ~17 ms (require: ~5).
let robotsParser: SitemapsParser | null = null;

/** The sitemap URLs a robots.txt names: resolved against robotsUrl (the protocol asks for
 * absolute URLs; relative ones are read leniently), http(s) only, unique, in file order. */
export function robotsSitemaps(robotsTxt: string, robotsUrl: string): string[] {
  const text = robotsTxt.charCodeAt(0) === 0xfeff ? robotsTxt.slice(1) : robotsTxt; // a BOM would hide line 1
  const out = new Set<string>();
  robotsParser ??= createRequire(import.meta.url)('robots-parser') as SitemapsParser;
  for (const raw of robotsParser(robotsUrl, text).getSitemaps()) {
    try {
      const url = new URL(raw, robotsUrl);
      if (url.protocol === 'http:' || url.protocol === 'https:') out.add(url.href);
    } catch {
      // not a URL: skipped
    }
  }
  return [...out];
}
