// normalizeUrl, the frontier's key: named cases. Properties in discover-normalize.property.test.ts.

import { describe, expect, it } from 'vitest';
import { normalizeUrl } from '../src/discover/normalize.js';

describe('normalizeUrl', () => {
  it.each([
    ['HTTP://Example.COM/Path', 'http://example.com/Path'],
    ['http://example.com:80/', 'http://example.com/'],
    ['https://example.com:443/a', 'https://example.com/a'],
    ['http://example.com:443/a', 'http://example.com:443/a'],
    ['https://example.com:8443/a', 'https://example.com:8443/a'],
    ['http://example.com', 'http://example.com/'],
    ['http://example.com/a#frag', 'http://example.com/a'],
    ['http://example.com/a#', 'http://example.com/a'],
    ['http://example.com/?', 'http://example.com/?'],
    ['http://example.com/%7Euser', 'http://example.com/~user'],
    ['http://example.com/%7euser', 'http://example.com/~user'],
    ['http://example.com/%41%62%30%2D%2E%5F', 'http://example.com/Ab0-._'],
    ['http://example.com/a%2fb', 'http://example.com/a%2Fb'],
    ['http://example.com/a%2Fb', 'http://example.com/a%2Fb'],
    ['http://example.com/a?x=%3f%26%3d%23%25', 'http://example.com/a?x=%3F%26%3D%23%25'],
    ['http://example.com/caf%c3%a9', 'http://example.com/caf%C3%A9'],
    ['http://example.com/café', 'http://example.com/caf%C3%A9'],
    ['http://example.com/a%20b', 'http://example.com/a%20b'],
    ['http://example.com/%zz%4', 'http://example.com/%zz%4'],
    ['http://example.com/a/./b/../c', 'http://example.com/a/c'],
    ['http://example.com/a/%2e%2E/c', 'http://example.com/c'],
    ['http://example.com/a?b=C&a=B', 'http://example.com/a?b=C&a=B'],
    ['http://example.com/A/b', 'http://example.com/A/b'],
    ['http://user:Pass@Example.com/', 'http://user:Pass@example.com/'],
    ['http://bücher.example/', 'http://xn--bcher-kva.example/'],
    ['http://0x7f.1/', 'http://127.0.0.1/'],
    ['http://[0:0::1]:8080/', 'http://[::1]:8080/'],
    ['  http://example.com/trimmed  ', 'http://example.com/trimmed'],
  ])('%j -> %j', (input, out) => expect(normalizeUrl(input)).toBe(out));

  it.each(['mailto:a@example.com', 'ftp://example.com/', 'javascript:alert(1)', 'data:,x', 'file:///etc/passwd', '', 'not a url', '/relative', 'http://', 'http://exa mple.com/'])(
    '%j -> null', (input) => expect(normalizeUrl(input)).toBeNull(),
  );

  it('takes a URL object', () => {
    expect(normalizeUrl(new URL('HTTPS://Example.com:443/%7e#x'))).toBe('https://example.com/~');
    expect(normalizeUrl(new URL('ftp://example.com/'))).toBeNull();
  });
});
