// Named cases of link extraction: the content-type tests, the small grammars (meta refresh,
// srcset, CSS), and the bounds that keep a hostile page from taking memory. The corpus of traps
// is in fixtures/links (test/discover-fixtures.test.ts).

import { describe, expect, it } from 'vitest';
import { refreshUrl, srcsetUrls } from '../src/discover/attr-values.js';
import { cssUrlValues } from '../src/discover/css-urls.js';
import { isCssType, isHtmlType, LinkExtractor, type PageLinks } from '../src/discover/extract.js';
import { headerSaysNofollow } from '../src/discover/robots-tag.js';
import { fc } from './property.js';

const PAGE = 'http://example.com/dir/page.html';

function extract(parts: Array<string | Buffer>, options = { requisites: false } as { requisites: boolean; maxLinks?: number }): PageLinks {
  const x = new LinkExtractor(PAGE, options);
  for (const p of parts) x.write(typeof p === 'string' ? Buffer.from(p) : p);
  return x.end();
}

describe('content types', () => {
  it('isHtmlType: text/html and application/xhtml+xml with parameters, in any case', () => {
    for (const t of ['text/html', 'text/html; charset=utf-8', 'TEXT/HTML;charset=ISO-8859-1', ' text/html ', 'application/xhtml+xml', 'Application/XHTML+XML; q=1']) {
      expect(isHtmlType(t), t).toBe(true);
    }
    for (const t of [null, '', 'text/plain', 'text/htmlx', 'application/json', 'text/css', 'image/svg+xml', 'text/xml', 'html']) {
      expect(isHtmlType(t), String(t)).toBe(false);
    }
  });

  it('isCssType: text/css with parameters, in any case', () => {
    expect(isCssType('text/css')).toBe(true);
    expect(isCssType('Text/CSS; charset=utf-8')).toBe(true);
    expect(isCssType('text/html')).toBe(false);
    expect(isCssType(null)).toBe(false);
  });
});

describe('X-Robots-Tag', () => {
  const says = (...pairs: string[]): boolean => headerSaysNofollow(pairs.map((p) => Buffer.from(p, 'latin1')));

  it('nofollow or none for every crawler, in any header of that name, any case and spacing', () => {
    expect(says('X-Robots-Tag', 'nofollow')).toBe(true);
    expect(says('x-robots-tag', 'noindex, NoFollow')).toBe(true);
    expect(says('X-ROBOTS-TAG', ' none ')).toBe(true);
    expect(says('Content-Type', 'text/html', 'X-Robots-Tag', 'noarchive', 'X-Robots-Tag', 'nofollow')).toBe(true);
    expect(says('X-Robots-Tag', 'unavailable_after: 2030-01-01, nofollow')).toBe(true);
    expect(says('X-Robots-Tag', 'max-snippet: 20, nofollow')).toBe(true);
  });

  it('not: other directives, another header, or a value for one named crawler', () => {
    expect(says()).toBe(false);
    expect(says('X-Robots-Tag', 'noindex, noarchive')).toBe(false);
    expect(says('X-Robots-Tags', 'nofollow')).toBe(false);
    expect(says('Link', '<a>; rel=nofollow')).toBe(false);
    expect(says('X-Robots-Tag', 'googlebot: nofollow')).toBe(false);
    expect(says('X-Robots-Tag', 'otherbot: noindex, nofollow')).toBe(false);
    expect(says('X-Robots-Tag', 'nofollowing')).toBe(false);
  });

  it('property: headers without a generic nofollow never say it; adding one anywhere does, adding a named crawler\'s does not', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    const header = fc.tuple(fc.oneof(token, fc.constant('X-Robots-Tag')), fc.string({ maxLength: 30 }).filter((v) => !/nofollow|none/i.test(v)));
    fc.assert(
      fc.property(fc.array(header, { maxLength: 6 }), fc.nat(), token, (headers, at, bot) => {
        const flat = (hs: [string, string][]): Buffer[] => hs.flat().map((v) => Buffer.from(v, 'latin1'));
        expect(headerSaysNofollow(flat(headers))).toBe(false);
        const i = at % (headers.length + 1);
        const named = bot.toLowerCase() === 'unavailable_after' || bot.toLowerCase().startsWith('max-');
        expect(headerSaysNofollow(flat([...headers.slice(0, i), ['X-Robots-Tag', 'noindex, nofollow'], ...headers.slice(i)]))).toBe(true);
        if (!named) expect(headerSaysNofollow(flat([...headers.slice(0, i), ['x-robots-tag', `${bot}: nofollow`], ...headers.slice(i)]))).toBe(false);
      }),
    );
  });
});

