// normalizeUrl properties (fast-check; a fixed seed under CI, the seed printed on failure):
// never throws; idempotent; and for generated resources written in many spellings (scheme and
// host case, default port, fragment, %7E vs ~, %2f vs %2F, raw vs encoded non-ASCII) the output
// is one string per resource, different for different resources.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeUrl } from '../src/discover/normalize.js';

const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: n, ...(process.env.CI ? { seed: 20261123 } : {}) });

const hex = (c: number, upper: boolean): string => {
  const h = c.toString(16).padStart(2, '0');
  return `%${upper ? h.toUpperCase() : h}`;
};
const encode = (ch: string, upper: boolean): string => [...Buffer.from(ch)].map((b) => hex(b, upper)).join('');

/** One character of a path or query: how it must come out, and the spellings that mean it. */
interface Atom { canonical: string; spelling: fc.Arbitrary<string> }
const unreserved = fc.constantFrom(...'aZ09-._~'.split('')).map((ch): Atom => ({
  canonical: ch,
  spelling: fc.oneof(fc.constant(ch), fc.boolean().map((u) => encode(ch, u))),
}));
const reservedEncoded = fc.constantFrom(...'/?#&=%+:@'.split('')).map((ch): Atom => ({
  canonical: encode(ch, true),
  spelling: fc.boolean().map((u) => encode(ch, u)),
}));
const literal = fc.constantFrom(...'=&:@!$,;+'.split('')).map((ch): Atom => ({ canonical: ch, spelling: fc.constant(ch) }));
const nonAscii = fc.constantFrom('é', '日', '🎉').map((ch): Atom => ({
  canonical: encode(ch, true),
  spelling: fc.oneof(fc.constant(ch), fc.boolean().map((u) => encode(ch, u))),
}));
const atom = fc.oneof(unreserved, reservedEncoded, literal, nonAscii);

interface Resource { scheme: 'http' | 'https'; host: string; port: number | null; segments: Atom[][]; query: Atom[] | null }

const resource: fc.Arbitrary<Resource> = fc.record({
  scheme: fc.constantFrom('http' as const, 'https' as const),
  host: fc.constantFrom('example.com', 'a.example.com', 'example.org', 'xn--bcher-kva.example', '127.0.0.1'),
  port: fc.constantFrom(null, 8080, 8443),
  segments: fc.array(fc.array(atom, { maxLength: 6 }), { maxLength: 4 }),
  query: fc.option(fc.array(atom, { maxLength: 6 })),
});

/** A segment gets a leading `s` so that no segment can read as `.` or `..`. */
const canonical = (r: Resource): string =>
  `${r.scheme}://${r.host}${r.port === null ? '' : `:${r.port}`}/${r.segments.map((s) => `s${s.map((a) => a.canonical).join('')}`).join('/')}` +
  (r.query === null ? '' : `?${r.query.map((a) => a.canonical).join('')}`);

const randomCase = (s: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

/** Any spelling of a resource. */
const spelling = (r: Resource): fc.Arbitrary<string> => {
  const atoms = (xs: Atom[]): fc.Arbitrary<string> => (xs.length === 0 ? fc.constant('') : fc.tuple(...xs.map((a) => a.spelling)).map((p) => p.join('')));
  const defaultPort = r.scheme === 'http' ? 80 : 443;
  return fc
    .record({
      scheme: randomCase(r.scheme),
      host: randomCase(r.host),
      port: r.port === null ? fc.constantFrom('', `:${defaultPort}`) : fc.constant(`:${r.port}`),
      segments: r.segments.length === 0 ? fc.constant([] as string[]) : fc.tuple(...r.segments.map(atoms)),
      query: r.query === null ? fc.constant(null) : atoms(r.query),
      fragment: fc.option(fc.constantFrom('', 'top', 'a%2Fb', '?x#y')),
    })
    .map((s) =>
      `${s.scheme}://${s.host}${s.port}/${s.segments.map((x) => `s${x}`).join('/')}` +
      (s.query === null ? '' : `?${s.query}`) + (s.fragment === null ? '' : `#${s.fragment}`));
};

describe('normalizeUrl properties', () => {
  it('never throws, on any string and on URL objects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.webUrl({ withFragments: true, withQueryParameters: true })), (s) => {
        normalizeUrl(s);
        let u: URL | null = null;
        try {
          u = new URL(s);
        } catch {
          u = null;
        }
        if (u !== null) normalizeUrl(u);
      }),
      runs(2000),
    );
  });

  it('is idempotent', () => {
    const urlish = fc.oneof(
      fc.webUrl({ withFragments: true, withQueryParameters: true }),
      fc.array(fc.constantFrom('http://', 'HTTPS://', 'a.example', ':80', ':443', '/', '%7e', '%2f', '%25', '%', '%c3%a9', 'é', '..', '.', '%2e', '?', '#', '&', '=', 'x', ' '), { maxLength: 14 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(urlish, (s) => {
        const once = normalizeUrl(s);
        if (once !== null) expect(normalizeUrl(once)).toBe(once);
      }),
      runs(1500),
    );
  });

  it('writes every spelling of a resource as its one canonical string', () => {
    fc.assert(
      fc.property(resource.chain((r) => fc.tuple(fc.constant(r), spelling(r))), ([r, s]) => {
        expect(normalizeUrl(s)).toBe(canonical(r));
      }),
      runs(1500),
    );
  });

  it('gives two spellings one output if and only if they name the same resource', () => {
    // Half the pairs are one resource twice, so that both sides of the "iff" come up.
    const resources = fc.oneof(fc.tuple(resource, resource), resource.map((r) => [r, r] as [Resource, Resource]));
    const pair = resources.chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), spelling(a), spelling(b)));
    fc.assert(
      fc.property(pair, ([a, b, sa, sb]) => {
        expect(normalizeUrl(sa) === normalizeUrl(sb)).toBe(canonical(a) === canonical(b));
      }),
      runs(2000),
    );
  });
});
