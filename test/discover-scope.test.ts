// --scope, --include, --exclude: named cases, traps included.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { compileRegex, directoryOf, parseScopeKind, seedScope, siteOf, type ScopeKind, type ScopeRules } from '../src/discover/scope.js';

const rules = (kind: ScopeKind, include: string[] = [], exclude: string[] = []): ScopeRules => ({
  kind,
  include: include.map((r) => compileRegex(r, '--include')),
  exclude: exclude.map((r) => compileRegex(r, '--exclude')),
});
const admits = (r: ScopeRules, seed: string, url: string): boolean => seedScope(r, new URL(seed))(new URL(url));

describe('parseScopeKind', () => {
  it('accepts the five kinds, in any case', () => {
    for (const k of ['origin', 'host', 'domain', 'prefix', 'any']) expect(parseScopeKind(k)).toBe(k);
    expect(parseScopeKind('Domain')).toBe('domain');
  });

  it('refuses anything else with a UsageError that names the option and the choices', () => {
    expect(() => parseScopeKind('site')).toThrow(UsageError);
    expect(() => parseScopeKind('site')).toThrow('--scope: expected one of origin, host, domain, prefix, any, got "site"');
    expect(() => parseScopeKind('')).toThrow(UsageError);
  });
});

describe('compileRegex', () => {
  it('compiles a pattern once, case-sensitive', () => {
    const re = compileRegex('\\.(jpg|png)$', '--exclude');
    expect(re.test('http://a/x.png')).toBe(true);
    expect(re.test('http://a/x.PNG')).toBe(false);
  });

  it('names the option and the pattern on a bad pattern', () => {
    expect(() => compileRegex('(unclosed', '--include')).toThrow(UsageError);
    expect(() => compileRegex('(unclosed', '--include')).toThrow(/^--include: not a valid regular expression: "\(unclosed"/);
    expect(() => compileRegex('*x', '--exclude')).toThrow(/^--exclude: /);
  });
});

describe('origin (the default)', () => {
  const r = rules('origin');
  const seed = 'https://example.com/start/';
  it.each([
    ['https://example.com/elsewhere', true],
    ['https://EXAMPLE.com/case-of-host', true],
    ['https://example.com:443/default-port', true],
    ['http://example.com/other-scheme', false],
    ['https://example.com:8443/other-port', false],
    ['https://www.example.com/subdomain', false],
    ['https://example.com.evil.test/suffix-trick', false],
  ])('%s -> %s', (url, ok) => expect(admits(r, seed, url)).toBe(ok));
});

describe('host', () => {
  const r = rules('host');
  const seed = 'https://example.com/';
  it.each([
    ['http://example.com/any-scheme', true],
    ['https://example.com:8443/any-port', true],
    ['https://Example.COM/case', true],
    ['https://www.example.com/', false],
    ['https://sub.example.com/', false],
  ])('%s -> %s', (url, ok) => expect(admits(r, seed, url)).toBe(ok));
});

describe('domain (public-suffix aware)', () => {
  const r = rules('domain');
  it.each([
    ['https://sub.example.com/', 'https://example.com/', true],
    ['https://example.com/', 'https://sub.example.com/', true],
    ['https://a.example.com/', 'http://b.c.example.com:8080/', true],
    ['https://example.com/', 'https://example.org/', false],
    ['https://example.co.uk/', 'https://www.example.co.uk/', true],
    ['https://example.co.uk/', 'https://other.co.uk/', false],
    ['https://www.example.co.uk/', 'https://co.uk/', false],
    ['https://alice.github.io/', 'https://bob.github.io/', false],
    ['https://alice.github.io/', 'https://www.alice.github.io/', true],
    ['https://example.com/', 'https://notexample.com/', false],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:9090/', true],
    ['http://127.0.0.1/', 'http://127.0.0.2/', false],
    ['http://[::1]:8080/', 'http://[::1]/', true],
    ['http://localhost:3000/', 'http://localhost:4000/', true],
    ['http://localhost/', 'http://other.localhost/', false],
    ['http://intranet/', 'http://intranet:81/', true],
    ['http://intranet/', 'http://wiki/', false],
  ])('seed %s: %s -> %s', (seed, url, ok) => expect(admits(r, seed, url)).toBe(ok));

  it('siteOf: the registrable domain, or the host itself when there is none', () => {
    expect(siteOf('a.b.example.co.uk')).toBe('example.co.uk');
    expect(siteOf('192.168.1.1')).toBe('192.168.1.1');
    expect(siteOf('localhost')).toBe('localhost');
  });
});

