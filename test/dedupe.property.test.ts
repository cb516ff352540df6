// Property of `--dedupe`'s key (Deduper.key over parseTarget): URLs that name the same request
// share a key (scheme and host case, an explicit default port, the #fragment do not matter), and
// URLs whose path or query differ do not (they are case-sensitive).

import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Deduper } from '../src/polite/dedupe.js';
import { parseTarget, type Target } from '../src/target.js';
import { fc } from './property.js';

const target = (url: string): Target => {
  const t = parseTarget(url);
  if (typeof t === 'string') throw new Error(`${url}: ${t}`);
  return t;
};
const key = (url: string): string => Deduper.key(target(url));

const scheme = fc.constantFrom('http', 'https');
const host = fc.oneof(fc.domain(), fc.constantFrom('127.0.0.1', '[::1]', 'bücher.example', 'xn--bcher-kva.example'));
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null });
// Path segments and queries from characters the URL parser keeps as they are, so two different
// strings are two different requests on the wire. ('.' and '..' segments are resolved by the
// parser, and percent-escapes of unreserved characters name the same resource: both left out.)
const segment = fc.stringMatching(/^[A-Za-z0-9_~!$&'()*+,;=:@-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
const path = fc.array(segment, { maxLength: 4 }).map((s) => '/' + s.join('/'));
const query = fc.option(fc.stringMatching(/^[A-Za-z0-9_=&-]{1,12}$/), { nil: null });
const fragment = fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{0,8}$/), { nil: null });
const caseFlip = fc.array(fc.boolean(), { maxLength: 64 });

const url = fc.record({ scheme, host, port, path, query });
type Parts = typeof url extends fc.Arbitrary<infer T> ? T : never;

function write(p: Parts, opts: { flip?: boolean[]; explicitDefaultPort?: boolean; fragment?: string | null } = {}): string {
  const flip = (s: string): string => [...s].map((c, i) => (opts.flip?.[i % opts.flip.length] ? c.toUpperCase() : c)).join('');
  const defaultPort = p.scheme === 'http' ? 80 : 443;
  const portPart = p.port !== null && p.port !== defaultPort ? `:${p.port}` : opts.explicitDefaultPort ? `:${defaultPort}` : '';
  const q = p.query === null ? '' : `?${p.query}`;
  const f = opts.fragment == null ? '' : `#${opts.fragment}`;
  return `${flip(p.scheme)}://${flip(p.host)}${portPart}${p.path}${q}${f}`;
}

describe('dedupe key (property)', () => {
  it('scheme and host case, an explicit default port and the fragment do not change the key', () => {
    fc.assert(
      fc.property(url, caseFlip, fc.boolean(), fragment, (p, flip, explicitDefaultPort, frag) => {
        expect(key(write(p, { flip, explicitDefaultPort, fragment: frag }))).toBe(key(write(p)));
      }),
      { numRuns: 500 },
    );
  });

  it('a different path or query gives a different key', () => {
    fc.assert(
      fc.property(url, path, query, (p, otherPath, otherQuery) => {
        fc.pre(otherPath !== p.path || otherQuery !== p.query);
        expect(key(write({ ...p, path: otherPath, query: otherQuery }))).not.toBe(key(write(p)));
      }),
      { numRuns: 500 },
    );
  });

  it('two URLs share a key exactly when scheme, host, effective port, path and query are the same', () => {
    const resource = (p: Parts): string => {
      const effectivePort = p.port ?? (p.scheme === 'http' ? 80 : 443);
      return [p.scheme, domainToASCII(p.host.replace(/^\[|\]$/g, '')) || p.host, effectivePort, p.path, p.query].join(' ');
    };
    // b is a, or a with one part drawn again (often the same value: both outcomes get tested).
    const pair = url.chain((a) =>
      fc.oneof(fc.constant(a), scheme.map((x) => ({ ...a, scheme: x })), host.map((x) => ({ ...a, host: x })), port.map((x) => ({ ...a, port: x })), url).map((b) => [a, b] as const),
    );
    fc.assert(
      fc.property(pair, caseFlip, ([a, b], flip) => {
        expect(key(write(a, { flip })) === key(write(b))).toBe(resource(a) === resource(b));
      }),
      { numRuns: 500 },
    );
  });
});
