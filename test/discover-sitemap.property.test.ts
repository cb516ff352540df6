// Sitemap properties (fast-check; a fixed seed under CI): any split of a body into chunks, gzipped
// or not, gives the same result (fixtures and generated urlsets with entities, CDATA and
// multi-byte characters).

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module shared with bench/extract.mjs, no typings
import { sitemapFixtures } from '../fixtures/fixtures.mjs';
import { SitemapParser, type SitemapResult } from '../src/discover/sitemap.js';

const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: n, ...(process.env.CI ? { seed: 20261123 } : {}) });

async function parse(body: Buffer, cuts: number[]): Promise<SitemapResult> {
  const p = new SitemapParser();
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b)) {
    p.write(body.subarray(from, cut));
    from = cut;
  }
  p.write(body.subarray(from));
  return p.end();
}

const locText = fc
  .array(fc.constantFrom('https://s.example/', 'a', 'é', '日本', '&amp;', '&#38;', '?', '=', ' ', '\n', '<![CDATA[x&y]]>', '%20'), { maxLength: 10 })
  .map((p) => p.join(''));
const generated = fc
  .record({ locs: fc.array(locText, { maxLength: 20 }), gzip: fc.boolean(), index: fc.boolean() })
  .map(({ locs, gzip, index }) => {
    const [root, item] = index ? ['sitemapindex', 'sitemap'] : ['urlset', 'url'];
    const xml = Buffer.from(`<?xml version="1.0"?>\n<${root}>${locs.map((l) => `<${item}><loc>${l}</loc></${item}>`).join('\n')}</${root}>`);
    return gzip ? gzipSync(xml) : xml;
  });

describe('sitemap properties', () => {
  it('gives the same result for any split of a fixture', async () => {
    const fixtures = (sitemapFixtures() as Array<{ body: Buffer }>).map((f) => f.body);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fixtures), fc.array(fc.nat(), { maxLength: 30 }), async (body, cuts) => {
        expect(await parse(body, cuts)).toEqual(await parse(body, []));
      }),
      runs(100),
    );
  });

  it('gives the same result for any split of a generated sitemap, gzipped or not', async () => {
    await fc.assert(
      fc.asyncProperty(generated, fc.array(fc.nat(), { maxLength: 20 }), async (body, cuts) => {
        expect(await parse(body, cuts)).toEqual(await parse(body, []));
      }),
      runs(150),
    );
  });
});