describe('prefix (wget --no-parent)', () => {
  const r = rules('prefix');
  it('takes the directory of the seed: /a/b/c.html -> /a/b/, /a/b/ -> /a/b/, / -> /', () => {
    expect(directoryOf('/a/b/c.html')).toBe('/a/b/');
    expect(directoryOf('/a/b/')).toBe('/a/b/');
    expect(directoryOf('/a/b')).toBe('/a/');
    expect(directoryOf('/')).toBe('/');
  });
  it.each([
    ['http://example.com/a/b/c.html', 'http://example.com/a/b/d.html', true],
    ['http://example.com/a/b/c.html', 'http://example.com/a/b/', true],
    ['http://example.com/a/b/c.html', 'http://example.com/a/b/deep/er/x', true],
    ['http://example.com/a/b/c.html', 'http://example.com/a/bc', false],
    ['http://example.com/a/b/c.html', 'http://example.com/a/b', false],
    ['http://example.com/a/b/c.html', 'http://example.com/a/', false],
    ['http://example.com/a/b/', 'http://example.com/a/b/x?q=1', true],
    ['http://example.com/a/b/', 'http://example.com/a/bc/x', false],
    ['http://example.com/a/b/', 'http://example.com/A/B/x', false],
    ['http://example.com/a/b/', 'https://example.com/a/b/x', false],
    ['http://example.com/a/b/', 'http://example.com:8080/a/b/x', false],
    ['http://example.com:80/a/b/', 'http://EXAMPLE.com/a/b/x', true],
    ['http://example.com/a/b/?q=1', 'http://example.com/a/b/y', true],
    ['http://example.com/', 'http://example.com/anything', true],
  ])('seed %s: %s -> %s', (seed, url, ok) => expect(admits(r, seed, url)).toBe(ok));
});

describe('any', () => {
  it('admits everything', () => {
    expect(admits(rules('any'), 'http://a.example/', 'https://elsewhere.test:1/x')).toBe(true);
  });
});

describe('--include and --exclude', () => {
  const seed = 'https://example.com/';
  it('exclude drops what matches', () => {
    const r = rules('origin', [], ['\\.(jpg|png|zip)$']);
    expect(admits(r, seed, 'https://example.com/a.html')).toBe(true);
    expect(admits(r, seed, 'https://example.com/a.png')).toBe(false);
  });

  it('include keeps only what matches one of them', () => {
    const r = rules('origin', ['/blog/', '/news/']);
    expect(admits(r, seed, 'https://example.com/blog/1')).toBe(true);
    expect(admits(r, seed, 'https://example.com/news/2')).toBe(true);
    expect(admits(r, seed, 'https://example.com/shop/3')).toBe(false);
  });

  it('exclude wins over include', () => {
    const r = rules('origin', ['/blog/'], ['/drafts/']);
    expect(admits(r, seed, 'https://example.com/blog/drafts/1')).toBe(false);
  });

  it('match on the absolute URL, query included', () => {
    expect(admits(rules('any', ['^https://example\\.com/']), seed, 'https://example.com/x')).toBe(true);
    expect(admits(rules('any', [], ['[?&]sessionid=']), seed, 'https://other.test/a?x=1&sessionid=2')).toBe(false);
  });

  it('never admits out of scope, whatever include says', () => {
    expect(admits(rules('origin', ['.*']), seed, 'https://other.example/')).toBe(false);
  });
});
