// ScopeCache.admissible: what a page's links become before the frontier sees them.
import { describe, expect, it } from 'vitest';
import { ScopeCache } from '../src/follow/scope-cache.js';

describe('ScopeCache.admissible', () => {
  const cache = (): ScopeCache => new ScopeCache({ kind: 'origin', include: [], exclude: [] });

  it('normalizes, keeps http(s) links in the seed scope, and counts the others out of scope', () => {
    const c = cache();
    const keys = c.admissible(['http://a.test/x#frag', 'http://a.test/%7Euser', 'mailto:x@a.test', 'http://b.test/y'], 'http://a.test/', true);
    expect(keys).toEqual(['http://a.test/x', 'http://a.test/~user']);
    expect(c.outOfScope).toBe(1);
  });

  it('drops a link longer than an HTML link may be (8 KiB): a CSS url() or sitemap <loc> has no cap of its own', () => {
    const c = cache();
    const long = `http://a.test/${'x'.repeat(8192)}`;
    const edge = `http://a.test/${'y'.repeat(8192 - 'http://a.test/'.length)}`;
    expect(c.admissible([long, edge], 'http://a.test/', true)).toEqual([edge]);
    expect(c.admissible([long], 'http://a.test/', false)).toEqual([]);
  });
});