describe('meta refresh content', () => {
  it.each([
    ['0; url=/a', '/a'],
    ['0;URL=/a', '/a'],
    ["0; URL='/a'", '/a'],
    ['0; url="/a" junk', '/a'],
    ['0 ; url = /a', '/a'],
    ['5, url=/a', '/a'],
    ['0 url=/a', '/a'],
    ['0; /a', '/a'],
    ['.5; url=/a', '/a'],
    ['1.5.2; url=/a', '/a'],
    ["0; url='/a", '/a'],
    ['0; url=/a\'b', "/a'b"],
    ['0; ur/a', 'ur/a'],
    ['0; url /a', 'url /a'],
    ['0;url=', ''],
  ])('%j -> %j', (content, url) => expect(refreshUrl(content)).toBe(url));

  it.each(['0', '  10  ', '0;', '0; ', 'abc', 'x; url=/a', '5x; url=/a', '', '; url=/a'])('%j names no URL', (content) => {
    expect(refreshUrl(content)).toBeNull();
  });
});

describe('srcset', () => {
  it.each([
    ['a.png', ['a.png']],
    ['a.png 1x, b.png 2x', ['a.png', 'b.png']],
    ['a.png 400w,b.png 800w', ['a.png', 'b.png']],
    ['  a.png  ,  b.png  ', ['a.png', 'b.png']],
    ['a.png,b.png', ['a.png,b.png']],
    ['a.png, b.png,', ['a.png', 'b.png']],
    ['a.png,, b.png', ['a.png', 'b.png']],
    ['a.png (x, y) 1x, b.png', ['a.png', 'b.png']],
    ['data:image/png;base64,AAAA 1x, c.png 2x', ['data:image/png;base64,AAAA', 'c.png']],
    [',,,', []],
    ['', []],
  ])('%j -> %j', (value, urls) => expect(srcsetUrls(value)).toEqual(urls));
});

describe('CSS url values', () => {
  it.each([
    ['a { background: url(x.png) }', ['x.png']],
    ['a { b: url( "x y.png" ) }', ['x y.png']],
    ["@import 'a.css'; @import url(b.css);", ['a.css', 'b.css']],
    ['a { b: url(x\\29 .png) }', ['x).png']],
    ['/* url(no.png) */ a { content: "url(no.png)" }', []],
    ['a { b: myurl(no.png); c: url(yes.png) }', ['yes.png']],
    ['a { b: url(bad url.png); c: url(ok.png) }', ['ok.png']],
    ['a { b: url() url("") }', []],
    ['a { b: url(unclosed.png', ['unclosed.png']],
    ['@import "unclosed.css', ['unclosed.css']],
    ['a{b:url("x\n.png")}', []],
  ])('%j -> %j', (css, urls) => expect(cssUrlValues(css)).toEqual(urls));
});

