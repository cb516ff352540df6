// Property: redactUrl hides whatever credentials the WHATWG URL parser (which sends them as Basic
// auth) would find in a line. URLs are built from pieces a user or a hostile page could write:
// any run of `/` and `\` after the scheme, `@` and `:` inside the user name and password, and
// characters around them; the password holds a marker that must not survive redaction.

import { describe, expect, it } from 'vitest';
import { parseTarget, redactUrl } from '../src/target.js';
import { fc } from './property.js';

const piece = fc.stringMatching(/^[a-zA-Z0-9@:%._~!$&'()*+,;=-]{0,12}$/);
const slashes = fc.stringMatching(/^[/\\]{0,4}$/);
const rest = fc.stringMatching(/^([/\\?#][a-zA-Z0-9@:/\\?#=&.-]{0,20})?$/);

describe('redactUrl', () => {
  it('never shows a password the parser would send, and keeps the rest of the URL', () => {
    fc.assert(
      fc.property(fc.constantFrom('http:', 'https:', 'HTTP:'), slashes, piece, piece, fc.constantFrom('h.test', 'h.test:8080', '127.0.0.1'), rest, (scheme, sl, user, extra, host, tail) => {
        const password = `SECRET${extra.replace(/[/\\?#]/g, '')}`;
        const raw = `${scheme}${sl}${user}:${password}@${host}${tail}`;
        const shown = redactUrl(raw);
        let parsed: URL | null = null;
        try {
          parsed = new URL(raw);
        } catch {
          // not a URL: nothing is sent
        }
        if (parsed !== null && (parsed.password !== '' || parsed.username !== '')) {
          expect(shown).not.toContain('SECRET');
          // What the parser sends is gone, and where it goes to is still shown.
          expect(shown.endsWith(raw.slice(raw.lastIndexOf('@', raw.length - tail.length - 1)))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a URL whose credentials it hides still parses to the same host and path, without them', () => {
    fc.assert(
      fc.property(slashes.filter((s) => s.length >= 1), piece, piece, rest, (sl, user, pass, tail) => {
        const raw = `http:${sl}${user}:${pass}@h.test${tail}`;
        const t = parseTarget(raw);
        if (typeof t === 'string') return;
        const shown = parseTarget(redactUrl(raw));
        if (typeof shown === 'string') return; // '***' can make an odd URL unparsable: fine for a record
        expect([shown.origin, shown.path]).toEqual([t.origin, t.path]);
      }),
      { numRuns: 1000 },
    );
  });
});
