// The two parsers of --dns-server's resolver: the option's value (src/net/dns-option.ts) and the
// hosts file (src/net/hosts-file.ts). Named cases for the rules, properties for the rest.

import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { parseDnsServers, serverString, type DnsServer } from '../src/net/dns-option.js';
import { hostKey, parseHosts } from '../src/net/hosts-file.js';
import { anyString, fc } from './property.js';

const server: fc.Arbitrary<DnsServer> = fc.record({
  host: fc.oneof(fc.ipV4(), fc.ipV6()),
  port: fc.integer({ min: 1, max: 65535 }),
});

describe('--dns-server values', () => {
  it.each([
    ['10.0.0.2', [{ host: '10.0.0.2', port: 53 }]],
    ['10.0.0.2:5353', [{ host: '10.0.0.2', port: 5353 }]],
    [' 10.0.0.2 , 10.0.0.3:54 ', [{ host: '10.0.0.2', port: 53 }, { host: '10.0.0.3', port: 54 }]],
    ['::1', [{ host: '::1', port: 53 }]],
    ['::1:53', [{ host: '::1:53', port: 53 }]], // a bare IPv6 address takes no port
    ['[::1]:5353', [{ host: '::1', port: 5353 }]],
    ['[2001:db8::1]', [{ host: '2001:db8::1', port: 53 }]],
  ])('%s', (raw, expected) => {
    expect(parseDnsServers(raw)).toEqual(expected);
  });

  it.each(['', ',', 'a.example', '10.0.0.2:', '10.0.0.2:0', '10.0.0.2:65536', '10.0.0.2:+53', '[10.0.0.2]:53', '[::1]:', '[::1', '::1]', 'fe80::1%eth0', '1.2.3'])(
    'refuses %j',
    (raw) => {
      expect(() => parseDnsServers(raw)).toThrow(UsageError);
    },
  );

  it('reads back what serverString() writes, for any list of servers', () => {
    fc.assert(
      fc.property(fc.array(server, { minLength: 1, maxLength: 4 }), (servers) => {
        // [host]:port always; and the c-ares form (bare when the port is 53).
        const bracketed = servers.map((s) => (isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`)).join(',');
        expect(parseDnsServers(bracketed)).toEqual(servers);
        expect(parseDnsServers(servers.map(serverString).join(','))).toEqual(servers);
      }),
    );
  });

  it('any other input: a list of IP addresses with valid ports, or a UsageError', () => {
    fc.assert(
      fc.property(anyString(), (raw) => {
        try {
          for (const s of parseDnsServers(raw)) {
            expect(isIP(s.host)).not.toBe(0);
            expect(s.port >= 1 && s.port <= 65535).toBe(true);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
    );
  });
});

describe('hosts file', () => {
  it('reads addresses, names and aliases; comments, junk lines and case as glibc does', () => {
    const table = parseHosts(
      [
        '127.0.0.1\tlocalhost',
        '::1     localhost ip6-localhost   # loopback',
        '# 10.9.9.9 commented.example',
        '10.0.0.5 Web.Internal. web # the web box',
        'not-an-ip bogus.example',
        '10.0.0.6',
        '10.0.0.7 web\r',
        '',
      ].join('\n'),
    );
    expect(Object.fromEntries(table)).toEqual({
      localhost: { v4: ['127.0.0.1'], v6: ['::1'] },
      'ip6-localhost': { v4: [], v6: ['::1'] },
      'web.internal': { v4: ['10.0.0.5'], v6: [] },
      web: { v4: ['10.0.0.5', '10.0.0.7'], v6: [] },
    });
  });

  const name = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,2}$/);
  const entry = fc.record({ address: fc.oneof(fc.ipV4(), fc.ipV6()), names: fc.array(name, { minLength: 1, maxLength: 3 }) });
  const blank = fc.constantFrom(' ', '\t', '  ', ' \t ');

  it('every listed name resolves to every address it was listed with, in file order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, blank, fc.option(anyString(10).map((c) => c.replace(/[\r\n]/g, ''))))), (lines) => {
        const text = lines.map(([e, sep, comment]) => `${e.address}${sep}${e.names.join(sep)}${comment === null ? '' : ` #${comment}`}`).join('\n');
        const table = parseHosts(text);
        const expected = new Map<string, { v4: string[]; v6: string[] }>();
        for (const [e] of lines) {
          for (const n of e.names) {
            const key = hostKey(n);
            const got = expected.get(key) ?? { v4: [], v6: [] };
            const list = isIP(e.address) === 4 ? got.v4 : got.v6;
            if (!list.includes(e.address)) list.push(e.address);
            expected.set(key, got);
          }
        }
        expect(table).toEqual(expected);
      }),
    );
  });

  it('never throws, and only ever holds IP addresses', () => {
    fc.assert(
      fc.property(anyString(200), (text) => {
        for (const [, a] of parseHosts(text)) {
          expect([...a.v4].every((x) => isIP(x) === 4) && [...a.v6].every((x) => isIP(x) === 6)).toBe(true);
        }
      }),
    );
  });
});