describe('LinkExtractor', () => {
  it('throws a TypeError for a page URL that is not a URL (a caller bug)', () => {
    expect(() => new LinkExtractor('not a url', { requisites: false })).toThrow(TypeError);
  });

  it('returns the same result from a second end(), and ignores writes after end()', () => {
    const x = new LinkExtractor(PAGE, { requisites: false });
    x.write(Buffer.from('<a href=/a>'));
    const first = x.end();
    x.write(Buffer.from('<a href=/b>'));
    expect(x.end()).toBe(first);
    expect(first.links).toEqual(['http://example.com/a']);
  });

  it('stops at maxLinks distinct links and says so', () => {
    const html = Array.from({ length: 50 }, (_, i) => `<a href="/p${i}">`).join('');
    const r = extract([html], { requisites: false, maxLinks: 10 });
    expect(r.links).toEqual(Array.from({ length: 10 }, (_, i) => `http://example.com/p${i}`));
    expect(r.truncated).toBe(true);
    expect(extract([html]).truncated).toBe(false);
  });

  it('counts a link repeated 100,000 times once, without truncating', () => {
    const r = extract(['<a href="/same">'.repeat(100_000)], { requisites: false, maxLinks: 5 });
    expect(r).toMatchObject({ links: ['http://example.com/same'], truncated: false });
  });

  it('drops an attribute value over 64 KiB, across chunks, and goes on after it', () => {
    const long = 'x'.repeat(70 * 1024);
    const html = `<a href="/${long}">long</a><a href=/after>`;
    const buf = Buffer.from(html);
    const chunks = [];
    for (let i = 0; i < buf.length; i += 4096) chunks.push(buf.subarray(i, i + 4096));
    expect(extract(chunks).links).toEqual(['http://example.com/after']);
  });

  it('drops a URL over 8 KiB (servers refuse such request lines)', () => {
    expect(extract([`<a href="/${'y'.repeat(9000)}"><a href=/ok>`]).links).toEqual(['http://example.com/ok']);
  });

  it('reads a comment spread over many chunks without keeping it, and the link after it', () => {
    const chunks: Array<string | Buffer> = ['<a href=/before><!-- '];
    const filler = Buffer.from('<a href="/inside"> - -- - '.repeat(2500)); // ~65 KB a chunk
    for (let k = 0; k < 80; k++) chunks.push(filler); // ~5 MB of comment
    chunks.push(' -->', '<a href=/after>');
    expect(extract(chunks).links).toEqual(['http://example.com/before', 'http://example.com/after']);
  });

  it('reads a script spread over many chunks, with `</scr` + `ipt>` split between two of them', () => {
    const chunks: Array<string | Buffer> = ['<script>'];
    for (let k = 0; k < 50; k++) chunks.push(Buffer.from('var a = "<a href=/no>"; '.repeat(2000)));
    chunks.push('</scr', 'ipt><a href=/yes>');
    expect(extract(chunks).links).toEqual(['http://example.com/yes']);
  });

  it('reads a tag split at every byte boundary of a multi-byte character', () => {
    const html = Buffer.from('<a href="/é">');
    for (let cut = 0; cut <= html.length; cut++) {
      expect(extract([html.subarray(0, cut), html.subarray(cut)]).links).toEqual(['http://example.com/%C3%A9']);
    }
  });

  it('cuts a <style> element at 1 MiB (requisites)', () => {
    const css = `a{background:url(/first.png)}${' '.repeat(1024 * 1024)}b{background:url(/past-the-cut.png)}`;
    const r = extract([`<style>${css}</style><img src=/img.png>`], { requisites: true });
    expect(r.links).toEqual(['http://example.com/first.png', 'http://example.com/img.png']);
  });

  it('applies the first <base href> to every link, also those before it', () => {
    const r = extract(['<a href=a><base href="/b/"><a href=c><base href="/ignored/">']);
    expect(r).toMatchObject({ base: 'http://example.com/b/', links: ['http://example.com/b/a', 'http://example.com/b/c'] });
  });

  it('reports page requisites only when asked', () => {
    const html = '<img src=/i.png><script src=/s.js></script><link rel=stylesheet href=/c.css><a href=/p>';
    expect(extract([html]).links).toEqual(['http://example.com/p']);
    expect(extract([html], { requisites: true }).links).toEqual([
      'http://example.com/i.png', 'http://example.com/s.js', 'http://example.com/c.css', 'http://example.com/p',
    ]);
  });
});
