// The `Sitemap:` lines of a robots.txt, read by robots-parser (already sweep's robots.txt parser):
// any case, anywhere in the file (they belong to no group), comments cut at `#`.

import robotsParserModule from 'robots-parser';

// robots-parser is CommonJS (`module.exports = function`); its bundled typings declare an ES
// default export that TypeScript's NodeNext resolution cannot call, hence the cast.
const robotsParser = robotsParserModule as unknown as (url: string, contents: string) => { getSitemaps(): string[] };

/** The sitemap URLs a robots.txt names: resolved against robotsUrl (the protocol asks for
 * absolute URLs; relative ones are read leniently), http(s) only, unique, in file order. */
export function robotsSitemaps(robotsTxt: string, robotsUrl: string): string[] {
  const text = robotsTxt.charCodeAt(0) === 0xfeff ? robotsTxt.slice(1) : robotsTxt; // a BOM would hide line 1
  const out = new Set<string>();
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
