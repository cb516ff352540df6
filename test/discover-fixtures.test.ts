// The fixture corpus (fixtures/links, fixtures/sitemaps, fixtures/robots): every file with its
// expected output beside it is a test here, whole and in small chunks. Add a pair, get a test.

import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module shared with bench/extract.mjs, no typings
import { linkFixtures, robotsFixtures, sitemapFixtures } from '../fixtures/fixtures.mjs';
import { extractCssUrls, LinkExtractor, type PageLinks } from '../src/discover/extract.js';
import { robotsSitemaps } from '../src/discover/robots-sitemaps.js';
import { SitemapParser } from '../src/discover/sitemap.js';

interface LinkFixture { name: string; type: 'html' | 'css'; body: Buffer; page: string; requisites: boolean; expected: PageLinks }
interface SitemapFixture { name: string; body: Buffer; expected: { kind: string; locs: string[]; truncated: boolean } }
interface RobotsFixture { name: string; text: string; robotsUrl: string; expected: string[] }

function extract(f: LinkFixture, chunk: number): PageLinks {
  if (f.type === 'css') {
    return { links: extractCssUrls(f.body.toString('utf8'), f.page), nofollow: false, base: null, refresh: null, truncated: false };
  }
  const x = new LinkExtractor(f.page, { requisites: f.requisites });
  for (let i = 0; i < f.body.length; i += chunk) x.write(f.body.subarray(i, i + chunk));
  return x.end();
}

describe('fixtures/links', () => {
  const fixtures = linkFixtures() as LinkFixture[];
  it('has a corpus', () => expect(fixtures.length).toBeGreaterThan(20));
  for (const f of fixtures) {
    it(`${f.name} yields its expected links`, () => {
      expect(extract(f, f.body.length || 1)).toEqual(f.expected);
    });
    if (f.type === 'html') {
      it(`${f.name} yields the same in 1-, 2- and 5-byte chunks`, () => {
        for (const chunk of [1, 2, 5]) expect(extract(f, chunk)).toEqual(f.expected);
      });
    }
  }
});

describe('fixtures/sitemaps', () => {
  const fixtures = sitemapFixtures() as SitemapFixture[];
  it('has a corpus', () => expect(fixtures.length).toBeGreaterThanOrEqual(5));
  for (const f of fixtures) {
    it(`${f.name} yields its expected URLs, whole and in 1- and 7-byte chunks`, async () => {
      for (const chunk of [f.body.length, 1, 7]) {
        const p = new SitemapParser();
        for (let i = 0; i < f.body.length; i += chunk) p.write(f.body.subarray(i, i + chunk));
        const r = await p.end();
        expect({ kind: r.kind, locs: r.locs, truncated: r.truncated }).toEqual(f.expected);
        expect(r.error).toBeNull();
      }
    });
  }
});

describe('fixtures/robots', () => {
  for (const f of robotsFixtures() as RobotsFixture[]) {
    it(`${f.name} names its expected sitemaps`, () => {
      expect(robotsSitemaps(f.text, f.robotsUrl)).toEqual(f.expected);
    });
  }
});
